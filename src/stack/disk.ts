/**
 * Disk headroom where services keep their data: a bind path, or a volume (its directory on the
 * Docker host). Measured on the host with statfs; when the host path cannot be read (a volume
 * under a Docker root this user may not enter), asked inside the running container with `df`.
 */
import { statfsSync } from 'node:fs';
import path from 'node:path';
import { bytes } from '../format.js';
import type { ContainerInfo, ContainerRuntime } from '../runtime/types.js';
import type { DiskHeadroom, ServiceDef } from '../services/types.js';

/** Below this, a data location counts as full: Postgres cannot even write its WAL. */
export const DISK_FULL_BYTES = 64 * 1024 ** 2;
/** Below either, headroom is reported as low (still healthy). */
export const DISK_LOW_BYTES = 1024 ** 3;
export const DISK_LOW_RATIO = 0.1;

export interface FsStats {
  freeBytes: number;
  totalBytes: number;
}

export type StatFs = (dir: string) => FsStats;

export const hostStatFs: StatFs = (dir) => {
  const s = statfsSync(dir);
  return { freeBytes: Number(s.bavail) * Number(s.bsize), totalBytes: Number(s.blocks) * Number(s.bsize) };
};

/** Pure: judges a measurement. */
export function headroom(location: string, stats: FsStats): DiskHeadroom {
  const full = stats.freeBytes < DISK_FULL_BYTES;
  const low = full || stats.freeBytes < DISK_LOW_BYTES || (stats.totalBytes > 0 && stats.freeBytes / stats.totalBytes < DISK_LOW_RATIO);
  return { location, freeBytes: stats.freeBytes, totalBytes: stats.totalBytes, full, low };
}

export function describeHeadroom(d: DiskHeadroom): string {
  const pct = d.totalBytes > 0 ? ` (${Math.floor((d.freeBytes / d.totalBytes) * 100)} %)` : '';
  return `${bytes(d.freeBytes)} free of ${bytes(d.totalBytes)}${pct} at ${d.location}`;
}

/** Parses `df -Pk <dir>`: the second line's 1024-blocks and Available columns. */
export function parseDf(text: string): FsStats | undefined {
  const line = text.trim().split('\n')[1];
  const f = line?.trim().split(/\s+/);
  if (!f || f.length < 4) return undefined;
  const total = Number(f[1]);
  const avail = Number(f[3]);
  return Number.isFinite(total) && Number.isFinite(avail) ? { totalBytes: total * 1024, freeBytes: avail * 1024 } : undefined;
}

/** The data mount of a service (its first mount), where it is on the host, and how to name it. */
export function dataLocation(def: ServiceDef, container?: ContainerInfo, dockerRoot?: string): { location: string; hostPath: string | undefined; target: string } | undefined {
  const m = def.spec.mounts[0];
  if (!m) return undefined;
  if (m.type === 'bind') return { location: m.source, hostPath: m.source, target: m.target };
  const listed = container?.mounts?.find((x) => x.target === m.target)?.source;
  const hostPath = listed || (dockerRoot ? path.join(dockerRoot, 'volumes', m.source, '_data') : undefined);
  return { location: `volume ${m.source}${hostPath ? ` (${hostPath})` : ''}`, hostPath, target: m.target };
}

/** Headroom of a service's data location; undefined when it has none or nothing could be measured. */
export async function measureHeadroom(
  runtime: ContainerRuntime,
  def: ServiceDef,
  container: ContainerInfo | undefined,
  options: { statfs?: StatFs; dockerRoot?: string } = {},
): Promise<DiskHeadroom | undefined> {
  const where = dataLocation(def, container, options.dockerRoot);
  if (!where) return undefined;
  if (where.hostPath) {
    try {
      return headroom(where.location, (options.statfs ?? hostStatFs)(where.hostPath));
    } catch {
      /* not readable from here: ask the container */
    }
  }
  if (!container || container.state !== 'running') return undefined;
  try {
    const r = await runtime.exec(container.id, ['df', '-Pk', where.target]);
    const stats = r.exitCode === 0 ? parseDf(r.stdout) : undefined;
    return stats ? headroom(where.location, stats) : undefined;
  } catch {
    return undefined;
  }
}
