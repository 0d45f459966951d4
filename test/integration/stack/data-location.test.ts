import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { testProject, type TestProject } from '../../helpers/harness.js';

/** Moving a service's data: `up --force` starts empty (keeping the old data), `data move` carries it over (Redis). */

let p: TestProject;
const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'baas-dataloc-'));
const config = (pg: string, redis: string): string => `images: local
services:
  postgres:
    port: auto
    data: ${pg}
  redis:
    port: auto
    replicas: 1
    sentinels: 0
    data: ${redis}
  mongo:
    enabled: false
`;

beforeAll(async () => {
  p = testProject('dataloc', config('volume', 'volume'));
  const up = await p.run(['up']);
  expect(up.code, up.err).toBe(0);
});
afterAll(async () => {
  await p?.cleanup();
  rmSync(dataRoot, { recursive: true, force: true });
});

const redisUrl = async (): Promise<string> => (await p.runJson<{ env: Record<string, string> }>(['connect', 'redis', '--show-secrets'])).env['REDIS_URL']!;
async function withRedis<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(await redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 2 });
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

describe('data locations', () => {
  it('`baas data move redis <dir>` moves every node\'s data and the keys survive', async () => {
    await withRedis(async (r) => {
      await r.set('kept', 'yes');
      await r.call('SAVE');
    });
    const target = path.join(dataRoot, 'redis');
    const r = await p.run(['data', 'move', 'redis', target]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Copied redis-1: volume baas-.*-redis-1-data -> .*\/redis\/redis-1 \(\d+ files/);
    expect(r.out).toMatch(/Copied redis-2: /);
    expect(readdirSync(target).sort()).toEqual(['redis-1', 'redis-2']);
    expect(readFileSync(path.join(p.dir, 'platform.config.yaml'), 'utf8')).toContain(`data: ${target}`);
    expect(await withRedis((c) => c.get('kept'))).toBe('yes');
  });

  it('`baas up --force` starts Postgres empty at the new place and keeps the old volume', async () => {
    await p.run(['migrate', 'up']);
    const fresh = path.join(dataRoot, 'pg');
    p.writeConfig(config(fresh, path.join(dataRoot, 'redis')));
    const refused = await p.run(['up', 'postgres']);
    expect(refused.code).toBe(5);
    expect(refused.err).toContain('`baas up --force`');
    const forced = await p.run(['up', 'postgres', '--force']);
    expect(forced.code, forced.err).toBe(0);
    expect(existsSync(path.join(fresh, 'pgdata', 'PG_VERSION'))).toBe(true);
    const status = await p.runJson<{ migrations: unknown[]; counts: { applied: number } }>(['migrate', 'status']);
    expect(status.counts.applied).toBe(0); // an empty database, as asked
    const volumes = await new DockerRuntime().listVolumes({ 'baas.project': p.name });
    expect(volumes.map((v) => v.name)).toContain(`baas-${p.name}-postgres-data`);
  });
});
