import { randomBytes } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import type { LoadedConfig } from '../config/load.js';
import { UnhealthyError, UserError } from '../errors.js';
import { LABEL } from '../model/labels.js';
import { closeRedis, keepFollowing, parseInfo, quietSentinelErrors, redisAccess, redisClient, sentinelClientOptions } from '../services/redis.js';
import type { ServiceDef, StackContext } from '../services/types.js';
import type { StackDeps } from '../stack/context.js';
import { projectContainers } from '../stack/context.js';
import { readTopology, stackTopology } from './topology.js';

/**
 * `baas redis failover`: a graceful SENTINEL FAILOVER, or (`kill`) the master's container
 * killed. With `measure`, a writer runs throughout and counts only writes a replica
 * acknowledged (WAIT 1); afterwards every acknowledged key is looked up on the new master.
 */
export interface FailoverOptions {
  kill?: boolean;
  /** Pause the master's container this many ms (docker pause), then resume it: a partition. */
  pauseMs?: number;
  measure?: boolean;
  /** How long to wait for a new master (default 30 s). */
  timeoutMs?: number;
  /** Writes before the failover starts (ms, default 500). */
  warmupMs?: number;
  /** Writes after the first one on the new master (ms, default 1000). */
  settleMs?: number;
  /** Started again after a --kill, and waited for as a replica (default true). */
  restartKilled?: boolean;
}

export interface FailoverResult {
  mode: 'graceful' | 'kill' | 'pause';
  oldMaster: string;
  newMaster: string;
  /** From the trigger to the Sentinels naming the new master. */
  switchMs: number;
  /** From the trigger to the first acknowledged write on the new master (with measure). */
  firstWriteMs?: number;
  writes?: { attempted: number; acknowledged: number; unacknowledged: number; failed: number };
  /** Why writes failed during the run (first words of the error, count). */
  errors?: Record<string, number>;
  /**
   * Set when the Sentinels moved the master again before the run ended (a second failover, as
   * when a Sentinel misses the new master's first pings on a loaded host): the master now.
   */
  masterAfter?: string;
  /** Acknowledged writes missing afterwards on the master the Sentinels name at the end. */
  lostAcknowledged?: number;
  /** Writes the master answered OK but no replica confirmed (WAIT 0), missing afterwards. */
  lostUnconfirmed?: number;
  /** The longest time without any successful write (ms). */
  longestGapMs?: number;
  killedRestarted?: boolean;
  /** After a pause: the old master came back as a replica of the master of the moment. */
  resumedAsReplica?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function masterAddr(ctx: StackContext, defs: ServiceDef[]): Promise<string | undefined> {
  for (const d of defs.filter((x) => x.kind === 'sentinel')) {
    let c: RedisClient | undefined;
    try {
      c = await redisClient(ctx.probeHost, d.hostPort, redisAccess(ctx, 'monitor'));
      const r = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', ctx.config.services.redis.masterName)) as string[] | null;
      if (r?.[0]) return r[0];
    } catch {
      /* next */
    } finally {
      closeRedis(c);
    }
  }
  return undefined;
}

/** Waits (bounded) until every online replica has the master's replication offset. */
async function caughtUp(master: RedisClient, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    const info = parseInfo(await master.info('replication'));
    const offset = Number(info['master_repl_offset'] ?? 0);
    const behind = Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && /state=online/.test(v) && Number(/offset=(\d+)/.exec(v)?.[1] ?? 0) < offset);
    if (behind.length === 0) return;
    await sleep(5);
  }
}

