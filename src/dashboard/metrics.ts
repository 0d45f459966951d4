/**
 * Pure derivations from what Redis answers: counters from INFO, rates from two samples,
 * replication lag, LATENCY LATEST / SLOWLOG / SENTINEL replies. No I/O here.
 */
import { parseInfo } from '../services/redis.js';
import type { HistoryPoint, LatencyView, Overview, ReplicaView } from './types.js';

export { parseInfo };

/** Counters of one INFO reply, plus what the dashboard itself did on that connection. */
export interface NodeSample {
  at: number;
  runId: string;
  info: Record<string, string>;
  /** Commands the dashboard had sent on this server up to (not including) this INFO. */
  ownCommands: number;
  /** Key lookups the dashboard made itself (OBJECT FREQ counts as a hit or a miss). */
  ownHits: number;
  ownMisses: number;
}

const num = (info: Record<string, string>, key: string): number => {
  const v = Number(info[key]);
  return Number.isFinite(v) ? v : 0;
};

export function keyCount(info: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(info)) {
    if (!/^db\d+$/.test(k)) continue;
    n += Number(/keys=(\d+)/.exec(v)?.[1] ?? 0);
  }
  return n;
}

/** `7.0.15` → [7, 0, 15]; missing parts are 0. */
export function parseVersion(v: string | undefined): [number, number, number] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v ?? '');
  return [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0), Number(m?.[3] ?? 0)];
}

export function versionAtLeast(v: string | undefined, major: number, minor: number): boolean {
  const [a, b] = parseVersion(v);
  return a > major || (a === major && b >= minor);
}

/**
 * The overview of one server over the interval between two samples. Rates are null on the
 * first sample, after a restart (run_id changed) or when a counter went backwards (CONFIG
 * RESETSTAT), because a delta across those is meaningless. The dashboard's own commands and
 * lookups are subtracted so an idle server shows 0 ops/s, not the dashboard's INFO calls.
 */
export function overviewOf(cur: NodeSample, prev: NodeSample | undefined): Overview {
  const i = cur.info;
  const comparable = prev !== undefined && prev.runId === cur.runId && cur.at > prev.at;
  const dt = comparable ? (cur.at - prev.at) / 1000 : 0;
  const delta = (key: string): number | null => {
    if (!comparable) return null;
    const d = num(i, key) - num(prev.info, key);
    return d >= 0 ? d : null;
  };
  const rate = (d: number | null): number | null => (d === null || dt <= 0 ? null : d / dt);

  const cmdDelta = delta('total_commands_processed');
  const ops = cmdDelta === null || !prev ? null : Math.max(0, cmdDelta - (cur.ownCommands - prev.ownCommands));
  const hitsRaw = delta('keyspace_hits');
  const missesRaw = delta('keyspace_misses');
  const hits = hitsRaw === null || !prev ? null : Math.max(0, hitsRaw - (cur.ownHits - prev.ownHits));
  const misses = missesRaw === null || !prev ? null : Math.max(0, missesRaw - (cur.ownMisses - prev.ownMisses));
  const lookups = (hits ?? 0) + (misses ?? 0);
  const totalHits = num(i, 'keyspace_hits') - cur.ownHits;
  const totalMisses = num(i, 'keyspace_misses') - cur.ownMisses;
  const maxmemory = num(i, 'maxmemory');
  const used = num(i, 'used_memory');
  const frag = Number(i['mem_fragmentation_ratio']);
  return {
    opsPerSec: rate(ops),
    hitRate: hits === null || misses === null || lookups === 0 ? null : hits / lookups,
    hitRateLifetime: totalHits + totalMisses > 0 ? Math.max(0, totalHits) / (Math.max(0, totalHits) + Math.max(0, totalMisses)) : null,
    hits,
    misses,
    usedMemory: used,
    maxmemory,
    memoryRatio: maxmemory > 0 ? used / maxmemory : null,
    evictionsPerSec: rate(delta('evicted_keys')),
    expirationsPerSec: rate(delta('expired_keys')),
    connectedClients: num(i, 'connected_clients'),
    blockedClients: num(i, 'blocked_clients'),
    rejectedConnections: num(i, 'rejected_connections'),
    rejectedPerSec: rate(delta('rejected_connections')),
    fragmentation: Number.isFinite(frag) ? frag : null,
    maxmemoryPolicy: i['maxmemory_policy'] ?? '?',
    version: i['redis_version'] ?? '?',
    keys: keyCount(i),
  };
}

export interface ReplicaEntry {
  ip: string;
  port: number;
  state: string;
  offset: number;
  lag: number;
}

/** The `slaveN:ip=..,port=..,state=..,offset=..,lag=..` lines of a master's INFO replication. */
export function replicasOfMaster(info: Record<string, string>): ReplicaEntry[] {
  const out: ReplicaEntry[] = [];
  for (const [k, v] of Object.entries(info)) {
    if (!/^slave\d+$/.test(k)) continue;
    const f = Object.fromEntries(v.split(',').map((kv) => {
      const j = kv.indexOf('=');
      return [kv.slice(0, j), kv.slice(j + 1)];
    })) as Record<string, string>;
    out.push({ ip: f['ip'] ?? '?', port: Number(f['port'] ?? 0), state: f['state'] ?? '?', offset: Number(f['offset'] ?? 0), lag: Number(f['lag'] ?? -1) });
  }
  return out;
}

