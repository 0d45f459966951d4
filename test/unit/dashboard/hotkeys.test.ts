import { describe, expect, it } from 'vitest';
import { BurstWindow, chooseHotKeyMethod, keysOfCommand, LfuSampler, MonitorSampler, parseHotkeysGet, parseMonitorLine, ServerHotkeysSampler } from '../../../src/dashboard/hotkeys.js';
import { FakeConnector, FakeServer } from './fakes.js';

describe('chooseHotKeyMethod', () => {
  const base = {};
  it('prefers server-side HOTKEYS on Redis 8.6+, then LFU counters, then sampled MONITOR', () => {
    expect(chooseHotKeyMethod({ ...base, version: '8.6.0', policy: 'allkeys-lru', forced: 'auto' }).method).toBe('hotkeys');
    expect(chooseHotKeyMethod({ ...base, version: '8.4.0', policy: 'allkeys-lfu', forced: 'auto' }).method).toBe('lfu');
    const m = chooseHotKeyMethod({ ...base, version: '7.0.15', policy: 'allkeys-lru', forced: 'auto' });
    expect(m.method).toBe('monitor');
    expect(m.advice).toContain('CONFIG SET maxmemory-policy allkeys-lfu');
    expect(m.advice).toContain('services.redis.maxmemoryPolicy: allkeys-lfu');
    expect(m.advice).toContain('baas up');
    // The app user's password cannot run CONFIG (and the server profile turns `default` off):
    // no redis-cli line that authenticates with it.
    expect(m.advice).not.toContain('REDIS_PASSWORD');
  });
  it('honours --hotkeys and refuses lfu without an LFU policy', () => {
    expect(chooseHotKeyMethod({ ...base, version: '8.6.0', policy: 'allkeys-lfu', forced: 'monitor' }).method).toBe('monitor');
    expect(chooseHotKeyMethod({ ...base, version: '7.0.15', policy: 'allkeys-lfu', forced: 'off' }).method).toBe('off');
    const bad = chooseHotKeyMethod({ ...base, version: '7.0.15', policy: 'noeviction', forced: 'lfu' });
    expect(bad.method).toBe('off');
    expect(bad.problem).toMatch(/needs an LFU eviction policy.*noeviction/);
  });
});

describe('MONITOR parsing', () => {
  it('reads a MONITOR line with quoting and escapes', () => {
    expect(parseMonitorLine('+1700000000.123456 [0 10.0.0.1:5555] "get" "user:\\"1\\"\\x41"')).toEqual({ args: ['get', 'user:"1"A'], source: '10.0.0.1:5555' });
    expect(parseMonitorLine('+OK')).toBeUndefined();
  });
  it('finds the keys of common commands and none for server commands', () => {
    expect(keysOfCommand(['get', 'a'])).toEqual(['a']);
    expect(keysOfCommand(['MGET', 'a', 'b'])).toEqual(['a', 'b']);
    expect(keysOfCommand(['mset', 'a', '1', 'b', '2'])).toEqual(['a', 'b']);
    expect(keysOfCommand(['blpop', 'q1', 'q2', '0'])).toEqual(['q1', 'q2']);
    expect(keysOfCommand(['evalsha', 'abc', '2', 'k1', 'k2', 'arg'])).toEqual(['k1', 'k2']);
    expect(keysOfCommand(['info', 'all'])).toEqual([]);
    expect(keysOfCommand(['PING'])).toEqual([]);
  });
  it('ranks keys by accesses per sampled second over a sliding window', () => {
    const w = new BurstWindow(60_000);
    w.add(0, 100, new Map([['old', 50]]), 50);
    w.add(50_000, 100, new Map([['a', 10], ['b', 30]]), 40);
    w.add(55_000, 100, new Map([['a', 10]]), 10);
    const top = w.top(70_000, 10); // the first burst left the window
    expect(top.keys).toEqual([{ key: 'b', score: 150 }, { key: 'a', score: 100 }]);
    expect(top.sampled).toBe(50);
  });
});

