import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { Config, ServiceKind } from '../config/schema.js';
import { UserError } from '../errors.js';
import type { ServiceDef, StackContext } from '../services/types.js';
import { desiredServices, resolvePorts } from '../stack/desired.js';
import { extraLabelsFromEnv, networkName } from '../model/labels.js';
import { byoFiles, caCertPath } from '../security/tls.js';
import { SWARM_CERT_DIR } from '../security/service-files.js';
import type { Secrets } from '../model/secrets.js';

/**
 * What the cluster targets (Swarm, Kubernetes) share: they start from the same desired state as
 * the single-host `up` (`desiredServices()`), and translate it. Only this file calls into
 * src/stack, so a change to how the stack describes itself is absorbed here.
 */

/** A placeholder subnet: cluster targets address services by name, never by a fixed IP. */
const UNUSED_SUBNET = '10.255.255.0/24';

export function clusterContext(loaded: LoadedConfig, secrets: Secrets, env: NodeJS.ProcessEnv, clusterHosts: string[] = []): StackContext {
  const stateDir = path.join(loaded.dir, '.baas');
  const tls = loaded.config.tls;
  return {
    project: loaded.config.project,
    config: loaded.config,
    configDir: loaded.dir,
    subnet: UNUSED_SUBNET,
    network: networkName(loaded.config.project),
    bindAddress: '0.0.0.0',
    probeHost: '127.0.0.1',
    secrets,
    extraLabels: extraLabelsFromEnv(env),
    stateDir,
    // TLS as on one host (`tls`, on in the server profile): the same certificates, settings and client checks.
    // Service certificates in .baas/tls/swarm/: one host's (`baas up`) in the same project cover
    // the same names at other addresses, and would be reissued back and forth. One CA for both.
    // (Kubernetes names its own: kubernetes-<workload>.)
    tls: { enabled: tls.enabled, caFile: byoFiles(tls, loaded.dir)?.caFile ?? caCertPath(stateDir), certDir: SWARM_CERT_DIR },
    clusterHosts,
    // Clients reach the services through the cluster's nodes, from addresses no Docker gateway
    // stands for: the superuser may log in from anywhere, with its password and (with TLS) TLS only.
    superuserFrom: ['0.0.0.0/0', '::/0'],
  };
}

/**
 * The stack's services for a cluster target. Ports: the configured one (plus the service's
 * offset), or 0 for `auto` (Swarm then lets the node pick one; Kubernetes ignores host ports).
 */
export function clusterDefs(ctx: StackContext): ServiceDef[] {
  refuseMongo(ctx.config);
  return desiredServices(ctx, resolvePorts(ctx.config, [], () => 0));
}

export function refuseMongo(config: Config): void {
  if (config.services.mongo.enabled) {
    throw new UserError('MongoDB is not supported on the Swarm and Kubernetes targets yet.', {
      hint: 'Set services.mongo.enabled: false in platform.config.yaml (Postgres and Redis with Sentinel are supported).',
    });
  }
}

/** One generated credential, under a stable key name such as `redis-password`. */
export interface SecretItem {
  key: string;
  value: string;
  group: ServiceKind;
}

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** A credential's key: redis and monitorPassword give `redis-monitor-password`. */
export const secretKey = <G extends 'postgres' | 'redis' | 'mongo'>(group: G, field: keyof Secrets[G] & string): string => `${group}-${kebab(field)}`;

/** The credentials of the enabled services, flattened: postgres.appPassword becomes `postgres-app-password`. */
export function secretItems(config: Config, secrets: Secrets): SecretItem[] {
  const out: SecretItem[] = [];
  for (const group of ['postgres', 'redis', 'mongo'] as const) {
    if (!config.services[group].enabled) continue;
    for (const [k, v] of Object.entries(secrets[group] as Record<string, string>)) out.push({ key: secretKey(group, k as never), value: v, group });
  }
  return out;
}

/**
 * Splits a container's environment into plain values and references to credentials. A value
 * is a credential when it equals one: so whatever the service modules put in the environment,
 * no password reaches a Swarm service spec or a Kubernetes pod spec.
 */
export function splitEnv(env: Record<string, string>, items: SecretItem[]): { plain: Record<string, string>; secret: { name: string; key: string }[] } {
  const plain: Record<string, string> = {};
  const secret: { name: string; key: string }[] = [];
  for (const [name, value] of Object.entries(env)) {
    const item = items.find((i) => i.value === value && value !== '');
    if (item) secret.push({ name, key: item.key });
    else plain[name] = value;
  }
  return { plain, secret };
}

export function defsOf(defs: ServiceDef[], kind: ServiceDef['kind']): ServiceDef[] {
  return defs.filter((d) => d.kind === kind);
}
