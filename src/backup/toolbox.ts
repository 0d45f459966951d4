/**
 * Short-lived containers for the backup commands: a tool container that mounts the repository
 * (and a data directory) to run scripts in when Postgres itself is not running, and the
 * recovering server. They carry `baas.oneoff=<project>` (not `baas.project`, so `up` and
 * `status` never take them for part of the stack) and the owner's host and pid, so leftovers of a
 * killed command are removed by the next one.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { ContainerRuntime, MountSpec, PortBinding } from '../runtime/types.js';
import type { RepoShell } from './repo.js';

export const ONEOFF_LABEL = 'baas.oneoff';
export const OWNER_LABEL = 'baas.owner';

export interface ToolboxOptions {
  project: string;
  /** Names the container: baas-<project>-<purpose>-<random>. */
  purpose: string;
  image: string;
  mounts: MountSpec[];
  extraLabels: Record<string, string>;
  ports?: PortBinding[];
  /** Default: sleep until removed (scripts run with exec). */
  cmd?: string[];
  env?: Record<string, string>;
  /** Attach to this network with this address instead of Docker's default bridge. */
  network?: { name: string; ip: string };
}

export interface Toolbox {
  id: string;
  name: string;
  shell: RepoShell;
  remove(): Promise<void>;
}

export const ownerTag = (): string => `${os.hostname()}:${process.pid}`;

export function shellIn(runtime: ContainerRuntime, containerId: string): RepoShell {
  return {
    containerId,
    run: (script, env) => runtime.exec(containerId, ['bash', '-c', script], env ? { env } : {}),
  };
}

export async function startToolbox(runtime: ContainerRuntime, o: ToolboxOptions): Promise<Toolbox> {
  const name = `baas-${o.project}-${o.purpose}-${randomBytes(2).toString('hex')}`;
  const id = await runtime.createContainer({
    name,
    image: o.image,
    cmd: o.cmd ?? ['sleep', 'infinity'],
    env: o.env ?? {},
    labels: { ...o.extraLabels, [ONEOFF_LABEL]: o.project, [OWNER_LABEL]: ownerTag() },
    network: o.network?.name ?? 'bridge',
    ipv4: o.network?.ip ?? '',
    hostname: o.purpose,
    ports: o.ports ?? [],
    mounts: o.mounts,
    restartPolicy: 'no',
  });
  const remove = (): Promise<void> => runtime.removeContainer(id).catch(() => {});
  try {
    await runtime.startContainer(id);
  } catch (e) {
    await remove();
    throw e;
  }
  return { id, name, shell: shellIn(runtime, id), remove };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Whether a host:pid owner is gone (only judged on this host; elsewhere, never). */
export function ownerGone(owner: string | { host: string; pid: number } | undefined): boolean {
  if (!owner) return true;
  const [host, pid] = typeof owner === 'string' ? [owner.slice(0, owner.lastIndexOf(':')), Number(owner.slice(owner.lastIndexOf(':') + 1))] : [owner.host, owner.pid];
  if (host !== os.hostname()) return false;
  return !Number.isInteger(pid) || pid <= 0 || !alive(pid);
}

/** Removes tool containers of the project whose command was killed. */
export async function removeStaleToolboxes(runtime: ContainerRuntime, project: string): Promise<number> {
  const list = await runtime.listContainers({ [ONEOFF_LABEL]: project });
  const stale = list.filter((c) => ownerGone(c.labels[OWNER_LABEL]));
  await Promise.all(stale.map((c) => runtime.removeContainer(c.id).catch(() => {})));
  return stale.length;
}
