import { createHash } from 'node:crypto';
import type { StackContext, ServiceDef } from '../../services/types.js';
import { LABEL, projectLabels } from '../../model/labels.js';
import { stableStringify } from '../../stack/reconcile.js';
import { clusterCredentialFiles, clusterNodeEnv, clusterRedisEnv, clusterRedisStart, clusterSentinelEnv, clusterSentinelStart, MONITOR_PASSWORD } from '../cluster-scripts.js';
import { splitEnv, type SecretItem } from '../common.js';
import type { Placement } from './placement.js';

/** The part of the Engine API's ServiceSpec that baas writes. */
export interface SwarmServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Command: string[];
      Env: string[];
      Hostname: string;
      Labels: Record<string, string>;
      Mounts: { Type: 'volume' | 'bind'; Source: string; Target: string; VolumeOptions?: { Labels: Record<string, string> } }[];
      Secrets: { File: { Name: string; UID: string; GID: string; Mode: number }; SecretID: string; SecretName: string }[];
      Configs: { File: { Name: string; UID: string; GID: string; Mode: number }; ConfigID: string; ConfigName: string }[];
      StopGracePeriod: number;
    };
    Resources: { Limits: { MemoryBytes?: number; NanoCPUs?: number } };
    RestartPolicy: { Condition: 'any'; Delay: number };
    Placement: { Constraints: string[] };
    Networks: { Target: string; Aliases: string[] }[];
  };
  Mode: { Replicated: { Replicas: number } };
  EndpointSpec: { Mode: 'dnsrr'; Ports: { Protocol: 'tcp'; TargetPort: number; PublishedPort: number; PublishMode: 'host' }[] };
  UpdateConfig: { Parallelism: number; Order: 'stop-first'; FailureAction: 'pause' };
}

/** A Swarm secret or config baas creates: immutable, so its name carries a hash of its content. */
export interface SwarmBlob {
  name: string;
  data: string;
  /** For secrets: the credential's key (`redis-password`). */
  key?: string;
}

export interface DesiredSwarmService {
  /** The stack's service name: postgres, redis-1, sentinel-2. */
  service: string;
  def: ServiceDef;
  placement: Placement;
  spec: SwarmServiceSpec;
  hash: string;
  secrets: SwarmBlob[];
  config: SwarmBlob;
}

export const SWARM_TARGET_LABEL = 'baas.target';

/**
 * Loads the credentials Swarm mounts under /run/secrets/baas.<VAR> into the environment of the
 * start script only (which unsets them before the server starts): nothing secret in the spec.
 */
export const SECRET_ENTRY = `for f in /run/secrets/baas.*; do
  [ -e "$f" ] || continue
  n=\${f#/run/secrets/baas.}
  v=$(cat "$f")
  export "$n=$v"
done
exec "$@"`;

export const START_SCRIPT_PATH = '/baas/start.sh';

/** The TLS files the Redis cluster scripts read from /run/secrets (server.pem, MongoDB's, stays out everywhere). */
const TLS_FILES = ['ca.crt', 'server.crt', 'server.key'];
const isRedis = (def: ServiceDef): boolean => def.kind === 'redis' || def.kind === 'sentinel';

const sha = (s: string, n = 10): string => createHash('sha256').update(s).digest('hex').slice(0, n);
export const serviceName = (project: string, service: string): string => `baas-${project}-${service}`;
/** Swarm's limit on secret and config names: 64 of [a-zA-Z0-9-_.], starting and ending alphanumeric. */
const SWARM_NAME_MAX = 64;
/**
 * A name from the readable part and a content hash, within Swarm's 64 characters: a long one
 * keeps the start of the readable part, and its hash then covers that part too (two services'
 * ca.crt have the same content and, cut short, could share the rest).
 */
function boundedName(readable: string, content: string): string {
  const full = `${readable}-${sha(content)}`;
  if (full.length <= SWARM_NAME_MAX) return full;
  const hash = sha(`${readable}\0${content}`, 12);
  return `${readable.slice(0, SWARM_NAME_MAX - hash.length - 1).replace(/[^a-zA-Z0-9]+$/, '')}-${hash}`;
}
export const secretName = (project: string, item: SecretItem): string => boundedName(`baas-${project}-${item.key}`, item.value);
export const configName = (project: string, kind: string, script: string): string => boundedName(`baas-${project}-${kind}-start`, script);

/** Hash of everything that defines the service (the hash label itself excluded). */
export function specHash(spec: SwarmServiceSpec): string {
  return sha(stableStringify(spec), 16);
}

/**
 * Translates one service of the desired stack into a Swarm service. Addresses become names:
 * every service is reachable on the overlay network under its stack name (redis-2), with
 * `dnsrr` endpoints, because this kernel (and many others) has no IPVS for Swarm's virtual IPs.
 * Postgres keeps the single-host start script (mounted as a Swarm config); Redis and Sentinel
 * use the cluster scripts that follow the live master by name.
 * `files` are what the container reads from /run/secrets (Postgres's password and pg_hba.conf;
 * a Redis node's users.acl and auth.conf, a Sentinel's sentinel-auth.conf; with TLS every
 * service's ca.crt, server.crt, server.key): each becomes a Swarm secret.
 */
