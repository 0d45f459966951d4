import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProject } from '../../helpers/harness.js';
import type { Snapshot } from '../../../src/dashboard/types.js';

const p = testProject(
  'dashmin',
  `images: local
services:
  postgres:
    enabled: false
  redis:
    port: auto
    replicas: 0
    sentinels: 0
  mongo:
    enabled: false
`,
);

beforeAll(async () => {
  const up = await p.run(['up']);
  if (up.code !== 0) throw new Error(`baas up failed: ${up.err}`);
});
afterAll(async () => {
  await p.cleanup();
});

describe('dashboard on a stack without replicas or sentinels', () => {
  it('still works and says there is no failover', async () => {
    const res = await p.run(['dashboard', '--once', '--json']);
    expect(res.code, res.err).toBe(0);
    const s = JSON.parse(res.out) as Snapshot;
    expect(s.master).toMatchObject({ name: 'redis-1', reachable: true });
    expect(s.sentinel.enabled).toBe(false);
    expect(s.replication.replicas).toEqual([]);
    expect(s.alerts.active).toEqual([]);
    expect(s.notes).toEqual(expect.arrayContaining([expect.stringContaining('No sentinels configured'), expect.stringContaining('No replicas configured')]));
    expect(s.hotKeys.method).toBe('monitor'); // allkeys-lru on Redis 7: the fallback, with the LFU advice
    expect(s.hotKeys.advice).toContain('CONFIG SET maxmemory-policy allkeys-lfu');
    expect(s.postgres.enabled).toBe(false);
    const text = await p.run(['dashboard', '--once']);
    expect(text.out).toContain('no sentinels configured: no automatic failover');
    expect(text.out).toContain('no replicas');
  });

  it('refuses --hotkeys lfu on a non-LFU policy and prints the exact command to switch', async () => {
    const res = await p.run(['metrics', '--hotkeys', 'lfu']);
    expect(res.code).toBe(2);
    expect(res.err).toContain('--hotkeys lfu needs an LFU eviction policy, but the master uses maxmemory-policy allkeys-lru.');
    expect(res.err).toContain('CONFIG SET maxmemory-policy allkeys-lfu');
  });

  it('says the stack is not running once it is down, with exit 6 and no stack trace', async () => {
    expect((await p.run(['down'])).code).toBe(0);
    const res = await p.run(['dashboard', '--once']);
    expect(res.code).toBe(6);
    expect(res.err).toMatch(/^error: The stack '.+' is not running\.\nhint: Start it with `baas up`/);
    expect(res.err).not.toMatch(/\n\s+at /);
  });
});
