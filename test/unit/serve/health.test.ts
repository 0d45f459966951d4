import { describe, expect, it } from 'vitest';
import { healthView, serviceView, type HealthInput } from '../../../src/serve/health.js';
import type { HealthReport } from '../../../src/services/types.js';
import { normalSnapshot } from '../dashboard/fixtures.js';

const healthy = (service: string, kind: HealthReport['kind'], role?: string): HealthReport => ({ service, kind, status: 'healthy', detail: 'ok', ...(role ? { role } : {}) });
const reports = (): HealthReport[] => [healthy('postgres', 'postgres', 'primary'), healthy('redis-1', 'redis', 'master'), healthy('redis-2', 'redis', 'replica'), healthy('redis-3', 'redis', 'replica'), healthy('sentinel-1', 'sentinel')];

function input(over: Partial<HealthInput> = {}): HealthInput {
  const now = 1_000_000;
  const snapshot = normalSnapshot();
  return {
    project: 'shop',
    now,
    enabled: { postgres: true, redis: true, mongo: false },
    full: { at: now - 2000, reports: reports() },
    redis: { at: now - 500, snapshot },
    postgres: { at: now - 500, reachable: true, detail: '3/100 connections' },
    mongo: undefined,
    staleAfterMs: 6000,
    fullStaleAfterMs: 25_000,
    ...over,
  };
}

describe('healthView', () => {
  it('is ok when every service is available and every container healthy, with its freshness', () => {
    const v = healthView(input());
    expect(v.status).toBe('ok');
    expect(v.collectionAgeMs).toBe(500);
    expect(v.checkAgeMs).toBe(2000);
    expect(v.services.map((s) => `${s.service}:${s.status}`)).toEqual(['postgres:healthy', 'redis:healthy', 'mongo:disabled']);
  });

  it('is down as soon as the collection sees the master stop answering, before any health check', () => {
    const s = normalSnapshot();
    const v = healthView(input({ redis: { at: 999_900, snapshot: { ...s, master: { ...s.master!, reachable: false } } } }));
    expect(v.status).toBe('down');
    const redis = v.services.find((x) => x.service === 'redis')!;
    expect(redis.detail).toMatch(/does not answer/);
    expect(redis.containers.find((c) => c.service === s.master!.name)!.status).toBe('unhealthy');
  });

  it('is degraded (still up for a load balancer) after a failover while the old master is stopped', () => {
    const s = normalSnapshot();
    const full = reports().map((r) => (r.service === 'redis-1' ? { ...r, status: 'stopped' as const, detail: 'container is exited' } : r));
    const v = healthView(input({ full: { at: 999_000, reports: full }, redis: { at: 999_900, snapshot: s } }));
    expect(v.status).toBe('degraded');
    expect(v.detail).toContain('redis-1 (stopped)');
  });

  it('says down when nothing fresh is known, and while the agent stops', () => {
    expect(healthView(input({ full: { at: 0, reports: reports() }, redis: { at: 0, snapshot: normalSnapshot() }, postgres: { at: 0, reachable: true, detail: '' } })).status).toBe('down');
    expect(healthView(input({ full: undefined, redis: undefined, postgres: undefined })).detail).toMatch(/starting/);
    expect(healthView(input({ stopping: true }))).toMatchObject({ status: 'down', detail: 'the agent is shutting down' });
  });

  it('answers for one group or one container', () => {
    const v = healthView(input({ postgres: { at: 999_900, reachable: false, detail: 'does not answer: ECONNREFUSED' } }));
    expect(serviceView(v, 'postgres')).toMatchObject({ found: true, ok: false });
    expect(serviceView(v, 'redis')).toMatchObject({ found: true, ok: true });
    expect(serviceView(v, 'redis-2')).toMatchObject({ found: true, ok: true, body: { service: 'redis-2', group: 'redis' } });
    expect(serviceView(v, 'nope')).toEqual({ found: false });
  });
});
