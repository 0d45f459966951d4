import { describe, expect, it } from 'vitest';
import { initialSentinelEvents, reduceSentinelEvent } from '../../../src/dashboard/sentinel-events.js';

const ctx = { masterName: 'mymaster', nameOf: (ip: string, port: string) => ({ '10.0.0.21': 'redis-1', '10.0.0.22': 'redis-2' })[ip] ?? `${ip}:${port}` };
const t0 = Date.parse('2026-01-01T00:00:00Z');

describe('reduceSentinelEvent', () => {
  it('follows a failover from +odown to +switch-master, counting each sentinel copy once', () => {
    let s = initialSentinelEvents();
    s = reduceSentinelEvent(s, '+odown', 'master mymaster 10.0.0.21 6379 #quorum 2/2', t0, ctx).state;
    expect(s.failover.inProgress).toBe(true);
    s = reduceSentinelEvent(s, '+odown', 'master mymaster 10.0.0.21 6379 #quorum 2/2', t0 + 50, ctx).state;
    expect(s.events).toHaveLength(1);
    expect(s.events[0]!.sentinels).toBe(2);
    const r = reduceSentinelEvent(s, '+switch-master', 'mymaster 10.0.0.21 6379 10.0.0.22 6379', t0 + 3000, ctx);
    expect(r.effect.masterIp).toBe('10.0.0.22');
    expect(r.effect.alert?.message).toBe('Failover: the master moved from redis-1 to redis-2.');
    expect(r.state.failover).toMatchObject({ inProgress: false, count: 1, last: { from: 'redis-1', to: 'redis-2' } });
  });

  it("ignores hello traffic and other masters' failovers", () => {
    const s = initialSentinelEvents();
    expect(reduceSentinelEvent(s, '__sentinel__:hello', 'x', t0, ctx).state).toBe(s);
    const other = reduceSentinelEvent(s, '+switch-master', 'othermaster 1.1.1.1 6379 2.2.2.2 6379', t0, ctx);
    expect(other.effect).toEqual({});
    expect(other.state.failover.count).toBe(0);
  });
});
