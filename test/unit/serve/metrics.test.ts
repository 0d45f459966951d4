import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../../src/services/redis.js';
import { Exposition, postgresSamples, redisSamples } from '../../../src/serve/metrics.js';

const INFO = ['# Server', 'redis_version:7.0.15', 'redis_mode:standalone', 'os:Linux', 'process_id:6', 'run_id:abc', 'tcp_port:6379', 'server_time_usec:1700000100000000', 'uptime_in_seconds:100', '# Clients', 'connected_clients:7', 'blocked_clients:0', '# Memory', 'used_memory:1359400', 'maxmemory:268435456', 'maxmemory_policy:allkeys-lru', 'mem_fragmentation_ratio:9.33', '# Stats', 'total_commands_processed:237', 'keyspace_hits:50', 'keyspace_misses:30', 'used_cpu_sys:0.03', '# Replication', 'role:master', 'connected_slaves:1', 'slave0:ip=10.0.0.22,port=6379,state=online,offset=5394,lag=1', 'master_repl_offset:5400', '# Keyspace', 'db0:keys=50,expires=2,avg_ttl=3000'].join('\r\n');

describe('metrics', () => {
  it("maps INFO to redis_exporter's names and labels", () => {
    const s = redisSamples('redis-1', parseInfo(INFO));
    const get = (name: string) => s.filter((x) => x.name === name);
    expect(get('redis_up')).toEqual([{ name: 'redis_up', labels: { instance: 'redis-1' }, value: 1 }]);
    expect(get('redis_memory_used_bytes')[0]!.value).toBe(1359400);
    expect(get('redis_keyspace_hits_total')[0]!.value).toBe(50);
    expect(get('redis_db_keys')).toEqual([{ name: 'redis_db_keys', labels: { instance: 'redis-1', db: 'db0' }, value: 50 }]);
    expect(get('redis_db_avg_ttl_seconds')[0]!.value).toBe(3);
    expect(get('redis_connected_slave_offset_bytes')[0]).toEqual({ name: 'redis_connected_slave_offset_bytes', labels: { instance: 'redis-1', slave_ip: '10.0.0.22', slave_port: '6379', slave_state: 'online' }, value: 5394 });
    expect(get('redis_start_time_seconds')[0]!.value).toBe(1700000000);
    expect(get('redis_instance_info')[0]!.labels).toMatchObject({ role: 'master', redis_version: '7.0.15', maxmemory_policy: 'allkeys-lru' });
    expect(redisSamples('redis-2', null)).toEqual([{ name: 'redis_up', labels: { instance: 'redis-2' }, value: 0 }]);
  });

  it("maps pg_stat_database to postgres_exporter's names", () => {
    const s = postgresSamples('postgres', { up: true, maxConnections: 100, connections: 3, stats: [{ datid: '16384', datname: 'app', numbackends: 2, xact_commit: '21', blks_hit: '900', active_time: 2500, stats_reset: null }], activity: [{ datname: 'app', state: 'idle', count: 2 }], sizes: [{ datname: 'app', bytes: 7829183 }] });
    const by = Object.fromEntries(s.map((x) => [x.name, x]));
    expect(by['pg_stat_database_xact_commit']).toEqual({ name: 'pg_stat_database_xact_commit', labels: { instance: 'postgres', datid: '16384', datname: 'app' }, value: 21 });
    expect(by['pg_stat_database_active_time_seconds_total']!.value).toBe(2.5);
    expect(by['pg_settings_max_connections']!.value).toBe(100);
    expect(by['pg_database_size_bytes']!.labels).toEqual({ instance: 'postgres', datname: 'app' });
    expect(postgresSamples('postgres', { up: false, maxConnections: null, connections: null, stats: [], activity: [], sizes: [] })).toEqual([{ name: 'pg_up', labels: { instance: 'postgres' }, value: 0 }]);
  });

  it('exposes each collection through prom-client, typed, and drops series that went away', async () => {
    let t = 0;
    const e = await Exposition.create({ processMetrics: false, now: () => t, maxAgeMs: 1000 });
    e.update([...redisSamples('redis-1', parseInfo(INFO)), { name: 'baas_branch_size_bytes', labels: { branch: 'x', database: 'br_x', parent: 'main' }, value: 10 }]);
    const fams = parsePrometheusTextFormat(await e.text()) as { name: string; type: string; metrics: { value: string }[] }[];
    const byName = new Map(fams.map((f) => [f.name, f]));
    expect(byName.get('redis_commands_processed_total')).toMatchObject({ type: 'COUNTER', metrics: [{ value: '237' }] });
    expect(byName.get('redis_connected_clients')).toMatchObject({ type: 'GAUGE', metrics: [{ value: '7' }] });
    expect(byName.get('baas_branch_size_bytes')!.metrics).toHaveLength(1);
    e.update(redisSamples('redis-1', parseInfo(INFO)));
    t = 10; // a new collection renders again at once
    expect(await e.text()).not.toMatch(/^baas_branch_size_bytes\{/m);
  });
});
