import { describe, expect, it } from 'vitest';
import { ExternalError, TimeoutError, UnhealthyError } from '../../../src/errors.js';
import { translateConnectError } from '../../../src/pg/errors.js';
import { parseConfigText } from '../../../src/config/load.js';
import { DRIVERS, driverFor } from '../../../src/services/drivers.js';
import { evaluateSentinel } from '../../../src/services/redis.js';
import { makeContext } from '../../../src/stack/context.js';
import { connectionSettings } from '../../../src/stack/connection.js';
import { desiredServices, resolvePorts, servicePorts } from '../../../src/stack/desired.js';
import { dataLocation, headroom, measureHeadroom, parseDf } from '../../../src/stack/disk.js';
import { stackHealth } from '../../../src/stack/health.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { poll, sequence, type Clock } from '../../../src/wait.js';
import type { ContainerInfo, ContainerRuntime } from '../../../src/runtime/types.js';

function fakeClock(): Clock & { t: number } {
  const c = { t: 0, now: () => c.t, sleep: async (ms: number) => void (c.t += ms) };
  return c;
}

const ctxFor = (yaml = '') => makeContext({ config: parseConfigText(`project: unit\n${yaml}`), file: undefined, dir: '/srv/unit' }, '10.220.5.0/24', generateSecrets(), {});

describe('wait strategies', () => {
  it('runs steps in order, each within its own timeout and the composite deadline', async () => {
    const clock = fakeClock();
    const seen: string[] = [];
    let n = 0;
    const s = sequence('svc', [
      poll('svc set-up', async () => (seen.push(`setup@${clock.t}`), { ok: true, detail: 'done' })),
      poll('svc', async () => ({ ok: ++n >= 3, detail: `try ${n}`, value: n }), { intervalMs: 100 }),
    ]);
    const out = await s.withTimeout(10_000).waitUntilReady({ clock });
    expect(seen).toEqual(['setup@0']);
    expect(out).toMatchObject({ ok: true, value: 3 });
    expect(clock.t).toBe(200);
  });

  it('times out naming the step and what it last saw, keeping the last error as cause', async () => {
    const clock = fakeClock();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const s = sequence('pg', [poll('pg set-up', async () => { throw refused; }, { intervalMs: 500 })]).withTimeout(2000);
    const e = await s.waitUntilReady({ clock }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as Error).message).toBe('pg set-up was not ready after 2 s (last seen: connect ECONNREFUSED).');
    expect((e as Error).cause).toBe(refused);
  });

  it('gives a step its own shorter timeout inside a longer composite', async () => {
    const clock = fakeClock();
    const s = sequence('x', [poll('x quick', async () => ({ ok: false, detail: 'no' }), { timeoutMs: 1000, intervalMs: 250 })]).withTimeout(60_000);
    await expect(s.waitUntilReady({ clock })).rejects.toThrow('x quick was not ready after 1 s (last seen: no).');
    expect(clock.t).toBe(1000);
  });

  it('keeps polling through a retryable typed error (a server still refusing) and stops at a fatal one', async () => {
    const clock = fakeClock();
    let n = 0;
    const retry = poll('pg', async () => {
      if (++n < 3) throw translateConnectError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), { server: 'h:1' });
      return { ok: true, detail: 'up' };
    }, { intervalMs: 10 });
    await expect(retry.withTimeout(1000).waitUntilReady({ clock })).resolves.toMatchObject({ ok: true });
    const fatal = poll('x', async () => { throw new UnhealthyError('x keeps exiting'); });
    await expect(fatal.withTimeout(1000).waitUntilReady({ clock: fakeClock() })).rejects.toThrow('x keeps exiting');
  });
});

describe('engine drivers', () => {
  it('produce the same services, ports and order as the configuration describes', () => {
    const ctx = ctxFor();
    expect(DRIVERS.map((d) => d.kind)).toEqual(['postgres', 'redis', 'sentinel', 'mongo']);
    expect(servicePorts(ctx.config).map((p) => p.service)).toEqual(['postgres', 'redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3', 'mongo']);
    expect(servicePorts(ctx.config).find((p) => p.service === 'sentinel-2')).toMatchObject({ key: 'services.redis.sentinelPort', offset: 1 });
    const defs = desiredServices(ctx, resolvePorts(ctx.config, [], () => 0));
    expect(defs.map((d) => `${d.name}:${d.kind}`)).toEqual(['postgres:postgres', 'redis-1:redis', 'redis-2:redis', 'redis-3:redis', 'sentinel-1:sentinel', 'sentinel-2:sentinel', 'sentinel-3:sentinel', 'mongo:mongo']);
    expect(defs.find((d) => d.name === 'sentinel-1')!.dependsOn).toEqual(['redis-1', 'redis-2', 'redis-3']);
  });

  it('give each section its connection settings, and the key `connect --url` prints', () => {
    const ctx = ctxFor();
    const defs = desiredServices(ctx, resolvePorts(ctx.config, [], () => 0));
    const s = connectionSettings(ctx, defs, '127.0.0.1');
    expect(s.map((i) => `${i.service}:${i.urlKey}`)).toEqual(['postgres:DATABASE_URL', 'redis:REDIS_URL', 'mongo:MONGO_URL']);
    expect(s[0]!.env['PGPORT']).toBe('5432');
    expect(s[1]!.env['REDIS_SENTINELS']).toBe('127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381');
    expect(connectionSettings(ctxFor('services:\n  redis:\n    enabled: false\n'), defs).map((i) => i.service)).toEqual(['postgres', 'mongo']);
  });

  it('keep Postgres running when the only problem is a database that refuses connections', () => {
    const pg = driverFor('postgres');
    const refusing = translateConnectError(Object.assign(new Error('database "app" is not currently accepting connections'), { code: '55000', severity: 'FATAL' }), { server: 'h:1' });
    const timedOut = new UnhealthyError('postgres set-up was not ready after 90 s', { cause: new TimeoutError('x', { cause: refusing }) });
    expect(pg.keepRunningAfter!(timedOut)).toMatch(/only a database refuses connections/);
    const crash = new UnhealthyError('postgres keeps exiting during start-up (Exited (1))');
    expect(pg.keepRunningAfter!(crash)).toBeUndefined();
    expect(pg.keepRunningAfter!(new UnhealthyError('x', { cause: new ExternalError('refused', { cause: { code: 'ECONNREFUSED' } }) }))).toBeUndefined();
    expect(driverFor('redis').keepRunningAfter).toBeUndefined();
  });
});