export interface NodeState {
  name: string;
  internalIp: string;
  address: string;
  info: Record<string, string> | null;
}

/**
 * Replication rows: the master's view of each replica (state, byte lag from offsets, seconds
 * since the last ACK), falling back to the replica's own view when the master cannot be asked.
 */
export function replicationRows(nodes: NodeState[], masterIp: string | null): ReplicaView[] {
  const master = nodes.find((n) => n.internalIp === masterIp);
  const masterInfo = master?.info ?? null;
  const seen = masterInfo ? replicasOfMaster(masterInfo) : [];
  const masterOffset = masterInfo ? num(masterInfo, 'master_repl_offset') : 0;
  const rows: ReplicaView[] = [];
  for (const n of nodes) {
    if (n.internalIp === masterIp) continue;
    const fromMaster = seen.find((r) => r.ip === n.internalIp);
    const own = n.info;
    const role = own ? (own['role'] === 'master' ? 'master' : 'replica') : 'unknown';
    rows.push({
      name: n.name,
      address: n.address,
      reachable: own !== null,
      role,
      link: fromMaster ? fromMaster.state : own ? (role === 'master' ? 'is a master' : `link ${own['master_link_status'] ?? '?'}`) : 'unreachable',
      lagBytes: fromMaster ? Math.max(0, masterOffset - fromMaster.offset) : null,
      lastAckSeconds: fromMaster && fromMaster.lag >= 0 ? fromMaster.lag : own && own['master_last_io_seconds_ago'] !== undefined ? Number(own['master_last_io_seconds_ago']) : null,
    });
  }
  return rows;
}

/** LATENCY LATEST: [[event, unix-seconds, latest-ms, max-ms], ...] */
export function parseLatencyLatest(reply: unknown): LatencyView['latest'] {
  if (!Array.isArray(reply)) return [];
  return reply
    .filter((r): r is unknown[] => Array.isArray(r) && r.length >= 4)
    .map((r) => ({ event: String(r[0]), at: new Date(Number(r[1]) * 1000).toISOString(), latestMs: Number(r[2]), maxMs: Number(r[3]) }))
    .sort((a, b) => b.latestMs - a.latestMs);
}

/** SLOWLOG GET: [[id, unix-seconds, duration-µs, [args...], client, name], ...], slowest first. */
export function parseSlowlog(reply: unknown, limit = 10): LatencyView['slowlog'] {
  if (!Array.isArray(reply)) return [];
  return reply
    .filter((r): r is unknown[] => Array.isArray(r) && r.length >= 4)
    .map((r) => ({
      id: Number(r[0]),
      at: new Date(Number(r[1]) * 1000).toISOString(),
      durationUs: Number(r[2]),
      // Arguments may hold values (even secrets, for AUTH or CONFIG SET): keep the command and its first key only.
      command: redactCommand(Array.isArray(r[3]) ? r[3].map(String) : []),
    }))
    .sort((a, b) => b.durationUs - a.durationUs)
    .slice(0, limit);
}

export function redactCommand(args: string[]): string {
  const name = (args[0] ?? '?').toUpperCase();
  if (['AUTH', 'HELLO', 'CONFIG', 'ACL', 'MIGRATE'].includes(name)) return name;
  const first = args[1] !== undefined ? ` ${args[1].slice(0, 40)}` : '';
  return `${name}${first}${args.length > 2 ? ' …' : ''}`;
}

/** SENTINEL MASTER and friends answer with flat [k, v, k, v] arrays. */
export function pairs(reply: unknown): Record<string, string> {
  const o: Record<string, string> = {};
  if (!Array.isArray(reply)) return o;
  for (let i = 0; i + 1 < reply.length; i += 2) o[String(reply[i])] = String(reply[i + 1]);
  return o;
}

/** A fixed-size ring of history points for the sparklines. */
export function pushHistory(history: HistoryPoint[], point: HistoryPoint, max: number): HistoryPoint[] {
  const next = history.length >= max ? history.slice(history.length - max + 1) : history.slice();
  next.push(point);
  return next;
}

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** The last `width` values as block characters scaled between min and max; gaps (null) as spaces. */
export function sparkline(values: (number | null)[], width: number, range?: { min?: number; max?: number }): string {
  const tail = values.slice(-Math.max(0, width));
  const nums = tail.filter((v): v is number => v !== null && Number.isFinite(v));
  if (nums.length === 0) return ' '.repeat(tail.length);
  const min = range?.min ?? Math.min(...nums);
  const max = range?.max ?? Math.max(...nums);
  const span = max - min;
  return tail
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (span <= 0) return v > 0 ? BLOCKS[3] : BLOCKS[0];
      const idx = Math.round(((Math.min(max, Math.max(min, v)) - min) / span) * (BLOCKS.length - 1));
      return BLOCKS[idx];
    })
    .join('');
}

/** 1234 → "1.2k"; keeps small numbers exact. */
export function compact(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(digits)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(digits)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(digits)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(a < 10 ? 1 : 0);
}

export function percent(r: number | null | undefined, digits = 1): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '–';
  return `${(r * 100).toFixed(digits)}%`;
}