export function swarmService(ctx: StackContext, def: ServiceDef, all: ServiceDef[], placement: Placement, items: SecretItem[], secretFiles: Record<string, string> = def.secretFiles ?? {}): DesiredSwarmService {
  const project = ctx.project;
  const cfg = ctx.config.services.redis;
  const sentinels = all.filter((d) => d.kind === 'sentinel').map((d) => d.name);
  const redisNodes = all.filter((d) => d.kind === 'redis').map((d) => d.name);
  const firstRedis = redisNodes[0] ?? 'redis-1';
  let script: string;
  let args: string[] = [];
  let plain: Record<string, string>;
  let secretEnv: { name: string; key: string }[];
  if (isRedis(def)) {
    script = def.kind === 'redis' ? clusterRedisStart({ tls: ctx.tls.enabled }) : clusterSentinelStart({ tls: ctx.tls.enabled });
    plain = {
      ...clusterRedisEnv(cfg, { me: def.name, sentinels, nodes: redisNodes, fallbackMaster: firstRedis }),
      ...(def.kind === 'redis' ? clusterNodeEnv(cfg) : clusterSentinelEnv(cfg)),
    };
    secretEnv = [MONITOR_PASSWORD];
  } else {
    // ['sh', '-c', script, $0, ...args]: the script becomes a file, the arguments stay.
    const [shell, flag, text, , ...rest] = def.spec.cmd;
    if (shell !== 'sh' || flag !== '-c' || text === undefined) throw new Error(`${def.name}: expected a 'sh -c' command, got ${def.spec.cmd.slice(0, 2).join(' ')}`);
    script = text;
    args = rest;
    ({ plain, secret: secretEnv } = splitEnv(def.spec.env, items));
  }
  const secrets = secretEnv.map((s) => {
    const item = items.find((i) => i.key === s.key)!;
    return { env: s.name, blob: { name: secretName(project, item), data: item.value, key: item.key } };
  });
  // Services read their secret files from /run/secrets, as on Docker (the Redis cluster scripts
  // their TLS and credential files: they write their own redis.conf and sentinel.conf).
  const credentials = clusterCredentialFiles(def);
  const wanted = Object.entries(secretFiles).filter(([file]) => file !== 'server.pem' && (!isRedis(def) || TLS_FILES.includes(file) || file in credentials));
  const files = wanted.map(([file, data]) => {
    const item = { key: `${def.name}-file-${file}`, value: data, group: def.group };
    return { file, blob: { name: secretName(project, item), data, key: item.key } };
  });
  const config = { name: configName(project, def.kind, script), data: script };
  const labels = { ...def.spec.labels, [SWARM_TARGET_LABEL]: 'swarm' };
  const port = def.spec.ports[0];
  const spec: SwarmServiceSpec = {
    Name: serviceName(project, def.name),
    Labels: { ...labels, [LABEL.hostPort]: String(def.hostPort) },
    TaskTemplate: {
      ContainerSpec: {
        Image: def.spec.image,
        Command: ['sh', '-c', SECRET_ENTRY, 'baas-entry', 'sh', START_SCRIPT_PATH, ...args],
        Env: Object.entries(plain).map(([k, v]) => `${k}=${v}`),
        Hostname: def.name,
        Labels: labels,
        Mounts: def.spec.mounts.filter((m) => !m.readOnly).map((m) =>
          m.type === 'volume'
            ? { Type: 'volume' as const, Source: m.source, Target: m.target, VolumeOptions: { Labels: { ...projectLabels(project, ctx.extraLabels), [LABEL.service]: def.name } } }
            : { Type: 'bind' as const, Source: m.source, Target: m.target },
        ),
        Secrets: [
          ...secrets.map((s) => ({ File: { Name: `baas.${s.env}`, UID: '0', GID: '0', Mode: 0o400 }, SecretID: '', SecretName: s.blob.name })),
          ...files.map((f) => ({ File: { Name: f.file, UID: '0', GID: '0', Mode: 0o400 }, SecretID: '', SecretName: f.blob.name })),
        ],
        Configs: [{ File: { Name: START_SCRIPT_PATH, UID: '0', GID: '0', Mode: 0o555 }, ConfigID: '', ConfigName: config.name }],
        StopGracePeriod: (def.spec.stopTimeoutSeconds ?? 10) * 1e9,
      },
      Resources: { Limits: { ...(def.spec.memoryBytes ? { MemoryBytes: def.spec.memoryBytes } : {}), ...(def.spec.nanoCpus ? { NanoCPUs: def.spec.nanoCpus } : {}) } },
      RestartPolicy: { Condition: 'any', Delay: 2e9 },
      Placement: { Constraints: placement.constraints },
      Networks: [{ Target: ctx.network, Aliases: [def.name] }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: {
      Mode: 'dnsrr',
      Ports: port ? [{ Protocol: 'tcp', TargetPort: port.container, PublishedPort: def.hostPort, PublishMode: 'host' }] : [],
    },
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', FailureAction: 'pause' },
  };
  const hash = specHash(spec);
  spec.Labels[LABEL.configHash] = hash;
  // On the task too, so a task can be told apart from one of an older spec.
  spec.TaskTemplate.ContainerSpec.Labels = { ...labels, [LABEL.configHash]: hash };
  return { service: def.name, def, placement, spec, hash, secrets: [...secrets.map((s) => s.blob), ...files.map((f) => f.blob)], config };
}

/** Fills in the IDs of secrets and configs (Swarm wants both name and ID). */
export function withIds(spec: SwarmServiceSpec, ids: Map<string, string>): SwarmServiceSpec {
  const c = spec.TaskTemplate.ContainerSpec;
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: {
        ...c,
        Secrets: c.Secrets.map((s) => ({ ...s, SecretID: ids.get(s.SecretName) ?? '' })),
        Configs: c.Configs.map((s) => ({ ...s, ConfigID: ids.get(s.ConfigName) ?? '' })),
      },
    },
  };
}
