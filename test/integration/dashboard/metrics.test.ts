import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { defaultTestConfig, testProject } from '../../helpers/harness.js';
import type { Snapshot } from '../../../src/dashboard/types.js';
import { backgroundReads, client, generateLoad, HOT, stats } from './helpers.js';

// LFU policy, so OBJECT FREQ works; the MONITOR test forces --hotkeys monitor.
const p = testProject('dash', defaultTestConfig().replace('    failoverTimeout: 5000\n', '    failoverTimeout: 5000\n    maxmemoryPolicy: allkeys-lfu\n'));
let r: Redis;

beforeAll(async () => {
  const up = await p.run(['up']);
  if (up.code !== 0) throw new Error(`baas up failed: ${up.err}`);
  r = await client(p);
});
afterAll(async () => {
  r?.disconnect();
  await p.cleanup();
});

const ndjson = (out: string): Snapshot[] => out.trim().split('\n').map((l) => JSON.parse(l) as Snapshot);

describe('baas metrics / dashboard against a real stack', () => {
  it('reports the generated hits and misses exactly, as INFO counts them', async () => {
    const watch = p.run(['metrics', '--watch', '--json', '--interval', '500', '--count', '8']);
    await new Promise((res) => setTimeout(res, 1500));
    const before = await stats(r);
    const generated = await generateLoad(r, 300);
    const after = await stats(r);
    const w = await watch;
    expect(w.code, w.err).toBe(0);
    const snaps = ndjson(w.out);
    expect(snaps).toHaveLength(8);
    const hits = snaps.reduce((a, s) => a + (s.overview?.hits ?? 0), 0);
    const misses = snaps.reduce((a, s) => a + (s.overview?.misses ?? 0), 0);
    // INFO is the reference; nothing else reads keys on this stack, so it equals what we generated.
    expect({ hits: after.hits - before.hits, misses: after.misses - before.misses }).toEqual(generated);
    expect({ hits, misses }).toEqual(generated);
    const busy = snaps.find((s) => (s.overview?.hits ?? 0) > 0)!;
    expect(busy.overview!.opsPerSec).toBeGreaterThan(1000);
    expect(busy.overview!.hitRate).toBeCloseTo(generated.hits / (generated.hits + generated.misses), 3);
    expect(snaps.every((s) => s.master?.name === 'redis-1' && s.sentinel.quorumOk === true)).toBe(true);
  });

  it('puts the hottest keys at the top with LFU sampling, and its own OBJECT FREQ calls do not count as hits', async () => {
    const s = JSON.parse((await p.run(['dashboard', '--once', '--json'])).out) as Snapshot;
    expect(s.hotKeys.method).toBe('lfu');
    expect(s.hotKeys.sampled).toBeGreaterThanOrEqual(505);
    expect(new Set(s.hotKeys.keys.slice(0, 5).map((k) => k.key))).toEqual(new Set(HOT));
    expect(s.hotKeys.keys[5]!.score).toBeLessThan(s.hotKeys.keys[4]!.score);
    expect(s.overview!.hits).toBe(0);
    expect(s.replication.replicas).toHaveLength(2);
    expect(s.replication.replicas.every((x) => x.link === 'online' && x.lagBytes !== null)).toBe(true);
    expect(s.postgres).toMatchObject({ enabled: true, reachable: true, databases: 1, branches: 0 });
    expect(s.mongo.enabled).toBe(false);
  });

  it('finds the hot keys with sampled MONITOR bursts when forced', async () => {
    const load = backgroundReads(r);
    try {
      const res = await p.run(['metrics', '--json', '--hotkeys', 'monitor']);
      expect(res.code, res.err).toBe(0);
      const s = JSON.parse(res.out) as Snapshot;
      expect(s.hotKeys.method).toBe('monitor');
      expect(s.hotKeys.sampled).toBeGreaterThan(0);
      expect(new Set(s.hotKeys.keys.slice(0, 5).map((k) => k.key))).toEqual(new Set(HOT));
    } finally {
      await load.stop();
    }
  });

  it('prints a readable snapshot and one summary line per interval without --json', async () => {
    const once = await p.run(['dashboard']); // not a terminal: one text snapshot
    expect(once.code).toBe(0);
    for (const t of ['Redis master redis-1', 'Replication', 'Sentinel', 'quorum 2: OK', 'Latency', 'Hot keys — lfu', 'Alerts', 'Postgres: ', 'MongoDB: disabled']) expect(once.out).toContain(t);
    const watch = await p.run(['metrics', '--watch', '--count', '2', '--interval', '200ms']);
    expect(watch.code).toBe(0);
    expect(watch.out.trim().split('\n')).toHaveLength(2);
    expect(watch.out).toMatch(/master redis-1 +ops\/s/);
  });

  it('keeps an alert history in .baas/alerts.jsonl across runs', async () => {
    p.writeConfig(`${defaultTestConfig().replace('    failoverTimeout: 5000\n', '    failoverTimeout: 5000\n    maxmemoryPolicy: allkeys-lfu\n')}alerts:\n  memoryAbove: 0.0001\n`);
    try {
      const a = JSON.parse((await p.run(['metrics', '--json'])).out) as Snapshot;
      expect(a.alerts.active.map((x) => x.kind)).toContain('memory');
      const b = JSON.parse((await p.run(['metrics', '--json'])).out) as Snapshot;
      expect(b.alerts.recent.filter((x) => x.kind === 'memory' && x.state === 'fired')).toHaveLength(1); // not fired again by the second run
      const lines = readFileSync(path.join(p.dir, '.baas', 'alerts.jsonl'), 'utf8').trim().split('\n');
      expect(lines.filter((l) => l.includes('"memory"'))).toHaveLength(1);
    } finally {
      p.writeConfig(defaultTestConfig().replace('    failoverTimeout: 5000\n', '    failoverTimeout: 5000\n    maxmemoryPolicy: allkeys-lfu\n'));
    }
  });

  it('says the password is wrong, in one sentence, without a stack trace', async () => {
    const file = path.join(p.dir, '.baas', 'secrets.json');
    const original = readFileSync(file, 'utf8');
    // The dashboard logs in as the read-only monitor user.
    const s = JSON.parse(original) as { redis: { monitorPassword: string } };
    s.redis.monitorPassword = 'not-the-password';
    writeFileSync(file, JSON.stringify(s));
    try {
      const res = await p.run(['metrics', '--json']);
      expect(res.code, res.err).toBe(7);
      expect(res.err).toMatch(/^error: Redis refused the password from .baas\/secrets.json.\nhint: /);
      expect(res.err).not.toContain('not-the-password');
      expect(res.err).not.toMatch(/\n\s+at /);
    } finally {
      writeFileSync(file, original);
    }
  });
});
