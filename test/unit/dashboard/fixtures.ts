import type { HistoryPoint, Snapshot } from '../../../src/dashboard/types.js';

export function normalSnapshot(): Snapshot {
  return {
    at: '2026-01-02T10:11:12.000Z',
    project: 'shop',
    intervalMs: 1000,
    master: { name: 'redis-1', address: '10.1.2.21:6379', host: '127.0.0.1:6379', reachable: true },
    overview: {
      opsPerSec: 12_345,
      hitRate: 0.953,
      hitRateLifetime: 0.9,
      hits: 11_000,
      misses: 540,
      usedMemory: 64 * 1024 * 1024,
      maxmemory: 256 * 1024 * 1024,
      memoryRatio: 0.25,
      evictionsPerSec: 0,
      expirationsPerSec: 3,
      connectedClients: 12,
      blockedClients: 1,
      rejectedConnections: 0,
      rejectedPerSec: 0,
      fragmentation: 1.12,
      maxmemoryPolicy: 'allkeys-lfu',
      version: '7.0.15',
      keys: 50_505,
    },
    replication: {
      master: { name: 'redis-1', address: '10.1.2.21:6379', reachable: true },
      replicas: [
        { name: 'redis-2', address: '10.1.2.22:6379', reachable: true, role: 'replica', link: 'online', lagBytes: 0, lastAckSeconds: 0 },
        { name: 'redis-3', address: '10.1.2.23:6379', reachable: true, role: 'replica', link: 'online', lagBytes: 120, lastAckSeconds: 1 },
      ],
      expectedReplicas: 2,
    },
    sentinel: {
      enabled: true,
      masterName: 'baas',
      masterAddress: '10.1.2.21:6379',
      quorum: 2,
      quorumOk: true,
      quorumDetail: 'OK 3 usable Sentinels. Quorum and failover authorization can be reached',
      sentinelsExpected: 3,
      sentinelsReachable: 3,
      sentinelsSeen: 3,
      replicasSeen: 2,
      flags: 'master',
      events: [],
    },
    failover: { inProgress: false, count: 0, last: null },
    latency: {
      latest: [{ event: 'command', at: '2026-01-02T10:10:00.000Z', latestMs: 31, maxMs: 40 }],
      slowlog: [{ id: 7, at: '2026-01-02T10:09:00.000Z', durationUs: 12_500, command: 'KEYS *' }],
    },
    hotKeys: {
      method: 'lfu',
      note: 'OBJECT FREQ sampling over SCAN (policy allkeys-lfu)',
      unit: 'LFU counter',
      windowSeconds: 60,
      sampled: 505,
      keys: [
        { key: 'user:42:session', score: 25 },
        { key: 'cart:7', score: 21 },
        { key: 'product:1', score: 19 },
        { key: 'product:2', score: 6 },
      ],
    },
    alerts: { active: [], recent: [{ id: 'memory', kind: 'memory', severity: 'warning', message: 'Memory 240 MB is 94% of maxmemory 256 MB (alert above 90%).', at: '2026-01-01T09:00:00.000Z', state: 'resolved', project: 'shop' }] },
    postgres: { enabled: true, reachable: true, connections: 4, maxConnections: 100, databases: 3, branches: 2, detail: '4/100 connections, 3 database(s) (2 branches)' },
    mongo: { enabled: false, reachable: null, detail: 'disabled' },
    notes: [],
  };
}

export function degradedSnapshot(): Snapshot {
  const s = normalSnapshot();
  s.overview = { ...s.overview!, hitRate: 0.41, memoryRatio: 0.95, usedMemory: 243 * 1024 * 1024, rejectedConnections: 3, evictionsPerSec: 120 };
  s.replication.replicas[1] = { name: 'redis-3', address: '10.1.2.23:6379', reachable: false, role: 'unknown', link: 'unreachable', lagBytes: null, lastAckSeconds: null };
  s.sentinel = { ...s.sentinel, sentinelsReachable: 1, quorumOk: false, quorumDetail: 'NOQUORUM 1 usable Sentinels.' };
  s.alerts.active = [
    { id: 'hitRate', kind: 'hitRate', severity: 'warning', message: 'Hit rate 41.0% is below 80%.' },
    { id: 'memory', kind: 'memory', severity: 'warning', message: 'Memory 243 MB is 95% of maxmemory 256 MB (alert above 90%).' },
    { id: 'quorumLost', kind: 'quorumLost', severity: 'critical', message: 'Sentinel quorum lost: NOQUORUM 1 usable Sentinels.' },
  ];
  s.postgres = { enabled: true, reachable: false, detail: 'unreachable: connect ECONNREFUSED 127.0.0.1:5432' };
  s.notes = ['redis-3 does not answer: connect ECONNREFUSED.'];
  return s;
}

