import { describe, expect, it } from 'vitest';
import { EVENT_VIEW_SIZE, eventView, initialSentinelEvents, reduceSentinelEvent } from '../../../src/dashboard/sentinel-events.js';
import { FAILOVER_EVENTS } from './fixtures.js';

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

describe('eventView', () => {
  // One real failover (recorded from three sentinels, redis-1 killed): 24 distinct events.
  const recorded = () => {
    let s = initialSentinelEvents();
    FAILOVER_EVENTS.forEach(([type, message], i) => (s = reduceSentinelEvent(s, type, message, t0 + i * 40, ctx).state));
    return s.events;
  };

  it("keeps a failover's decisive events when its steps alone would fill the view", () => {
    const events = recorded();
    expect(events.length).toBeGreaterThan(EVENT_VIEW_SIZE);
    expect(events.slice(-EVENT_VIEW_SIZE).some((e) => e.type === '+sdown' && e.message.startsWith('master '))).toBe(false); // what the newest 20 lost
    const view = eventView(events);
    expect(view).toHaveLength(EVENT_VIEW_SIZE);
    const seen = view.map((e) => `${e.type} ${e.message.split(' ')[0]}`);
    for (const e of ['+sdown master', '+odown master', '+try-failover master', '+switch-master mymaster', '-odown master', '+sdown slave', '+failover-end master']) expect(seen).toContain(e);
    // Oldest first, as the history itself, and the newest step is still there.
    expect(view.map((e) => e.at)).toEqual([...view.map((e) => e.at)].sort());
    expect(view).toContainEqual(events.find((e) => e.type === '+slave-reconf-done'));
  });

  it('gives the newest events when they fit, and at most half the room to old decisive ones otherwise', () => {
    const events = recorded();
    expect(eventView(events.slice(0, 10))).toEqual(events.slice(0, 10));
    const four = eventView(events, 4);
    expect(four.map((e) => e.type)).toEqual(['+slave-reconf-inprog', '+slave-reconf-done', '+sdown', '+failover-end']);
    expect(eventView(events, 0)).toEqual([]);
  });
});
