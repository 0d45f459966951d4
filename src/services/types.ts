import type { Config, ServiceKind } from '../config/schema.js';
import type { ContainerRuntime, ContainerSpec } from '../runtime/types.js';
import type { Secrets } from '../model/secrets.js';
import type { WaitStrategy } from '../wait.js';

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
  /**
   * The address clients reach hostPort at, when it is not the stack's one (a Swarm task's
   * node). Connection settings use it over the host they are given.
   */
  publishedHost?: string;
  volume?: string;
  /**
   * Files the container reads its secrets from (name → content): written 0400 under
   * .baas/secrets/<service>/ and mounted read-only at /run/secrets. Kept out of `hashInput`.
   */
  secretFiles?: Record<string, string>;
  /** The user the engine runs as inside the container (owner of its copies of the secrets). */
  runAs?: string;
  /** Further named volumes the container mounts, created by `up` with these labels when missing. */
  extraVolumes?: { name: string; labels: Record<string, string> }[];
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
  /** The project's private directory (.baas/ beside the config). */
  stateDir: string;
  /**
   * TLS on every link: the CA clients verify against (a host path). `certDir`: the target's own
   * directory under .baas/tls for its service certificates (`swarm`: the same service names as
   * on one host, other addresses); the CA is shared.
   */
  tls: { enabled: boolean; caFile: string; certDir?: string };
  /**
   * Cluster targets: further names and addresses clients reach the services at (a swarm's node
   * addresses, a Kubernetes Service's pod DNS names), added to every certificate.
   */
  clusterHosts?: string[];
  /**
   * Server profile: where the Postgres superuser may log in from (CIDRs). Default: the Docker
   * gateway, where connections from the host baas runs on arrive.
   */
  superuserFrom?: string[];
}

/** Free space where a service keeps its data, as the host (or the container) sees it. */
export interface DiskHeadroom {
  /** The bind path, or `volume <name>` (with its path on the host when known). */
  location: string;
  freeBytes: number;
  totalBytes: number;
  /** Below the minimum: the service is reported unhealthy. */
  full: boolean;
  /** Below 10 % or 1 GiB: still healthy, but said. */
  low: boolean;
}

export interface HealthReport {
  service: string;
  kind: ContainerKind;
  status: 'healthy' | 'unhealthy' | 'starting' | 'stopped' | 'missing';
  latencyMs?: number;
  role?: string;
  detail: string;
  details?: Record<string, unknown>;
  /** Disk headroom of the service's data location (services with data only). */
  disk?: DiskHeadroom;
  /** What was repaired before judging (a database left refusing connections by an interrupted branch copy). */
  repaired?: string[];
}

/** How one host port is chosen from the configuration. */
export interface PortChoice {
  service: string;
  /** The configured port, or 'auto'. */
  configured: number | 'auto';
  /** For fixed ports: base port plus this offset. */
  offset: number;
  /** The config key that sets it (for messages). */
  key: string;
}

/**
 * What an engine writes into a bind-mounted data directory, so `baas down --volumes` deletes that
 * and nothing else: the named entries of `dir`, or every entry of `dir` when `marker` is one of
 * them (a directory the engine owns whole, recognised by a file only it writes).
 */
export type OwnedData = { dir: string; entries: string[] } | { dir: string; everythingIf: string };

/** Connection settings of one config section, for applications (`baas env`, `baas connect`). */
export interface ConnectionInfo {
  service: 'postgres' | 'redis' | 'mongo';
  /** Environment variables an app would use, with secrets in place. */
  env: Record<string, string>;
  /** Keys of `env` that carry a secret. */
  secretKeys: string[];
  /** The key `baas connect <service> --url` prints. */
  urlKey: string;
  notes: string[];
}

/** What a readiness strategy needs at run time. */
export interface ReadyEnv {
  ctx: StackContext;
  runtime: ContainerRuntime;
  containerId: string;
  /** After a failover, the master Sentinel reports now (nodes that come back must follow it). */
  liveMasterIp?: string;
  /**
   * Throws an UnhealthyError when the container keeps exiting; cheap enough to call on every
   * failed probe. Given the probe's failure, it also notices a published port that refuses
   * connections while the container runs (its port mapping gone) and restores it.
   */
  assertRunning(failure?: unknown): Promise<void>;
}

/**
 * Everything baas knows about one engine: its containers, how it becomes ready, how its health
 * is asked and how applications connect. `up`, `health`, `env`/`connect`, `status` and the
 * dashboard iterate the drivers (src/services/drivers.ts) instead of switching on the engine.
 */
export interface EngineDriver {
  readonly kind: ContainerKind;
  /** The config section the engine's containers come from. */
  readonly group: ServiceKind;
  /** Host ports its containers need, from the configuration alone (no Docker). */
  ports(config: Config): PortChoice[];
  /** The desired containers; `masterIp` is the live Redis master after a failover. */
  defs(ctx: StackContext, port: (service: string) => number, live: { masterIp?: string | undefined }): ServiceDef[];
  /** Readiness, with any one-time set-up, as a composable wait strategy (the caller sets its timeout). */
  readiness(def: ServiceDef, env: ReadyEnv): WaitStrategy<HealthReport>;
  /** Health as users see it, asked with the engine's own client on the published port. */
  health(ctx: StackContext, def: ServiceDef): Promise<HealthReport>;
  /** Repairs to run before judging health (returns one sentence per repair; never throws). */
  repair?(ctx: StackContext, def: ServiceDef): Promise<string[]>;
  /** A service that did not become ready is stopped, unless this says its server is fine. */
  keepRunningAfter?(error: unknown): string | undefined;
  /** What it writes into a bind-mounted data directory whose host path is `source` (engines with data only). */
  ownedData?(source: string): OwnedData;
  /** Connection settings of the engine's section; `defs` carry the ports actually published. */
  connection?(ctx: StackContext, defs: ServiceDef[], host: string): ConnectionInfo;
}
