import type { Config } from '../config/schema.js';
import type { ContainerInfo } from '../runtime/types.js';
import { DRIVERS } from '../services/drivers.js';
import type { PortChoice, ServiceDef, StackContext } from '../services/types.js';
import { UserError } from '../errors.js';
import { LABEL } from '../model/labels.js';

export type { PortChoice } from '../services/types.js';

/** Every service name the config produces, in start order, with how its host port is chosen. */
export function servicePorts(config: Config): PortChoice[] {
  return DRIVERS.flatMap((d) => d.ports(config));
}

/** Host port of a service: fixed from config, or (auto) the one its existing container already has. */
export function resolvePorts(config: Config, actual: ContainerInfo[], allocate: (service: string) => number): Map<string, number> {
  const ports = new Map<string, number>();
  for (const p of servicePorts(config)) {
    if (p.configured !== 'auto') {
      ports.set(p.service, p.configured + p.offset);
      continue;
    }
    const c = actual.find((x) => x.labels[LABEL.service] === p.service);
    const label = Number(c?.labels[LABEL.hostPort]);
    const existing = Number.isInteger(label) && label > 0 ? label : c?.ports[0]?.host;
    ports.set(p.service, existing ?? allocate(p.service));
  }
  return ports;
}

export function desiredServices(ctx: StackContext, ports: Map<string, number>, currentMasterIp?: string): ServiceDef[] {
  const port = (name: string): number => {
    const p = ports.get(name);
    if (p === undefined) throw new Error(`no port resolved for ${name}`);
    return p;
  };
  return DRIVERS.filter((d) => ctx.config.services[d.group].enabled).flatMap((d) => d.defs(ctx, port, { masterIp: currentMasterIp }));
}

/**
 * Resolves the names given on the command line (`baas up redis postgres`, `baas logs redis-2`):
 * a config section selects all its containers. Unknown names are a usage error listing the valid ones.
 */
export function selectServices(defs: ServiceDef[], names: string[], config: Config): ServiceDef[] {
  if (names.length === 0) return defs;
  const selected = new Set<ServiceDef>();
  for (const n of names) {
    const byGroup = defs.filter((d) => d.group === n);
    const byName = defs.filter((d) => d.name === n);
    const hits = byGroup.length > 0 ? byGroup : byName;
    if (hits.length === 0) {
      if (n === 'postgres' || n === 'redis' || n === 'mongo') {
        if (!config.services[n].enabled) {
          throw new UserError(`The service '${n}' is disabled in the configuration.`, { hint: `Set services.${n}.enabled: true in platform.config.yaml.` });
        }
      }
      const valid = ['postgres', 'redis', 'mongo'].filter((g) => defs.some((d) => d.group === g)).concat(defs.map((d) => d.name));
      throw new UserError(`Unknown service '${n}'.`, { hint: `Valid names: ${[...new Set(valid)].join(', ')}.` });
    }
    for (const h of hits) selected.add(h);
  }
  // A sentinel needs the Redis nodes it monitors.
  for (const d of [...selected]) for (const dep of d.dependsOn) {
    const def = defs.find((x) => x.name === dep);
    if (def) selected.add(def);
  }
  return defs.filter((d) => selected.has(d));
}

/** Checks service names against the config alone, before anything touches Docker. */
export function validateServiceNames(config: Config, names: string[]): void {
  const containers = servicePorts(config).map((p) => p.service);
  const groups = (['postgres', 'redis', 'mongo'] as const).filter((g) => config.services[g].enabled);
  for (const n of names) {
    if ((groups as string[]).includes(n) || containers.includes(n)) continue;
    if (n === 'postgres' || n === 'redis' || n === 'mongo') {
      throw new UserError(`The service '${n}' is disabled in the configuration.`, { hint: `Set services.${n}.enabled: true in platform.config.yaml.` });
    }
    throw new UserError(`Unknown service '${n}'.`, { hint: `Valid names: ${[...new Set([...groups, ...containers])].join(', ')}.` });
  }
}
