import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ExternalError, messageOf } from '../errors.js';
import type { ContainerRuntime, MountInfo, MountSpec } from '../runtime/types.js';
import { DRIVERS, driverFor } from '../services/drivers.js';
import type { ContainerKind, OwnedData } from '../services/types.js';
import type { DataLocation } from './data-location.js';

/**
 * Copying and deleting a service's data files. Both run in a short-lived container of the
 * service's own image (no network, as root): the files belong to the database's user inside the
 * container (Postgres keeps its directory 0700), which the person running baas often is not,
 * and a named volume is only reachable through Docker.
 */

export interface HelperDeps {
  runtime: ContainerRuntime;
  /** Labels for the helper container, so a crash leaves nothing unlabelled. */
  labels: Record<string, string>;
}

const mountOf = (l: DataLocation, target: string): MountSpec =>
  l.kind === 'volume' ? { type: 'volume', source: l.name, target } : { type: 'bind', source: l.path, target };

/** The shell script that copies /from into /to (clones where the filesystem can) and proves the copy equal. */
export const COPY_SCRIPT = `set -eu
if [ -n "$(ls -A /to)" ]; then echo "baas: the target is not empty" >&2; exit 4; fi
cp -a --reflink=auto /from/. /to/
if ! diff -r --no-dereference /from /to >/tmp/baas-diff 2>&1; then
  echo "baas: the copy differs from the original:" >&2; head -n 20 /tmp/baas-diff >&2; exit 3
fi
# Names, types, modes and owners of everything, sizes of files (a directory's size depends on the filesystem).
list() { cd "$1" && find . \\( -type d -printf '%p %y %m %U %G\\n' \\) -o \\( -printf '%p %y %m %U %G %s\\n' \\) | sort | md5sum; }
a=$(list /from)
b=$(list /to)
if [ "$a" != "$b" ]; then echo "baas: names, sizes, modes or owners differ after the copy" >&2; exit 3; fi
echo "baas-files $(find /to | wc -l)"
echo "baas-bytes $(du -sb /to | cut -f1)"`;

export interface CopyReport {
  files: number;
  bytes: number;
}

/** Copies one data location into an empty host directory (created if missing) and verifies it. */
export async function copyData(deps: HelperDeps, image: string, from: DataLocation, to: string): Promise<CopyReport> {
  mkdirSync(to, { recursive: true });
  const res = await deps.runtime.runOnce({ image, cmd: ['sh', '-c', COPY_SCRIPT], mounts: [mountOf(from, '/from'), { type: 'bind', source: to, target: '/to' }], labels: deps.labels });
  if (res.exitCode !== 0) {
    const why = res.exitCode === 4 ? `${to} is not empty` : res.exitCode === 3 ? 'the copy does not match the original' : `cp exited ${res.exitCode}`;
    throw new ExternalError(`Copying the data to ${to} failed: ${why}.`, {
      details: (res.stderr || res.stdout).trim().split('\n').slice(-20),
      hint: `The original data was not touched. Check free space and permissions at ${to}, empty it, and run the command again.`,
    });
  }
  const num = (k: string): number => Number(new RegExp(`${k} (\\d+)`).exec(res.stdout)?.[1] ?? 0);
  return { files: num('baas-files'), bytes: num('baas-bytes') };
}

/**
 * What baas itself writes inside a bind-mounted data directory (the engine's driver says): only
 * that is deleted, so a data path that also holds other files (or is the project directory
 * itself) loses nothing else. Undefined for an engine without data.
 */
export function ownedEntries(kind: ContainerKind, mountSource: string): OwnedData | undefined {
  return driverFor(kind).ownedData?.(mountSource);
}

export interface RemovedData {
  /** Paths deleted. */
  removed: string[];
  /** Paths left in place, with why. */
  kept: { path: string; why: string }[];
}

/** Deletes what a service wrote into a bind-mounted directory (see ownedEntries); the directory itself stays. */
export async function removeBindData(deps: HelperDeps, image: string | undefined, kind: ContainerKind, mountSource: string): Promise<RemovedData> {
  const own = ownedEntries(kind, mountSource);
  if (!own || !existsSync(own.dir)) return { removed: [], kept: [] };
  const present =
    'everythingIf' in own
      ? existsSync(path.join(own.dir, own.everythingIf))
        ? readdirSync(own.dir)
        : []
      : own.entries.filter((e) => existsSync(path.join(own.dir, e)));
  if (present.length === 0) {
    const other = readdirSync(own.dir).length > 0;
    return { removed: [], kept: other && 'everythingIf' in own ? [{ path: own.dir, why: `it does not look like a ${kind} data directory (no ${own.everythingIf})` }] : [] };
  }
  const paths = present.map((e) => path.join(own.dir, e));
  if (image) {
    const args = present.map((e) => `/d/${e}`);
    const res = await deps.runtime
      .runOnce({ image, cmd: ['rm', '-rf', '--', ...args], mounts: [{ type: 'bind', source: own.dir, target: '/d' }], labels: deps.labels })
      .catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: messageOf(e) }));
    if (res.exitCode === 0) return { removed: paths, kept: [] };
  }
  // Without the image (or when the helper failed), try as the user running baas.
  try {
    for (const p of paths) rmSync(p, { recursive: true, force: true });
    return { removed: paths, kept: [] };
  } catch (e) {
    return { removed: [], kept: paths.map((p) => ({ path: p, why: messageOf(e) })) };
  }
}

export interface BindData {
  service: string;
  kind: ContainerKind;
  /** The host directory mounted as the service's data. */
  source: string;
  image: string | undefined;
}

/**
 * The stack's bind-mounted data directories: those of its containers (even if the configuration
 * changed since), and those the configuration names. Named volumes are not included.
 */
export function bindDataOf(
  desired: { name: string; kind: ContainerKind; spec: { image: string; mounts: MountSpec[] } }[],
  containers: { image: string; labels: Record<string, string>; mounts?: MountInfo[] }[],
  serviceLabel: string,
  kindLabel: string,
): BindData[] {
  const out = new Map<string, BindData>();
  for (const c of containers) {
    // Only engines that keep data (not the sentinels, not a helper container).
    const driver = DRIVERS.find((d) => d.kind === c.labels[kindLabel]);
    if (!driver?.ownedData) continue;
    const kind = driver.kind;
    const want = desired.find((d) => d.name === c.labels[serviceLabel]);
    for (const m of c.mounts ?? []) {
      if (m.type !== 'bind' || (want && want.spec.mounts[0] && m.target !== want.spec.mounts[0].target)) continue;
      out.set(m.source, { service: c.labels[serviceLabel] ?? '', kind, source: m.source, image: want?.spec.image ?? c.image });
    }
  }
  for (const d of desired) {
    const m = d.spec.mounts[0];
    if (m?.type === 'bind' && !out.has(m.source)) out.set(m.source, { service: d.name, kind: d.kind, source: m.source, image: d.spec.image });
  }
  return [...out.values()];
}
