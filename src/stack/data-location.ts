import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ServiceKind } from '../config/schema.js';
import { ExitCode, UserError } from '../errors.js';
import type { ContainerInfo, MountInfo, MountSpec, VolumeInfo } from '../runtime/types.js';
import { configuredData } from '../services/common.js';
import type { ServiceDef } from '../services/types.js';
import { LABEL } from '../model/labels.js';

/**
 * Where a service keeps its data, and whether a change of that place would silently start an
 * empty server. Docker itself is the record: the mount of the existing container, or the
 * service's labelled volume when the container is gone (`baas down` keeps volumes). A bind
 * path used before a `down` leaves no trace in Docker, so it cannot be told apart from a new one.
 */

export type DataLocation = { kind: 'volume'; name: string } | { kind: 'bind'; path: string };

export const describeLocation = (l: DataLocation): string => (l.kind === 'volume' ? `volume ${l.name}` : l.path);

export const sameLocation = (a: DataLocation, b: DataLocation): boolean =>
  a.kind === b.kind && (a.kind === 'volume' ? a.name === (b as { name: string }).name : path.resolve(a.path) === path.resolve((b as { path: string }).path));

/** A desired mount: `source` is the volume's name or the host path. */
export function locationOfMount(m: MountSpec): DataLocation {
  return m.type === 'volume' ? { kind: 'volume', name: m.source } : { kind: 'bind', path: m.source };
}

/** A mount as the runtime lists it: `name` is the volume's name, `source` where it is on the host. */
export function locationOfListedMount(m: MountInfo): DataLocation {
  return m.type === 'volume' ? { kind: 'volume', name: m.name ?? m.source } : { kind: 'bind', path: m.source };
}

/** The data mount of a desired service (the one mount services have), if it has data at all. */
export function desiredLocation(def: ServiceDef): { location: DataLocation; target: string } | undefined {
  const m = def.spec.mounts[0];
  return m ? { location: locationOfMount(m), target: m.target } : undefined;
}

/** Where the existing container (or, without one, the service's kept volume) has its data. */
export function currentLocation(def: ServiceDef, actual: ContainerInfo[], volumes: VolumeInfo[]): DataLocation | undefined {
  const want = desiredLocation(def);
  if (!want) return undefined;
  const c = actual.find((x) => x.labels[LABEL.service] === def.name);
  const mount = c?.mounts?.find((m) => m.target === want.target);
  if (mount) return locationOfListedMount(mount);
  if (c && c.mounts !== undefined) return undefined; // a container without a data mount: nothing to lose
  const vol = volumes.find((v) => v.labels[LABEL.service] === def.name);
  return vol ? { kind: 'volume', name: vol.name } : undefined;
}

/**
 * Whether a location holds data. A labelled volume exists only because the service wrote to it;
 * a host directory holds data when it has any entry (unreadable counts as holding data).
 */
export function holdsData(l: DataLocation, volumes: VolumeInfo[]): boolean {
  if (l.kind === 'volume') return volumes.some((v) => v.name === l.name);
  try {
    return existsSync(l.path) && statSync(l.path).isDirectory() && readdirSync(l.path).length > 0;
  } catch {
    return true;
  }
}

export interface LocationChange {
  service: string;
  group: ServiceKind;
  from: DataLocation;
  to: DataLocation;
  /** The old place has data and the new one has none: going ahead would start empty. */
  startsEmpty: boolean;
}

/** Pure given the facts: every selected service whose data location the configuration changes. */
export function locationChanges(defs: ServiceDef[], actual: ContainerInfo[], volumes: VolumeInfo[]): LocationChange[] {
  const out: LocationChange[] = [];
  for (const def of defs) {
    const want = desiredLocation(def);
    const have = currentLocation(def, actual, volumes);
    if (!want || !have || sameLocation(want.location, have)) continue;
    out.push({ service: def.name, group: def.group, from: have, to: want.location, startsEmpty: holdsData(have, volumes) && !holdsData(want.location, volumes) });
  }
  return out;
}

/** The configured value a user would write for a group's data (`services.<group>.data`). */
export function configuredDataOf(change: LocationChange): string {
  return change.to.kind === 'volume' ? 'volume' : configuredData(change.group, change.to.path);
}

/**
 * Refuses, naming both places and the way forward, when `up` would move a service's data to
 * an empty place while the old one still holds it. `force` accepts starting empty.
 */
export function refuseDataMoves(changes: LocationChange[], force: boolean): void {
  const risky = changes.filter((c) => c.startsEmpty);
  if (risky.length === 0 || force) return;
  const groups = [...new Set(risky.map((c) => c.group))];
  const first = risky[0]!;
  const target = configuredDataOf(first);
  throw new UserError(
    `The configuration moves the data of ${risky.map((c) => c.service).join(', ')} to a place that holds none, while the old place still holds it: \`baas up\` would start ${risky.length === 1 ? 'an empty server' : 'empty servers'}.`,
    {
      exitCode: ExitCode.conflict,
      details: risky.map((c) => `${c.service}: data is in ${describeLocation(c.from)}; the configuration now says ${describeLocation(c.to)} (empty)`),
      hint:
        `To move the data there: \`baas data move ${groups[0]} ${target}\` (stops ${groups[0]}, copies the data, verifies the copy and switches to it). ` +
        `To start EMPTY at the new place instead: \`baas up --force\` (the old data stays in ${describeLocation(first.from)}; nothing is deleted). ` +
        'Or put the old value back in platform.config.yaml.',
    },
  );
}
