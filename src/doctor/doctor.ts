import { statfsSync } from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { isBaasError, messageOf } from '../errors.js';
import type { ContainerInfo } from '../runtime/types.js';
import { servicePorts } from '../stack/desired.js';
import { bindAddressOf, portInUse, type StackDeps } from '../stack/context.js';
import { LABEL } from '../model/labels.js';
import { describeHeadroom, headroom, hostStatFs } from '../stack/disk.js';
import { probeReflink } from './reflink.js';
import { imageFor } from '../services/common.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  hint?: string;
}

export interface DoctorResult {
  checks: Check[];
  ok: boolean;
}

function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

/** Everything that commonly stops `baas up`, checked without changing anything. */
export async function doctor(deps: StackDeps, loaded: LoadedConfig): Promise<DoctorResult> {
  const checks: Check[] = [];
  const cfg = loaded.config;
  let dockerRoot = '/var/lib/docker';
  let containers: ContainerInfo[] = [];
  let dockerOk = false;
  try {
    const info = await deps.runtime.ping();
    dockerOk = true;
    dockerRoot = info.rootDir || dockerRoot;
    checks.push({ name: 'docker', status: 'ok', detail: `Docker ${info.version} (API ${info.apiVersion}, ${info.os}) is reachable` });
    containers = await deps.runtime.listContainers({});
  } catch (e) {
    checks.push({ name: 'docker', status: 'fail', detail: messageOf(e), ...(isBaasError(e) && e.hint ? { hint: e.hint } : {}) });
  }

  const bind = bindAddressOf(loaded);
  for (const p of servicePorts(cfg)) {
    if (p.configured === 'auto') {
      checks.push({ name: `port ${p.service}`, status: 'ok', detail: 'auto: a free port is chosen at first `up`' });
      continue;
    }
    const port = p.configured + p.offset;
    const holder = containers.find((c) => c.state === 'running' && c.ports.some((x) => x.host === port));
    if (holder && holder.labels[LABEL.project] === cfg.project && holder.labels[LABEL.service] === p.service) {
      checks.push({ name: `port ${port}`, status: 'ok', detail: `used by this stack's ${p.service}` });
    } else if (holder) {
      checks.push({ name: `port ${port}`, status: 'fail', detail: `wanted by ${p.service}, held by container ${holder.name}`, hint: `Stop ${holder.name} or change the port in platform.config.yaml (or use 'auto').` });
    } else if (await portInUse(bind === '0.0.0.0' ? '0.0.0.0' : bind, port)) {
      checks.push({ name: `port ${port}`, status: 'fail', detail: `wanted by ${p.service}, already in use by another process`, hint: 'Stop that process or change the port in platform.config.yaml (or use \'auto\').' });
    } else {
      checks.push({ name: `port ${port}`, status: 'ok', detail: `free for ${p.service}` });
    }
  }

  for (const [label, dir] of [['disk (Docker data)', dockerRoot], ['disk (project)', loaded.dir]] as const) {
    const free = freeBytes(dir);
    if (free === undefined) {
      checks.push({ name: label, status: 'warn', detail: `cannot read free space of ${dir}` });
      continue;
    }
    const gb = free / 1024 ** 3;
    checks.push({
      name: label,
      status: gb < 1 ? 'fail' : gb < 5 ? 'warn' : 'ok',
      detail: `${gb.toFixed(1)} GB free on ${dir}`,
      ...(gb < 5 ? { hint: 'Free some space: `docker system prune` removes unused images and stopped containers.' } : {}),
    });
  }

  // Where each engine keeps its data: a full data location stops the engine, whatever the other disks say.
  for (const group of ['postgres', 'redis', 'mongo'] as const) {
    const svc = cfg.services[group];
    if (!svc.enabled) continue;
    const volume = svc.data === 'volume';
    const dir = volume ? path.join(dockerRoot, 'volumes') : path.resolve(loaded.dir, svc.data);
    const measured = existsOrParent(dir);
    const name = `disk (${group} data)`;
    let stats;
    try {
      stats = hostStatFs(measured);
    } catch (e) {
      checks.push({ name, status: 'warn', detail: `cannot read free space of ${measured} (${messageOf(e)})` });
      continue;
    }
    const where = volume ? `Docker volumes (${dir})` : dir === measured ? dir : `${dir} (not created yet; measured ${measured})`;
    const h = headroom(where, stats);
    checks.push({
      name,
      status: h.full ? 'fail' : h.low ? 'warn' : 'ok',
      detail: describeHeadroom(h),
      ...(h.low ? { hint: `Free space on the filesystem holding ${volume ? 'Docker\'s volumes' : dir}, or set services.${group}.data to a path on a larger one.` } : {}),
    });
  }

  const pg = cfg.services.postgres;
  if (pg.enabled) {
    const dataDir = pg.data === 'volume' ? path.join(dockerRoot, 'volumes') : path.resolve(loaded.dir, pg.data);
    const probe = probeReflink(pg.data === 'volume' ? dataDir : path.dirname(dataDir) === dataDir ? dataDir : existsOrParent(dataDir));
    const clone = probe.reflink && pg.version >= 18;
    checks.push({
      name: 'postgres branches',
      status: clone ? 'ok' : 'warn',
      detail: clone
        ? `data on ${probe.filesystem} (${probe.path}) supports reflink: branches are copy-on-write clones (file_copy_method=clone)`
        : `${probe.detail}${pg.version < 18 ? `; Postgres ${pg.version} has no file_copy_method (needs 18)` : ''}: branches fall back to a full copy`,
      ...(clone ? {} : { hint: 'Put services.postgres.data on an XFS (mkfs.xfs -m reflink=1) or btrfs path for instant branches.' }),
    });
  }

  if (dockerOk) {
    const ctx = { config: cfg };
    for (const group of ['postgres', 'redis', 'mongo'] as const) {
      if (!cfg.services[group].enabled) continue;
      const image = imageFor(ctx, group);
      const present = await deps.runtime.imageExists(image).catch(() => false);
      checks.push({
        name: `image ${group}`,
        status: present ? 'ok' : 'warn',
        detail: present ? `${image} is present` : `${image} is not present locally (up will ${image.startsWith('baas-local/') ? 'build' : 'pull'} it)`,
        ...(present || image.startsWith('baas-local/') ? {} : { hint: 'Without registry access, run `baas images build` and set `images: local`.' }),
      });
    }
  }
  return { checks, ok: checks.every((c) => c.status !== 'fail') };
}

function existsOrParent(dir: string): string {
  let d = dir;
  // The data directory may not exist before the first `up`; probe the nearest existing parent.
  for (let i = 0; i < 10; i++) {
    try {
      statfsSync(d);
      return d;
    } catch {
      d = path.dirname(d);
    }
  }
  return d;
}
