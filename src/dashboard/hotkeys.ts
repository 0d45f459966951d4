/**
 * Hot keys by the cheapest method the server supports:
 *   - Redis 8.6+: server-side HOTKEYS START/GET (sampled inside the server),
 *   - an LFU eviction policy: SCAN + OBJECT FREQ over a bounded number of keys per pass,
 *   - otherwise: short MONITOR bursts on a duty cycle (MONITOR halves throughput while it runs).
 * The choice is pure (chooseHotKeyMethod); the samplers take a RedisLike / RedisConnector.
 */
import * as redisCommands from '@ioredis/commands';
import { versionAtLeast } from './metrics.js';
import type { Address, HotKey, HotKeyMethod, HotKeysView, MonitorLike, RedisConnector, RedisLike } from './types.js';

export type HotKeyChoice = 'auto' | 'lfu' | 'monitor' | 'off';

export interface MethodDecision {
  method: HotKeyMethod;
  note: string;
  advice?: string;
  /** Set when a forced method cannot work on this server. */
  problem?: string;
}

/**
 * How to switch the master to an LFU policy. The app user baas hands out may not run CONFIG, and
 * the server profile turns the default user off, so a redis-cli line with the app's password
 * fails: the lasting way is the config file, which `baas up` applies by recreating the nodes.
 */
export const lfuAdvice = (): string =>
  'set services.redis.maxmemoryPolicy: allkeys-lfu in platform.config.yaml and run `baas up` (it recreates the Redis nodes with the new policy); on a Redis that baas does not manage, an admin runs CONFIG SET maxmemory-policy allkeys-lfu';

/** Which method to use, from INFO server/memory (redis_version, maxmemory_policy) and the --hotkeys flag. */
export function chooseHotKeyMethod(input: { version: string; policy: string; forced: HotKeyChoice }): MethodDecision {
  const lfu = /lfu/.test(input.policy);
  const advice = lfu ? undefined : lfuAdvice();
  switch (input.forced) {
    case 'off':
      return { method: 'off', note: 'hot keys off (--hotkeys off)' };
    case 'monitor':
      return { method: 'monitor', note: 'sampled MONITOR bursts (forced with --hotkeys monitor)', ...(advice ? { advice } : {}) };
    case 'lfu':
      if (!lfu) {
        return {
          method: 'off',
          note: `OBJECT FREQ needs an LFU eviction policy; the master uses ${input.policy}`,
          problem: `--hotkeys lfu needs an LFU eviction policy, but the master uses maxmemory-policy ${input.policy}.`,
          ...(advice ? { advice } : {}),
        };
      }
      return { method: 'lfu', note: `OBJECT FREQ sampling over SCAN (policy ${input.policy})` };
    case 'auto':
      if (versionAtLeast(input.version, 8, 6)) return { method: 'hotkeys', note: `server-side HOTKEYS (Redis ${input.version})` };
      if (lfu) return { method: 'lfu', note: `OBJECT FREQ sampling over SCAN (policy ${input.policy})` };
      return {
        method: 'monitor',
        note: `sampled MONITOR bursts: policy ${input.policy} has no LFU counters and Redis ${input.version} has no HOTKEYS`,
        ...(advice ? { advice } : {}),
      };
  }
}

/**
 * The keys a command (as MONITOR shows it) touches, from the Redis command table ioredis ships
 * (key positions, numkeys, STREAMS ...); [] for commands without keys and unknown ones.
 */
export function keysOfCommand(args: string[]): string[] {
  const name = (args[0] ?? '').toLowerCase();
  if (!name || args.length < 2 || !redisCommands.exists(name)) return [];
  const rest = args.slice(1);
  try {
    return redisCommands.getKeyIndexes(name, rest).flatMap((i) => (rest[i] === undefined ? [] : [rest[i]]));
  } catch {
    return []; // malformed arguments (a numkeys that is not a number)
  }
}

/**
 * One MONITOR line: `+1700000000.123456 [0 10.0.0.1:5555] "get" "key"`. Arguments are quoted
 * the way Redis prints them (backslash escapes, \xHH for other bytes).
 */
export function parseMonitorLine(line: string): { args: string[]; source: string } | undefined {
  const m = /^\+?\d+\.\d+ \[\d+ ([^\]]*)\] (.*)$/.exec(line);
  if (!m) return undefined;
  const args: string[] = [];
  const s = m[2]!;
  let i = 0;
  while (i < s.length) {
    if (s[i] !== '"') {
      i++;
      continue;
    }
    i++;
    let out = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) {
        const c = s[i + 1]!;
        if (c === 'x' && i + 3 < s.length) {
          out += String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        out += ({ n: '\n', r: '\r', t: '\t', a: '\u0007', b: '\b' } as Record<string, string>)[c] ?? c;
        i += 2;
        continue;
      }
      out += s[i];
      i++;
    }
    args.push(out);
    i++;
  }
  return { args, source: m[1]! };
}

export function topKeys(counts: Map<string, number>, limit: number): HotKey[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([key, score]) => ({ key, score }));
}

