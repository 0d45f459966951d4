import { describe, expect, it } from 'vitest';
import { overviewOf, parseLatencyLatest, parseSlowlog, parseVersion, replicationRows, replicasOfMaster, sparkline, versionAtLeast, type NodeSample } from '../../../src/dashboard/metrics.js';

const sample = (at: number, info: Record<string, string | number>, own: Partial<Pick<NodeSample, 'ownCommands' | 'ownHits' | 'ownMisses'>> = {}, runId = 'r1'): NodeSample => ({
  at,
  runId,
  info: Object.fromEntries(Object.entries({ run_id: runId, maxmemory: 1000, used_memory: 250, maxmemory_policy: 'allkeys-lru', redis_version: '7.0.15', ...info }).map(([k, v]) => [k, String(v)])),
  ownCommands: own.ownCommands ?? 0,
  ownHits: own.ownHits ?? 0,
  ownMisses: own.ownMisses ?? 0,
});

describe('overviewOf', () => {
  it('derives rates and the interval hit rate from two INFO samples, leaving out the dashboard itself', () => {
    const prev = sample(0, { total_commands_processed: 1000, keyspace_hits: 100, keyspace_misses: 0, evicted_keys: 5, expired_keys: 0 }, { ownCommands: 10, ownHits: 0 });
    const cur = sample(2000, { total_commands_processed: 3010, keyspace_hits: 1100, keyspace_misses: 300, evicted_keys: 25, expired_keys: 4, db0: 'keys=7,expires=0,avg_ttl=0' }, { ownCommands: 20, ownHits: 100 });
    const o = overviewOf(cur, prev);
    expect(o.opsPerSec).toBe(1000); // (2010 - 10 own) / 2 s
    expect(o.hits).toBe(900);
    expect(o.misses).toBe(300);
    expect(o.hitRate).toBeCloseTo(0.75);
    expect(o.evictionsPerSec).toBe(10);
    expect(o.expirationsPerSec).toBe(2);
    expect(o.memoryRatio).toBe(0.25);
    expect(o.keys).toBe(7);
  });

  it('has no rates on the first sample, after a restart, or when counters were reset', () => {
    const a = sample(0, { total_commands_processed: 1000 });
    expect(overviewOf(a, undefined).opsPerSec).toBeNull();
    expect(overviewOf(sample(1000, { total_commands_processed: 5 }, {}, 'r2'), a).opsPerSec).toBeNull();
    expect(overviewOf(sample(1000, { total_commands_processed: 5 }), a).opsPerSec).toBeNull();
  });

  it('reports no hit rate without lookups and no memory ratio without maxmemory', () => {
    const o = overviewOf(sample(1000, { maxmemory: 0 }), sample(0, { maxmemory: 0 }));
    expect(o.hitRate).toBeNull();
    expect(o.memoryRatio).toBeNull();
  });
});

describe('replication', () => {
  const master = { role: 'master', master_repl_offset: '5000', slave0: 'ip=10.0.0.22,port=6379,state=online,offset=4000,lag=1', slave1: 'ip=10.0.0.23,port=6379,state=wait_bgsave,offset=0,lag=7' };
  it('reads the replicas a master lists', () => {
    expect(replicasOfMaster(master)).toEqual([
      { ip: '10.0.0.22', port: 6379, state: 'online', offset: 4000, lag: 1 },
      { ip: '10.0.0.23', port: 6379, state: 'wait_bgsave', offset: 0, lag: 7 },
    ]);
  });
  it('computes byte lag from offsets and falls back to the replica when the master is gone', () => {
    const nodes = [
      { name: 'redis-1', internalIp: '10.0.0.21', address: '10.0.0.21:6379', info: master },
      { name: 'redis-2', internalIp: '10.0.0.22', address: '10.0.0.22:6379', info: { role: 'slave', master_link_status: 'up', master_last_io_seconds_ago: '0' } },
      { name: 'redis-3', internalIp: '10.0.0.23', address: '10.0.0.23:6379', info: null },
    ];
    const rows = replicationRows(nodes, '10.0.0.21');
    expect(rows[0]).toMatchObject({ name: 'redis-2', link: 'online', lagBytes: 1000, lastAckSeconds: 1 });
    expect(rows[1]).toMatchObject({ name: 'redis-3', reachable: false, link: 'wait_bgsave', lagBytes: 5000 });
    const noMaster = replicationRows([{ ...nodes[0]!, info: null }, nodes[1]!], '10.0.0.21');
    expect(noMaster[0]).toMatchObject({ name: 'redis-2', link: 'link up', lagBytes: null, lastAckSeconds: 0 });
  });
});

describe('latency and slowlog', () => {
  it('parses LATENCY LATEST, worst first', () => {
    const r = parseLatencyLatest([['command', 1700000000, 30, 40], ['fork', 1700000001, 120, 120]]);
    expect(r.map((x) => x.event)).toEqual(['fork', 'command']);
    expect(r[0]!.at).toBe('2023-11-14T22:13:21.000Z');
  });
  it('keeps the slowest entries and never shows AUTH or CONFIG arguments', () => {
    const r = parseSlowlog([
      [1, 1700000000, 500, ['GET', 'k'], '1.2.3.4:5', ''],
      [2, 1700000000, 90000, ['CONFIG', 'SET', 'requirepass', 'hunter2'], '', ''],
      [3, 1700000000, 20000, ['HSET', 'user:1', 'name', 'x'], '', ''],
    ]);
    expect(r.map((x) => x.command)).toEqual(['CONFIG', 'HSET user:1 …', 'GET k']);
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });
});

describe('helpers', () => {
  it('compares versions from INFO server', () => {
    expect(parseVersion('7.0.15')).toEqual([7, 0, 15]);
    expect(versionAtLeast('8.6.0', 8, 6)).toBe(true);
    expect(versionAtLeast('8.4.2', 8, 6)).toBe(false);
    expect(versionAtLeast('9.0.0', 8, 6)).toBe(true);
    expect(versionAtLeast(undefined, 8, 6)).toBe(false);
  });
  it('draws sparklines of the last values, with gaps', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8, { min: 0 })).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([1, null, 1], 3)).toBe('▄ ▄');
    expect(sparkline([5, 6, 7, 8], 2, { min: 0, max: 8 })).toHaveLength(2);
  });
});