describe('evaluateSentinel', () => {
  const master = { ip: '10.0.0.21', port: '6379', flags: 'master', 'num-other-sentinels': '2', 'num-slaves': '2' };
  const up = (ip: string) => ({ ip, flags: 'sentinel' });
  it("counts the peers and replicas the sentinel sees up, not the ones it merely knows", () => {
    const all = { sentinels: [up('10.0.0.32'), up('10.0.0.33')], replicas: [{ ip: '10.0.0.22', flags: 'slave' }, { ip: '10.0.0.23', flags: 'slave' }] };
    expect(evaluateSentinel('OK 3 usable', master, 3, 2, all)).toMatchObject({ ok: true, sentinelsUp: 3, replicasUp: 2 });
    const peerDown = { ...all, sentinels: [up('10.0.0.32'), { ip: '10.0.0.33', flags: 'sentinel,s_down' }] };
    const ev = evaluateSentinel('OK 2 usable', master, 3, 2, peerDown);
    expect(ev.ok).toBe(false);
    expect(ev.detail).toContain('sees 2/3 sentinels');
    expect(ev.detail).toContain('down: sentinel 10.0.0.33');
    const replicaGone = { ...all, replicas: [{ ip: '10.0.0.22', flags: 'slave' }, { ip: '10.0.0.23', flags: 'slave,disconnected' }] };
    expect(evaluateSentinel('OK 3 usable', master, 3, 2, replicaGone)).toMatchObject({ ok: false, replicasUp: 1 });
  });
});

describe('disk headroom', () => {
  const ctx = ctxFor('services:\n  postgres:\n    data: ./pgdata\n');
  const defs = desiredServices(ctx, resolvePorts(ctx.config, [], () => 1));
  const pg = defs.find((d) => d.name === 'postgres')!;
  const redis = defs.find((d) => d.name === 'redis-1')!;
  const running = (name: string, mounts: ContainerInfo['mounts'] = []): ContainerInfo => ({ id: `id-${name}`, name, image: 'i', state: 'running', status: 'Up', labels: { 'baas.service': name }, ports: [{ container: 1, host: 1, hostIp: '127.0.0.1' }], mounts });

  it('judges full below 64 MiB and low below 10 % or 1 GiB', () => {
    expect(headroom('/d', { freeBytes: 0, totalBytes: 10 * 1024 ** 3 })).toMatchObject({ full: true, low: true });
    expect(headroom('/d', { freeBytes: 500 * 1024 ** 2, totalBytes: 1024 ** 3 })).toMatchObject({ full: false, low: true });
    expect(headroom('/d', { freeBytes: 50 * 1024 ** 3, totalBytes: 100 * 1024 ** 3 })).toMatchObject({ full: false, low: false });
  });

  it('finds the data location of a bind path and of a volume', () => {
    expect(dataLocation(pg)).toMatchObject({ location: '/srv/unit/pgdata', hostPath: '/srv/unit/pgdata' });
    const v = dataLocation(redis, running('redis-1', [{ type: 'volume', name: 'baas-unit-redis-1-data', source: '/var/lib/docker/volumes/baas-unit-redis-1-data/_data', target: '/data' }]));
    expect(v?.location).toBe('volume baas-unit-redis-1-data (/var/lib/docker/volumes/baas-unit-redis-1-data/_data)');
  });

  it('asks the container with df when the host path cannot be read', async () => {
    expect(parseDf('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x 1000 1000 0 100% /data\n')).toEqual({ totalBytes: 1024000, freeBytes: 0 });
    const runtime = { exec: async () => ({ exitCode: 0, stdout: 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x 1000 1000 0 100% /data\n', stderr: '' }) } as unknown as ContainerRuntime;
    const denied = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    const d = await measureHeadroom(runtime, redis, running('redis-1'), { statfs: denied });
    expect(d).toMatchObject({ full: true, freeBytes: 0 });
  });

  it('reports a service whose data location is full as unhealthy, naming the location', async () => {
    const runtime = {} as ContainerRuntime;
    const [r] = await stackHealth(ctx, [pg], [running('postgres')], { runtime, statfs: () => ({ freeBytes: 0, totalBytes: 200 * 1024 ** 2 }) });
    expect(r!.status).toBe('unhealthy');
    expect(r!.disk).toMatchObject({ full: true, location: '/srv/unit/pgdata' });
    expect(r!.detail).toMatch(/^data location full: 0 B free of 200 MB \(0 %\) at \/srv\/unit\/pgdata/);
  });
});