describe('samplers (fake clients)', () => {
  it('LFU: SCANs a bounded number of keys, reads OBJECT FREQ, and reports its own lookups', async () => {
    const s = new FakeServer({ maxmemory_policy: 'allkeys-lfu' });
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    s.on('SCAN', (args) => {
      const cursor = Number(args[0]);
      const next = cursor + 10 >= keys.length ? 0 : cursor + 10;
      return [String(next), keys.slice(cursor, cursor + 10)];
    });
    s.on('OBJECT FREQ', (args) => (args[1] === 'k29' ? null : Number(String(args[1]).slice(1))));
    const conn = new FakeConnector();
    conn.add({ host: 'h', port: 1 }, s);
    const client = await conn.connect({ host: 'h', port: 1 });
    let hits = 0;
    let misses = 0;
    const lfu = new LfuSampler(() => client, { budget: 20, everyMs: 5000, limit: 3 }, (h, m) => {
      hits += h;
      misses += m;
    });
    await lfu.tick(0);
    expect(s.calls.filter((c) => c.startsWith('SCAN'))).toHaveLength(2); // budget 20 = two SCAN pages
    await lfu.tick(1000); // not yet: once per 5 s
    expect(s.calls.filter((c) => c.startsWith('SCAN'))).toHaveLength(2);
    await lfu.tick(6000);
    expect(lfu.view().keys.map((k) => k.key)).toEqual(['k28', 'k27', 'k26']);
    expect(hits).toBe(29);
    expect(misses).toBe(1);
  });

  it('MONITOR: one short burst per duty cycle, on its own connection', async () => {
    const s = new FakeServer();
    s.monitorLines = [['get', 'hot'], ['get', 'hot'], ['set', 'cold', 'x'], ['info']];
    const conn = new FakeConnector();
    conn.add({ host: 'h', port: 1 }, s);
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    const m = new MonitorSampler(conn, () => ({ host: 'h', port: 1 }), { burstMs: 100, everyMs: 5000, windowMs: 60_000, limit: 5 }, () => {}, clock);
    await m.tick(0);
    await m.settle();
    await m.tick(1000);
    await m.settle();
    expect(conn.monitors).toBe(1);
    const v = m.view(1000);
    expect(v.keys).toEqual([{ key: 'hot', score: 20 }, { key: 'cold', score: 10 }]);
    expect(v.sampled).toBe(4);
    await m.tick(5000);
    await m.settle();
    expect(conn.monitors).toBe(2);
  });

  it('HOTKEYS (Redis 8.6): starts a session, reads it, restarts it when the window ends, stops it at the end', async () => {
    const s = new FakeServer({ redis_version: '8.6.0' });
    let active = 1;
    s.on('HOTKEYS START', () => 'OK');
    s.on('HOTKEYS GET', () => ['tracking-active', active, 'sample-ratio', 10, 'by-cpu-time-us', ['x', 104, 'y', 98, 'z', 18]]);
    s.on('HOTKEYS RESET', () => 'OK');
    s.on('HOTKEYS STOP', () => 'OK');
    const conn = new FakeConnector();
    conn.add({ host: 'h', port: 1 }, s);
    const client = await conn.connect({ host: 'h', port: 1 });
    const h = new ServerHotkeysSampler(() => client, { everyMs: 1000, windowSeconds: 60, limit: 2, sampleRatio: 10 });
    await h.tick(0);
    expect(s.calls[0]).toBe('HOTKEYS START METRICS 1 CPU COUNT 2 DURATION 60 SAMPLE 10');
    expect(h.view().keys).toEqual([{ key: 'x', score: 104 }, { key: 'y', score: 98 }]);
    active = 0;
    await h.tick(2000);
    expect(s.calls.slice(-2)).toEqual(['HOTKEYS RESET', 'HOTKEYS START METRICS 1 CPU COUNT 2 DURATION 60 SAMPLE 10']);
    await h.stop();
    expect(s.calls.slice(-2)).toEqual(['HOTKEYS STOP', 'HOTKEYS RESET']);
    expect(parseHotkeysGet(null).keys).toEqual([]);
  });
});
