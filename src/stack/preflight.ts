import { parseSize } from '../config/schema.js';
import { ConfigError, ExitCode, UserError, type ConfigIssue } from '../errors.js';
import type { ContainerInfo, EngineInfo, VolumeInfo } from '../runtime/types.js';
import type { ServiceDef } from '../services/types.js';
import type { Config } from '../config/schema.js';
import { portInUse } from './context.js';
import { locationChanges, refuseDataMoves, type LocationChange } from './data-location.js';
import { LABEL } from '../model/labels.js';
import { servicePorts } from './desired.js';
import type { Action } from './reconcile.js';

/**
 * Everything `up` can know before it creates anything: the host ports of every service it will
 * start, the resource limits, and whether a data location would change under a service. Every
 * problem of a kind is reported at once, so one run shows them all.
 */

/** Docker refuses a memory limit below 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** The config key that sets each service's host port (its driver says), for messages. */
export type PortKeys = (service: string) => string;

export function portKeysOf(config: Config): PortKeys {
  const keys = new Map(servicePorts(config).map((p) => [p.service, p.key]));
  return (service) => keys.get(service) ?? `services.${service}.port`;
}

export interface PortConflict {
  port: number;
  service: string;
  key: string;
  /** Who holds it: another service of this stack, a container, or another process. */
  holder: string;
  holderProject?: string;
}

type Starting = Exclude<Action, { type: 'remove' | 'keep' }>;
const starting = (plan: Action[]): Starting[] => plan.filter((a): a is Starting => a.type === 'create' || a.type === 'recreate' || a.type === 'start');

/** Pure: ports two services of this stack both want, and ports outside 1-65535 (a base port plus its offset). */
export function portClashesWithin(defs: ServiceDef[], portKey: PortKeys): { conflicts: PortConflict[]; invalid: ConfigIssue[] } {
  const conflicts: PortConflict[] = [];
  const invalid: ConfigIssue[] = [];
  const byPort = new Map<number, ServiceDef>();
  for (const d of defs) {
    for (const p of d.spec.ports) {
      if (!Number.isInteger(p.host) || p.host < 1 || p.host > 65535) {
        invalid.push({ path: portKey(d.name), message: `${d.name} would be published on port ${p.host}, outside 1-65535 (each replica or sentinel takes the next port)` });
        continue;
      }
      const other = byPort.get(p.host);
      if (other) conflicts.push({ port: p.host, service: d.name, key: portKey(d.name), holder: `${other.name} of this stack (${portKey(other.name)})` });
      else byPort.set(p.host, d);
    }
  }
  return { conflicts, invalid };
}

/** Pure: limits Docker would refuse or silently ignore, with their key paths. */
export function resourceProblems(config: Config, engine: Pick<EngineInfo, 'cpus' | 'memoryBytes'>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const group of ['postgres', 'redis', 'mongo'] as const) {
    const s = config.services[group];
    if (!s.enabled) continue;
    if (s.memory !== undefined) {
      const bytes = parseSize(s.memory);
      if (bytes < MIN_MEMORY_BYTES) {
        issues.push({ path: `services.${group}.memory`, message: `'${s.memory}' is ${bytes === 0 ? 'no limit at all' : 'below the 6m Docker accepts'}: give a size such as 512m (or leave the key out for no limit)` });
      } else if (engine.memoryBytes && bytes > engine.memoryBytes) {
        issues.push({ path: `services.${group}.memory`, message: `'${s.memory}' is more than the ${Math.floor(engine.memoryBytes / 1024 ** 2)} MiB the Docker host has` });
      }
    }
    if (s.cpus !== undefined && engine.cpus && s.cpus > engine.cpus) {
      issues.push({ path: `services.${group}.cpus`, message: `${s.cpus} is more than the ${engine.cpus} CPU(s) the Docker host has` });
    }
  }
  return issues;
}

export interface PortFacts {
  /** Every container on the engine (any project). */
  all: ContainerInfo[];
  /** This project's containers. */
  actual: ContainerInfo[];
  /** Whether something outside Docker listens on host:port. */
  listening?: (host: string, port: number) => Promise<boolean>;
}