export function failoverSnapshot(): Snapshot {
  const s = normalSnapshot();
  s.master = { name: 'redis-3', address: '10.1.2.23:6379', host: '127.0.0.1:6381', reachable: true };
  s.replication = {
    master: { name: 'redis-3', address: '10.1.2.23:6379', reachable: true },
    replicas: [
      { name: 'redis-1', address: '10.1.2.21:6379', reachable: false, role: 'unknown', link: 'unreachable', lagBytes: null, lastAckSeconds: null },
      { name: 'redis-2', address: '10.1.2.22:6379', reachable: true, role: 'replica', link: 'online', lagBytes: 0, lastAckSeconds: 0 },
    ],
    expectedReplicas: 2,
  };
  s.sentinel.masterAddress = '10.1.2.23:6379';
  s.sentinel.events = [
    { at: '2026-01-02T10:11:09.000Z', type: '+sdown', message: 'master baas 10.1.2.21 6379', sentinels: 3 },
    { at: '2026-01-02T10:11:09.500Z', type: '+odown', message: 'master baas 10.1.2.21 6379 #quorum 2/2', sentinels: 1 },
    { at: '2026-01-02T10:11:11.000Z', type: '+switch-master', message: 'baas 10.1.2.21 6379 10.1.2.23 6379', sentinels: 3 },
  ];
  s.failover = { inProgress: false, count: 1, last: { at: '2026-01-02T10:11:11.000Z', from: 'redis-1', to: 'redis-3' } };
  s.alerts.recent = [...s.alerts.recent, { id: 'failover:1', kind: 'failover', severity: 'critical', message: 'Failover: the master moved from redis-1 to redis-3.', at: '2026-01-02T10:11:11.000Z', state: 'event', project: 'shop' }];
  return s;
}

export function history(n = 120): HistoryPoint[] {
  return Array.from({ length: n }, (_, i) => ({ at: i * 1000, opsPerSec: 10_000 + 3000 * Math.sin(i / 5), hitRate: 0.9 + 0.05 * Math.cos(i / 7), usedMemory: (60 + i / 10) * 1024 * 1024 }));
}

/** The events of one real failover as three sentinels published them (master "mymaster" at 10.0.0.21 killed, 10.0.0.23 promoted). */
export const FAILOVER_EVENTS: [string, string][] = [
  ...['s1', 's2', 's3'].map((): [string, string] => ['+sdown', 'master mymaster 10.0.0.21 6379']),
  ['+odown', 'master mymaster 10.0.0.21 6379 #quorum 2/2'],
  ...['s1', 's2', 's3'].map((): [string, string] => ['+new-epoch', '1']),
  ['+try-failover', 'master mymaster 10.0.0.21 6379'],
  ...['s1', 's2', 's3'].map((): [string, string] => ['+vote-for-leader', 'ac61d9284d8aa34d417354ec9d8c9b4955b52576 1']),
  ['+odown', 'master mymaster 10.0.0.21 6379 #quorum 3/2'],
  ['+odown', 'master mymaster 10.0.0.21 6379 #quorum 3/2'],
  ['+elected-leader', 'master mymaster 10.0.0.21 6379'],
  ['+failover-state-select-slave', 'master mymaster 10.0.0.21 6379'],
  ['+selected-slave', 'slave 10.0.0.23:6379 10.0.0.23 6379 @ mymaster 10.0.0.21 6379'],
  ['+failover-state-send-slaveof-noone', 'slave 10.0.0.23:6379 10.0.0.23 6379 @ mymaster 10.0.0.21 6379'],
  ['+failover-state-wait-promotion', 'slave 10.0.0.23:6379 10.0.0.23 6379 @ mymaster 10.0.0.21 6379'],
  ...['s1', 's2', 's3'].map((): [string, string] => ['-role-change', 'slave 10.0.0.23:6379 10.0.0.23 6379 @ mymaster 10.0.0.21 6379 new reported role is master']),
  ['+promoted-slave', 'slave 10.0.0.23:6379 10.0.0.23 6379 @ mymaster 10.0.0.21 6379'],
  ['+failover-state-reconf-slaves', 'master mymaster 10.0.0.21 6379'],
  ['+slave-reconf-sent', 'slave 10.0.0.22:6379 10.0.0.22 6379 @ mymaster 10.0.0.21 6379'],
  ...['s2', 's3'].map((): [string, string] => ['+config-update-from', 'sentinel ac61d9284d8aa34d417354ec9d8c9b4955b52576 10.0.0.33 26379 @ mymaster 10.0.0.21 6379']),
  ...['s1', 's2', 's3'].map((): [string, string] => ['+switch-master', 'mymaster 10.0.0.21 6379 10.0.0.23 6379']),
  ...['s1', 's2', 's3'].map((): [string, string] => ['+slave', 'slave 10.0.0.22:6379 10.0.0.22 6379 @ mymaster 10.0.0.23 6379']),
  ...['s1', 's2', 's3'].map((): [string, string] => ['+slave', 'slave 10.0.0.21:6379 10.0.0.21 6379 @ mymaster 10.0.0.23 6379']),
  ['-odown', 'master mymaster 10.0.0.21 6379'],
  ['+slave-reconf-inprog', 'slave 10.0.0.22:6379 10.0.0.22 6379 @ mymaster 10.0.0.21 6379'],
  ['+slave-reconf-done', 'slave 10.0.0.22:6379 10.0.0.22 6379 @ mymaster 10.0.0.21 6379'],
  ...['s1', 's2'].map((): [string, string] => ['+sdown', 'slave 10.0.0.21:6379 10.0.0.21 6379 @ mymaster 10.0.0.23 6379']),
  ['+failover-end', 'master mymaster 10.0.0.21 6379'],
];
