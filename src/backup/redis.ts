/**
 * Redis in a backup: an RDB snapshot taken on a replica (BGSAVE there, so the master never
 * forks for it), copied into the backup with Docker's archive API; and the way back, as the base
 * file of the node's append-only log (with `appendonly yes` Redis 7 ignores a dump.rdb on start).
 */
import type { Redis as RedisClient } from 'ioredis';
import { ExternalError, messageOf } from '../errors.js';
import { LABEL } from '../model/labels.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { closeRedis, parseInfo, redisClient } from '../services/redis.js';
import type { ServiceDef } from '../services/types.js';
import type { Clock } from '../wait.js';
import type { RepoShell } from './repo.js';
import type { SourceStack } from './source.js';

export interface RedisSnapshot {
  file: string;
  bytes: number;
  node: string;
  role: string;
  takenAt: string;
}

/** undefined: the stack has no Redis. */
export type RedisOutcome = { snapshot: RedisSnapshot } | { note: string } | undefined;

/** Pure: the node to snapshot: a replica whose link to the master is up, else the master. */
export function pickSnapshotNode(nodes: { name: string; info: Record<string, string> }[]): { name: string; role: string } | undefined {
  const replica = nodes.find((n) => n.info['role'] === 'slave' && n.info['master_link_status'] === 'up' && n.info['master_sync_in_progress'] !== '1');
  if (replica) return { name: replica.name, role: 'replica' };
  const master = nodes.find((n) => n.info['role'] === 'master');
  return master ? { name: master.name, role: 'master' } : undefined;
}

/**
 * BGSAVE on the chosen node and waits until it finished with a newer LASTSAVE. Then copies its
 * dump.rdb into `dir` of the shell's container, as redis.rdb.
 */
export async function snapshotRedis(
  runtime: ContainerRuntime,
  s: SourceStack,
  shell: RepoShell,
  dir: string,
  clock: Clock,
  now: () => Date,
): Promise<RedisOutcome> {
  const cfg = s.ctx.config.services.redis;
  if (!cfg.enabled) return undefined;
  const nodes = s.defs.filter((d) => d.kind === 'redis');
  const running = nodes.filter((d) => s.actual.some((c) => c.labels[LABEL.service] === d.name && c.state === 'running'));
  if (running.length === 0) return { note: 'no Redis node is running, so Redis is not in this backup' };
  const clients = new Map<string, RedisClient>();
  try {
    const infos: { name: string; info: Record<string, string> }[] = [];
    for (const d of running) {
      try {
        const c = await redisClient(s.ctx.probeHost, d.hostPort, s.secrets.redis.password);
        clients.set(d.name, c);
        infos.push({ name: d.name, info: parseInfo(await c.info('replication')) });
      } catch {
        /* a node that does not answer is not a candidate */
      }
    }
    const pick = pickSnapshotNode(infos);
    if (!pick) return { note: 'no Redis node answered, so Redis is not in this backup' };
    const client = clients.get(pick.name)!;
    const def = nodes.find((d) => d.name === pick.name)!;
    const saves = async (): Promise<Record<string, string>> => parseInfo(await client.info('persistence'));
    const before = Number((await saves())['rdb_saves'] ?? -1);
    await bgsave(client, clock);
    const deadline = clock.now() + 300_000;
    for (;;) {
      const p = await saves();
      // rdb_saves (Redis 7) counts finished snapshots; without it, no save in progress is the sign.
      const done = p['rdb_bgsave_in_progress'] === '0' && (before < 0 || Number(p['rdb_saves'] ?? 0) > before);
      if (done) {
        if (p['rdb_last_bgsave_status'] !== 'ok') {
          throw new ExternalError(`Redis ${pick.name} could not write its snapshot (rdb_last_bgsave_status: ${p['rdb_last_bgsave_status']}).`, { code: 'backup_failed', hint: `See \`baas logs ${pick.name}\`.` });
        }
        break;
      }
      if (clock.now() > deadline) throw new ExternalError(`Redis ${pick.name} did not finish its snapshot within 5 minutes.`, { code: 'backup_failed' });
      await clock.sleep(100);
    }
    const takenAt = now().toISOString();
    const bytes = await copyRdb(runtime, s, def, shell, dir);
    return { snapshot: { file: 'redis.rdb', bytes, node: pick.name, role: pick.role, takenAt } };
  } finally {
    for (const c of clients.values()) closeRedis(c);
  }
}

async function bgsave(client: RedisClient, clock: Clock): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      await client.bgsave();
      return;
    } catch (e) {
      // One already running (AOF rewrite or another save): wait for it and ask again.
      if (!/in progress|already/i.test(messageOf(e))) throw e;
      await clock.sleep(100);
    }
  }
}

async function copyRdb(runtime: ContainerRuntime, s: SourceStack, def: ServiceDef, shell: RepoShell, dir: string): Promise<number> {
  const container = s.actual.find((c) => c.labels[LABEL.service] === def.name)!;
  const tar = await runtime.getArchive(container.id, '/data/dump.rdb');
  await runtime.putArchive(shell.containerId, dir, tar);
  const r = await shell.run('set -e; cd "$DIR"; mv dump.rdb redis.rdb; sync redis.rdb; stat -c %s redis.rdb', { DIR: dir });
  if (r.exitCode !== 0) throw new ExternalError(`Could not store the Redis snapshot in the backup: ${r.stderr.trim()}`, { code: 'backup_failed' });
  return Number(r.stdout.trim());
}

/**
 * Lays an RDB file out as the base of a node's append-only log (Redis 7's multi-part AOF), so the
 * node loads it on start; the node's old log and dump are removed. Run in a container that
 * mounts the node's data at /data and the repository. Env: RDB (path of the snapshot).
 */
export const SEED_AOF_SCRIPT = `set -eu
rm -rf /data/appendonlydir /data/dump.rdb /data/temp-*.rdb
mkdir -p /data/appendonlydir
cp "$RDB" /data/appendonlydir/appendonly.aof.1.base.rdb
printf 'file appendonly.aof.1.base.rdb seq 1 type b\\n' > /data/appendonlydir/appendonly.aof.manifest
chown -R redis:redis /data
sync
`;

/** Empties a replica's data, so it takes a full copy from the restored master. */
export const WIPE_REPLICA_SCRIPT = `set -eu
rm -rf /data/appendonlydir /data/dump.rdb /data/temp-*.rdb
`;
