import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { countLabelled, testProject, type TestProject } from '../../helpers/harness.js';

interface HealthJson {
  healthy: boolean;
  services: { service: string; status: string; role?: string; details?: Record<string, unknown> }[];
}
interface UpJson {
  changed: boolean;
  services: { service: string; action: string; health: { status: string } }[];
}

describe('baas up / health / status / down against real containers', () => {
  let p: TestProject;
  beforeAll(() => {
    p = testProject('life');
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('brings up Postgres and Redis master + 2 replicas + 3 sentinels, all healthy', async () => {
    const r = await p.run(['up', '--json']);
    expect(r.code, r.err).toBe(0);
    const up = JSON.parse(r.out) as UpJson;
    expect(up.services.map((s) => s.service).sort()).toEqual(
      ['postgres', 'redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3'].sort(),
    );
    expect(up.services.every((s) => s.action === 'create' && s.health.status === 'healthy')).toBe(true);
  });

  it('reports every service healthy with roles, replication and quorum in health --json', async () => {
    const h = await p.runJson<HealthJson>(['health']);
    expect(h.healthy).toBe(true);
    const byName = Object.fromEntries(h.services.map((s) => [s.service, s]));
    expect(byName['redis-1']?.role).toBe('master');
    expect(byName['redis-2']?.role).toBe('replica');
    expect(byName['sentinel-1']?.details?.['quorum']).toMatch(/^OK/);
    expect(byName['sentinel-1']?.details?.['sentinels']).toBe(3);
    expect(byName['postgres']?.status).toBe('healthy');
  });

  it('recreates nothing on a second up with an unchanged config', async () => {
    const up = await p.runJson<UpJson>(['up']);
    expect(up.changed).toBe(false);
    expect(up.services.every((s) => s.action === 'keep')).toBe(true);
  });

  it('gives working connection URLs as the app user, and masks passwords unless asked', async () => {
    const masked = await p.run(['env']);
    expect(masked.code).toBe(0);
    expect(masked.out).toContain('DATABASE_URL=postgres://app:***@');
    expect(masked.out).not.toMatch(/PGPASSWORD=[A-Za-z0-9_-]{20,}/);
    const url = (await p.run(['connect', 'postgres', '--url', '--show-secrets'])).out.trim();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const r = await client.query<{ u: string; bypass: boolean }>('select current_user as u, (select rolbypassrls from pg_roles where rolname = current_user) as bypass');
    await client.end();
    expect(r.rows[0]).toEqual({ u: 'app', bypass: false });
    const redisEnv = (await p.runJson<{ env: Record<string, string> }>(['connect', 'redis', '--show-secrets'])).env;
    const [host, port] = redisEnv['REDIS_SENTINELS']!.split(',')[0]!.split(':');
    const natMap = JSON.parse(redisEnv['REDIS_NAT_MAP']!) as Record<string, { host: string; port: number }>;
    expect(redisEnv['REDIS_USERNAME']).toBe('app');
    const auth = { username: redisEnv['REDIS_USERNAME']!, password: redisEnv['REDIS_PASSWORD']! };
    const redis = new Redis({ sentinels: [{ host: host!, port: Number(port) }], name: redisEnv['REDIS_MASTER_NAME']!, ...auth, sentinelUsername: auth.username, sentinelPassword: auth.password, natMap, lazyConnect: true, enableReadyCheck: false });
    await redis.connect();
    await redis.set('baas:test', 'ok');
    expect(await redis.get('baas:test')).toBe('ok');
    // The app user has no admin or dangerous commands.
    await expect(redis.call('CONFIG', 'GET', 'maxmemory')).rejects.toThrow(/NOPERM/);
    await expect(redis.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
    redis.disconnect();
  });

  it('recreates only the services whose configuration changed', async () => {
    const yaml = (await import('node:fs')).readFileSync(`${p.dir}/platform.config.yaml`, 'utf8');
    (await import('node:fs')).writeFileSync(`${p.dir}/platform.config.yaml`, yaml.replace('  redis:\n', '  redis:\n    maxmemory: 128mb\n'));
    const up = await p.runJson<UpJson>(['up']);
    const actions = Object.fromEntries(up.services.map((s) => [s.service, s.action]));
    expect(actions['postgres']).toBe('keep');
    expect(actions['sentinel-1']).toBe('keep');
    expect(['redis-1', 'redis-2', 'redis-3'].map((n) => actions[n])).toEqual(['recreate', 'recreate', 'recreate']);
    expect(up.services.every((s) => s.health.status === 'healthy')).toBe(true);
  });

  it('starts a stopped Sentinel again, and its peers count it up by the time up returns', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    await promisify(execFile)('docker', ['stop', '-t', '1', `baas-${p.name}-sentinel-2`]);
    const up = await p.runJson<UpJson>(['up']);
    expect(Object.fromEntries(up.services.map((s) => [s.service, s.action]))['sentinel-2']).toBe('start');
    const h = await p.run(['health']);
    expect(h.code, h.out + h.err).toBe(0);
  });

  it('lists the stack in status --json and labels it for compose tooling', async () => {
    const s = await p.runJson<{ running: boolean; services: { service: string; state: string; ports: string[] }[] }>(['status']);
    expect(s.running).toBe(true);
    expect(s.services.every((x) => x.state === 'running' && x.ports[0]?.startsWith('127.0.0.1:'))).toBe(true);
    const compose = await countLabelled(`com.docker.compose.project=${p.name}`);
    expect(compose.containers).toBe(7);
  });

  it('keeps data volumes on down and removes everything labelled on down --volumes', async () => {
    const d1 = await p.run(['down']);
    expect(d1.code).toBe(0);
    expect(d1.out).toMatch(/Kept \d+ data volume/);
    let left = await countLabelled(`baas.project=${p.name}`);
    expect(left.containers).toBe(0);
    expect(left.networks).toBe(0);
    expect(left.volumes).toBeGreaterThan(0);
    const d2 = await p.run(['down', '--volumes']);
    expect(d2.code).toBe(0);
    left = await countLabelled(`baas.project=${p.name}`);
    expect(left).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it('says there is nothing to do when nothing runs, with exit 0', async () => {
    const r = await p.run(['down']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Nothing to do/);
  });
});
