import type { Config, ServiceKind } from '../config/schema.js';
import type { ContainerRuntime, ContainerSpec } from '../runtime/types.js';
import type { Secrets } from '../model/secrets.js';

export type ContainerKind = 'postgres' | 'redis' | 'sentinel' | 'mongo';

/** One container of the desired stack, fully resolved (image, address, ports, command). */
export interface ServiceDef {
  /** Service name as users type it: postgres, redis-1, sentinel-2, mongo. */
  name: string;
  kind: ContainerKind;
  /** The config section the service comes from. */
  group: ServiceKind;
  spec: ContainerSpec;
  /** What decides recreate-or-keep; values that may change at run time (the current master) stay out. */
  hashInput: unknown;
  /** Services that must be healthy before this one starts. */
  dependsOn: string[];
  internal: { ip: string; port: number };
  /** Host-side port the service is published on. */
  hostPort: number;
  volume?: string;
}

export interface StackContext {
  project: string;
  config: Config;
  /** Directory relative data paths are resolved from. */
  configDir: string;
  subnet: string;
  network: string;
  /** Address ports are published on. */
  bindAddress: string;
  /** Address baas itself uses to reach published ports. */
  probeHost: string;
  secrets: Secrets;
  extraLabels: Record<string, string>;
}

export interface HealthReport {
  service: string;
  kind: ContainerKind;
  status: 'healthy' | 'unhealthy' | 'starting' | 'stopped' | 'missing';
  latencyMs?: number;
  role?: string;
  detail: string;
  details?: Record<string, unknown>;
}

/** What a readiness probe needs at run time. */
export interface ProbeContext {
  stack: StackContext;
  defs: ServiceDef[];
  runtime: ContainerRuntime;
  containerId?: string;
}