/** MONITOR bursts within a sliding window; scores are accesses per second while sampling. */
export class BurstWindow {
  private bursts: { at: number; ms: number; counts: Map<string, number>; commands: number }[] = [];
  constructor(readonly windowMs: number) {}

  add(at: number, ms: number, counts: Map<string, number>, commands: number): void {
    this.bursts.push({ at, ms, counts, commands });
  }

  top(now: number, limit: number): { keys: HotKey[]; sampled: number } {
    this.bursts = this.bursts.filter((b) => b.at >= now - this.windowMs);
    const total = new Map<string, number>();
    let ms = 0;
    let sampled = 0;
    for (const b of this.bursts) {
      ms += b.ms;
      sampled += b.commands;
      for (const [k, n] of b.counts) total.set(k, (total.get(k) ?? 0) + n);
    }
    const perSec = new Map([...total].map(([k, n]) => [k, ms > 0 ? Math.round((n / ms) * 1000 * 10) / 10 : n]));
    return { keys: topKeys(perSec, limit), sampled };
  }
}

/** What the collector needs from a hot-key sampler. `tick` must return quickly. */
export interface HotKeySampler {
  readonly method: HotKeyMethod;
  tick(now: number): Promise<void>;
  view(now: number): Omit<HotKeysView, 'note' | 'advice'>;
  stop(): Promise<void>;
}

export interface LfuOptions {
  /** Keys examined per pass. */
  budget: number;
  everyMs: number;
  limit: number;
}

/**
 * SCAN a bounded number of keys per pass and read their LFU counters (OBJECT FREQ, pipelined).
 * The cursor carries over between passes, so large keyspaces are covered over several passes.
 * `onLookups` reports the hits/misses OBJECT FREQ adds to the server's keyspace stats.
 */
export class LfuSampler implements HotKeySampler {
  readonly method = 'lfu' as const;
  private cursor = '0';
  private lastPass = -Infinity;
  private freq = new Map<string, number>();
  private seenThisSweep = new Set<string>();
  private sampled = 0;
  private error: string | undefined;

  constructor(
    private client: () => RedisLike | undefined,
    private readonly opts: LfuOptions,
    private readonly onLookups: (hits: number, misses: number) => void = () => {},
  ) {}