export async function runFailover(deps: StackDeps, loaded: LoadedConfig, stateDir: string, options: FailoverOptions = {}): Promise<FailoverResult> {
  const { ctx, defs, topology } = await stackTopology(deps, loaded, stateDir);
  if (ctx.config.services.redis.replicas === 0 || ctx.config.services.redis.sentinels === 0) {
    throw new UserError('A failover needs at least one replica and one Sentinel.', { hint: 'Set services.redis.replicas and sentinels above 0 and run `baas up`.' });
  }
  if (!topology.master) throw new UnhealthyError('No master: the Sentinels do not answer or do not agree.', { hint: 'See `baas redis topology` and `baas health redis`.' });
  const oldMaster = topology.master;
  const oldDef = defs.find((d) => d.name === oldMaster.service)!;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const runId = randomBytes(4).toString('hex');

  // The writer: sequential SET + WAIT 1, through the Sentinels, with baas's fast reconnect settings.
  const acked: number[] = [];
  /** SET answered OK but WAIT saw no replica: what a client that does not WAIT would call written. */
  const unconfirmed: number[] = [];
  const stats = { attempted: 0, acknowledged: 0, unacknowledged: 0, failed: 0 };
  /** Why writes failed, with counts (the first words of each error). */
  const errors = new Map<string, number>();
  let stop = false;
  let lastOk = Date.now();
  let longestGap = 0;
  let trigger = 0;
  let firstOnNew: number | undefined;
  let newMasterPort: number | undefined;
  let writer: RedisClient | undefined;
  let following: { stop(): void } | undefined;
  let loop: Promise<void> = Promise.resolve();
  if (options.measure) {
    const { Redis } = await import('ioredis');
    writer = new Redis({ ...sentinelClientOptions(ctx, defs, ctx.probeHost, 'app'), commandTimeout: 500, maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    writer.on('error', () => {});
    quietSentinelErrors(writer);
    following = keepFollowing(writer);
    await writer.connect();
    const w = writer;
    loop = (async () => {
      for (let n = 0; !stop; n++) {
        stats.attempted++;
        try {
          await w.set(`baas:failover:${runId}:${n}`, String(n), 'EX', 600);
          const replicas = Number(await w.call('WAIT', 1, 500).catch(() => 0));
          if (replicas >= 1) {
            acked.push(n);
            stats.acknowledged++;
            const now = Date.now();
            longestGap = Math.max(longestGap, now - lastOk);
            lastOk = now;
            const port = (w as unknown as { stream?: { remotePort?: number } }).stream?.remotePort;
            if (trigger && firstOnNew === undefined && newMasterPort !== undefined && port === newMasterPort) firstOnNew = now;
          } else {
            stats.unacknowledged++;
            unconfirmed.push(n);
          }
        } catch (e) {
          stats.failed++;
          const m = e instanceof Error ? e.message.split('.')[0]!.slice(0, 80) : String(e);
          errors.set(m, (errors.get(m) ?? 0) + 1);
          await sleep(5);
        }
      }
    })();
    await sleep(options.warmupMs ?? 500);
  }

  trigger = Date.now();
  let killedId: string | undefined;
  let paused: RedisClient | undefined;
  let pausedId: string | undefined;
  let resumed: Promise<void> | undefined;
  if (options.kill || options.pauseMs) {
    const c = (await projectContainers(deps.runtime, ctx.project)).find((x) => x.labels[LABEL.service] === oldDef.name);
    if (!c) throw new UserError(`${oldDef.name} has no container.`, { hint: 'Run `baas up`.' });
    if (options.kill) {
      await deps.runtime.killContainer(c.id);
      killedId = c.id;
    } else {
      if (!deps.runtime.pauseContainer || !deps.runtime.unpauseContainer) throw new UserError('This container runtime cannot pause containers.');
      await deps.runtime.pauseContainer(c.id);
      pausedId = c.id;
      const unpause = deps.runtime.unpauseContainer.bind(deps.runtime);
      resumed = sleep(options.pauseMs!).then(() => unpause(c.id));
    }
  } else {
    // Sentinel's own failover promotes a replica without waiting for it, and the old master
    // keeps taking writes until Sentinel demotes it: both lose acknowledged writes. So writes
    // are paused on the old master first, the replicas caught up, and the pause lifted only
    // once the old master follows the new one.
    paused = await redisClient(ctx.probeHost, oldDef.hostPort, redisAccess(ctx, 'admin'));
    await paused.call('CLIENT', 'PAUSE', String(timeoutMs), 'WRITE');
    await caughtUp(paused, 2000);
    const s = defs.find((d) => d.kind === 'sentinel')!;
    const c = await redisClient(ctx.probeHost, s.hostPort, redisAccess(ctx, 'admin'));
    try {
      await c.call('SENTINEL', 'FAILOVER', ctx.config.services.redis.masterName);
    } catch (e) {
      await paused.call('CLIENT', 'UNPAUSE').catch(() => {});
      closeRedis(paused);
      throw e;
    } finally {
      closeRedis(c);
    }
  }

  // The switch, as the Sentinels announce it.
  let newIp: string | undefined;
  let switchMs = 0;
  while (Date.now() - trigger < timeoutMs) {
    const ip = await masterAddr(ctx, defs);
    if (ip && ip !== oldMaster.ip) {
      newIp = ip;
      switchMs = Date.now() - trigger;
      break;
    }
    await sleep(20);
  }
  const newDef = defs.find((d) => d.internal.ip === newIp);
  newMasterPort = newDef?.hostPort;
  try {
    if (paused) {
      // Sentinel would demote the old master only after the pause (its REPLICAOF comes in a
      // transaction the pause holds back): demote it now, then lift the pause. Its clients get
      // READONLY and reconnect through the Sentinels.
      if (newDef) await paused.call('REPLICAOF', newDef.internal.ip, '6379').catch(() => {});
      await paused.call('CLIENT', 'UNPAUSE').catch(() => {});
      closeRedis(paused);
    }
    if (!newDef) throw new UnhealthyError(`No new master within ${Math.round(timeoutMs / 1000)} s of the ${options.kill ? 'kill' : 'failover request'}.`, { hint: 'See `baas redis topology`: is the Sentinel quorum there?' });
    if (options.measure) {
      while (firstOnNew === undefined && Date.now() - trigger < timeoutMs) await sleep(10);
      await sleep(options.settleMs ?? 1000);
    }
    // Keep writing until the paused master is back (and has been demoted), so writes it takes meanwhile count.
    if (resumed) {
      await resumed;
      await sleep(options.settleMs ?? 1000);
    }
  } finally {
    if (resumed) await resumed.catch(() => {});
    stop = true;
    await loop;
    following?.stop();
    closeRedis(writer);
  }

  // The master the Sentinels name now: the data that counts is there, even when a second
  // failover moved it on from newDef.
  const nowIp = newDef ? await masterAddr(ctx, defs) : undefined;
  const afterDef = defs.find((d) => d.internal.ip === nowIp) ?? newDef;
  const masterAfter = afterDef && newDef && afterDef.name !== newDef.name ? afterDef.name : undefined;

  let lost: number | undefined;
  let lostUnconfirmed: number | undefined;
  if (options.measure && afterDef) {
    const c = await redisClient(ctx.probeHost, afterDef.hostPort, redisAccess(ctx, 'admin'));
    const missing = async (ns: number[]): Promise<number> => {
      let m = 0;
      for (let i = 0; i < ns.length; i += 1000) {
        const vals = await c.mget(...ns.slice(i, i + 1000).map((n) => `baas:failover:${runId}:${n}`));
        m += vals.filter((v) => v === null).length;
      }
      return m;
    };
    try {
      lost = await missing(acked);
      lostUnconfirmed = await missing(unconfirmed);
    } finally {
      closeRedis(c);
    }
  }

  let killedRestarted: boolean | undefined;
  if (killedId && options.restartKilled !== false) {
    await deps.runtime.startContainer(killedId);
    // It comes back as a master of nothing: Sentinel turns it into a replica; wait for that.
    const deadline = Date.now() + 30_000;
    killedRestarted = false;
    while (Date.now() < deadline) {
      const t = await readTopology(ctx, defs).catch(() => undefined);
      if (t?.replicas.some((r) => r.service === oldDef.name && r.link === 'online')) {
        killedRestarted = true;
        break;
      }
      await sleep(250);
    }
  }

  let resumedAsReplica: boolean | undefined;
  if (pausedId && newDef) {
    const deadline = Date.now() + 30_000;
    resumedAsReplica = false;
    while (Date.now() < deadline) {
      const t = await readTopology(ctx, defs).catch(() => undefined);
      // A replica of the master of the moment: a second failover may have moved it on from newDef.
      if (t?.master && t.master.service !== oldDef.name && t.replicas.some((r) => r.service === oldDef.name && r.link === 'online')) {
        resumedAsReplica = true;
        break;
      }
      await sleep(250);
    }
  }

  return {
    mode: options.kill ? 'kill' : pausedId ? 'pause' : 'graceful',
    oldMaster: oldDef.name,
    newMaster: newDef!.name,
    switchMs,
    ...(masterAfter ? { masterAfter } : {}),
    ...(options.measure
      ? { firstWriteMs: firstOnNew !== undefined ? firstOnNew - trigger : undefined, writes: stats, errors: Object.fromEntries(errors), lostAcknowledged: lost, lostUnconfirmed, longestGapMs: longestGap }
      : {}),
    ...(killedRestarted !== undefined ? { killedRestarted } : {}),
    ...(resumedAsReplica !== undefined ? { resumedAsReplica } : {}),
  };
}