/** Ports held by something other than the container each service replaces or keeps. */
export async function portsTaken(plan: Action[], facts: PortFacts, portKey: PortKeys): Promise<PortConflict[]> {
  const listening = facts.listening ?? portInUse;
  const leaving = new Set(plan.filter((a) => a.type === 'remove').map((a) => a.container.id));
  const out: PortConflict[] = [];
  for (const a of starting(plan)) {
    const own = facts.actual.find((c) => c.labels[LABEL.service] === a.def.name);
    for (const p of a.def.spec.ports) {
      // The service's own container holds (or will hold, once started) its port; a recreate frees it first.
      if (own && (own.ports.some((x) => x.host === p.host) || own.labels[LABEL.hostPort] === String(p.host))) continue;
      const holder = facts.all.find((c) => c.id !== own?.id && !leaving.has(c.id) && c.state === 'running' && c.ports.some((x) => x.host === p.host));
      if (holder) {
        const project = holder.labels[LABEL.project];
        out.push({ port: p.host, service: a.def.name, key: portKey(a.def.name), holder: `container ${holder.name}${project ? ` (baas project ${project})` : ''}`, ...(project ? { holderProject: project } : {}) });
        continue;
      }
      if (facts.all.some((c) => leaving.has(c.id) && c.ports.some((x) => x.host === p.host))) continue;
      if (await listening(p.hostIp, p.host)) out.push({ port: p.host, service: a.def.name, key: portKey(a.def.name), holder: 'another process' });
    }
  }
  return out;
}

export function portConflictError(conflicts: PortConflict[]): UserError {
  const keys = [...new Set(conflicts.map((c) => c.key))];
  const projects = [...new Set(conflicts.flatMap((c) => (c.holderProject ? [c.holderProject] : [])))];
  const ports = conflicts.map((c) => c.port);
  return new UserError(
    conflicts.length === 1
      ? `Port ${ports[0]} for ${conflicts[0]!.service} is already in use by ${conflicts[0]!.holder}.`
      : `${conflicts.length} ports this stack needs are already in use: ${ports.join(', ')}.`,
    {
      exitCode: ExitCode.conflict,
      details: conflicts.length === 1 ? [] : conflicts.map((c) => `port ${c.port} for ${c.service} (${c.key}): in use by ${c.holder}`),
      hint:
        `Set ${keys.join(', ')} to 'auto' (baas picks free ports and keeps them) or to free ports in platform.config.yaml` +
        (projects.length ? `, or stop the stack${projects.length > 1 ? 's' : ''} ${projects.join(', ')} (\`baas down\` in ${projects.length > 1 ? 'their directories' : 'its directory'}).` : ', or stop whatever listens there (`baas doctor` shows the ports).'),
    },
  );
}

export interface PreflightInput {
  config: Config;
  configFile: string | undefined;
  engine: Pick<EngineInfo, 'cpus' | 'memoryBytes'>;
  plan: Action[];
  /** The services `up` was asked for. */
  selected: ServiceDef[];
  facts: PortFacts;
  volumes: VolumeInfo[];
  /** `up --force`: start empty where the configuration moved a data location. */
  force: boolean;
}

/** Runs every check; throws the first kind of problem found, listing all of that kind. Returns the data moves accepted. */
export async function preflight(input: PreflightInput): Promise<LocationChange[]> {
  // Two services of this stack on one port is a mistake in the configuration, not something in the way.
  const portKey = portKeysOf(input.config);
  const within = portClashesWithin(input.selected, portKey);
  const issues = [
    ...within.invalid,
    ...within.conflicts.map((c) => ({ path: c.key, message: `${c.service} would be published on port ${c.port}, which ${c.holder} already gets` })),
    ...resourceProblems(input.config, input.engine),
  ];
  if (issues.length > 0) throw new ConfigError(input.configFile, issues, { hint: 'Fix the keys listed above (`baas config show` prints the effective configuration); nothing was created.' });
  const changes = locationChanges(input.selected, input.facts.actual, input.volumes);
  refuseDataMoves(changes, input.force);
  const conflicts = await portsTaken(input.plan, input.facts, portKey);
  if (conflicts.length > 0) throw portConflictError(conflicts);
  return changes;
}