  async tick(now: number): Promise<void> {
    if (now - this.lastPass < this.opts.everyMs) return;
    const c = this.client();
    if (!c) return;
    this.lastPass = now;
    let examined = 0;
    try {
      do {
        const [next, keys] = (await c.call('SCAN', this.cursor, 'COUNT', Math.min(500, this.opts.budget))) as [string, string[]];
        this.cursor = String(next);
        if (keys.length > 0) {
          const replies = await c.pipeline(keys.map((k) => ['OBJECT', 'FREQ', k]));
          let hits = 0;
          let misses = 0;
          keys.forEach((k, i) => {
            const r = replies[i];
            if (typeof r === 'number') {
              hits++;
              this.freq.set(k, r);
              this.seenThisSweep.add(k);
            } else {
              if (r === null || r === undefined) misses++;
              this.freq.delete(k);
            }
          });
          this.onLookups(hits, misses);
          examined += keys.length;
        }
        if (this.cursor === '0') {
          // A full sweep: forget keys that no longer exist.
          for (const k of this.freq.keys()) if (!this.seenThisSweep.has(k)) this.freq.delete(k);
          this.sampled = this.seenThisSweep.size;
          this.seenThisSweep = new Set();
          break;
        }
      } while (examined < this.opts.budget);
      if (this.freq.size > 5000) this.freq = new Map(topKeys(this.freq, 1000).map((h) => [h.key, h.score]));
      this.sampled = Math.max(this.sampled, this.seenThisSweep.size);
      this.error = undefined;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  view(): Omit<HotKeysView, 'note' | 'advice'> {
    return { method: 'lfu', unit: 'LFU counter', windowSeconds: 60, sampled: this.sampled, keys: topKeys(this.freq, this.opts.limit), ...(this.error ? { error: this.error } : {}) };
  }

  /** After a failover the new master has its own keys and counters. */
  reset(): void {
    this.cursor = '0';
    this.freq.clear();
    this.seenThisSweep.clear();
    this.lastPass = -Infinity;
  }

  async stop(): Promise<void> {}
}

export interface MonitorOptions {
  burstMs: number;
  everyMs: number;
  windowMs: number;
  limit: number;
}

/**
 * MONITOR for `burstMs` out of every `everyMs` (a duty cycle: 100 ms of 5 s costs the server
 * about 2% of the time MONITOR would). Each burst opens its own connection and closes it.
 */
export class MonitorSampler implements HotKeySampler {
  readonly method = 'monitor' as const;
  private lastBurst = -Infinity;
  private window: BurstWindow;
  private running: Promise<void> | undefined;
  private active: MonitorLike | undefined;
  private error: string | undefined;
  private stopped = false;

  constructor(
    private readonly connector: RedisConnector,
    private target: () => Address | undefined,
    private readonly opts: MonitorOptions,
    private readonly onConnect: () => void = () => {},
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> } = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
  ) {
    this.window = new BurstWindow(opts.windowMs);
  }

  async tick(now: number): Promise<void> {
    if (this.running || this.stopped || now - this.lastBurst < this.opts.everyMs) return;
    const addr = this.target();
    if (!addr) return;
    this.lastBurst = now;
    // Not awaited: the burst runs beside the collector's tick.
    this.running = this.burst(addr).finally(() => {
      this.running = undefined;
    });
  }

  /** Waits for a burst in progress (for --once). */
  async settle(): Promise<void> {
    await this.running;
  }

  private async burst(addr: Address): Promise<void> {
    const counts = new Map<string, number>();
    let commands = 0;
    try {
      const m = await this.connector.monitor(addr);
      this.onConnect();
      this.active = m;
      const started = this.clock.now();
      m.onCommand((args) => {
        commands++;
        for (const k of keysOfCommand(args)) counts.set(k, (counts.get(k) ?? 0) + 1);
      });
      await this.clock.sleep(this.opts.burstMs);
      m.close();
      this.active = undefined;
      this.window.add(started, Math.max(1, this.clock.now() - started), counts, commands);
      this.error = undefined;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  view(now: number): Omit<HotKeysView, 'note' | 'advice'> {
    const t = this.window.top(now, this.opts.limit);
    return { method: 'monitor', unit: 'accesses/s (sampled)', windowSeconds: Math.round(this.opts.windowMs / 1000), sampled: t.sampled, keys: t.keys, ...(this.error ? { error: this.error } : {}) };
  }

  reset(): void {
    this.window = new BurstWindow(this.opts.windowMs);
    this.lastBurst = -Infinity;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.active?.close();
    await this.running;
  }
}

/** HOTKEYS GET: flat pairs; `by-cpu-time-us` / `by-net-bytes` are flat [key, value, ...] lists. */
export function parseHotkeysGet(reply: unknown): { active: boolean; keys: HotKey[]; unit: string } {
  if (!Array.isArray(reply)) return { active: false, keys: [], unit: 'CPU µs' };
  const f = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) f.set(String(reply[i]), reply[i + 1]);
  const list = (f.get('by-cpu-time-us') ?? f.get('by-net-bytes')) as unknown[] | undefined;
  const unit = f.has('by-cpu-time-us') ? 'CPU µs' : 'net bytes';
  const keys: HotKey[] = [];
  if (Array.isArray(list)) for (let i = 0; i + 1 < list.length; i += 2) keys.push({ key: String(list[i]), score: Number(list[i + 1]) });
  return { active: Number(f.get('tracking-active') ?? 0) === 1, keys: keys.sort((a, b) => b.score - a.score), unit };
}

/** Redis 8.6+: a server-side, sampled tracking session restarted every window. */
export class ServerHotkeysSampler implements HotKeySampler {
  readonly method = 'hotkeys' as const;
  private lastGet = -Infinity;
  private owns = false;
  private started = false;
  private keys: HotKey[] = [];
  private unit = 'CPU µs';
  private error: string | undefined;

  constructor(
    private client: () => RedisLike | undefined,
    private readonly opts: { everyMs: number; windowSeconds: number; limit: number; sampleRatio: number },
  ) {}

  private async start(c: RedisLike): Promise<void> {
    try {
      await c.call('HOTKEYS', 'START', 'METRICS', 1, 'CPU', 'COUNT', this.opts.limit, 'DURATION', this.opts.windowSeconds, 'SAMPLE', this.opts.sampleRatio);
      this.owns = true;
    } catch (e) {
      // Someone else's session is running: read theirs, never stop it.
      if (!/progress|already/i.test(e instanceof Error ? e.message : '')) throw e;
    }
  }

  async tick(now: number): Promise<void> {
    if (now - this.lastGet < this.opts.everyMs) return;
    const c = this.client();
    if (!c) return;
    this.lastGet = now;
    try {
      if (!this.started) {
        await this.start(c);
        this.started = true;
      }
      const r = parseHotkeysGet(await c.call('HOTKEYS', 'GET'));
      if (r.keys.length > 0) {
        this.keys = r.keys.slice(0, this.opts.limit);
        this.unit = r.unit;
      }
      if (!r.active) {
        // The window ended (DURATION): keep its result on screen and start the next one.
        if (this.owns) await c.call('HOTKEYS', 'RESET');
        this.owns = false;
        await this.start(c);
      }
      this.error = undefined;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  view(): Omit<HotKeysView, 'note' | 'advice'> {
    return { method: 'hotkeys', unit: this.unit, windowSeconds: this.opts.windowSeconds, sampled: this.keys.length, keys: this.keys, ...(this.error ? { error: this.error } : {}) };
  }

  reset(): void {
    this.owns = false;
    this.started = false;
    this.keys = [];
    this.lastGet = -Infinity;
  }

  async stop(): Promise<void> {
    const c = this.client();
    if (!this.owns || !c) return;
    await c.call('HOTKEYS', 'STOP').catch(() => {});
    await c.call('HOTKEYS', 'RESET').catch(() => {});
    this.owns = false;
  }
}
