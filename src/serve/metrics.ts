/**
 * /metrics: Prometheus exposition through prom-client. Names and labels follow redis_exporter
 * and postgres_exporter for the quantities both have (so their Grafana dashboards work); each
 * Redis node and the Postgres server carry `instance` (scrape with `honor_labels: true`), and
 * baas adds its own `baas_*` series. Values come from the agent's last collection: a scrape
 * never asks a server anything. The sample builders are pure; `Exposition` owns prom-client.
 */
import type { Registry } from 'prom-client';

export type MetricType = 'gauge' | 'counter';

export interface Family {
  name: string;
  help: string;
  type: MetricType;
  labels: string[];
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const g = (name: string, help: string, labels: string[] = []): Family => ({ name, help, type: 'gauge', labels });
const c = (name: string, help: string, labels: string[] = []): Family => ({ name, help, type: 'counter', labels });

/** INFO field → redis_exporter metric (gauges and counters as that exporter types them). */
export const REDIS_INFO_GAUGES: Record<string, string> = {
  uptime_in_seconds: 'redis_uptime_in_seconds',
  connected_clients: 'redis_connected_clients',
  blocked_clients: 'redis_blocked_clients',
  used_memory: 'redis_memory_used_bytes',
  used_memory_rss: 'redis_memory_used_rss_bytes',
  used_memory_peak: 'redis_memory_used_peak_bytes',
  used_memory_lua: 'redis_memory_used_lua_bytes',
  maxmemory: 'redis_memory_max_bytes',
  mem_fragmentation_ratio: 'redis_mem_fragmentation_ratio',
  connected_slaves: 'redis_connected_slaves',
  master_repl_offset: 'redis_master_repl_offset',
  repl_backlog_size: 'redis_replication_backlog_bytes',
  rdb_changes_since_last_save: 'redis_rdb_changes_since_last_save',
  rdb_bgsave_in_progress: 'redis_rdb_bgsave_in_progress',
  rdb_last_save_time: 'redis_rdb_last_save_timestamp_seconds',
  aof_enabled: 'redis_aof_enabled',
  aof_rewrite_in_progress: 'redis_aof_rewrite_in_progress',
  pubsub_channels: 'redis_pubsub_channels',
  pubsub_patterns: 'redis_pubsub_patterns',
  latest_fork_usec: 'redis_latest_fork_usec',
};

export const REDIS_INFO_COUNTERS: Record<string, string> = {
  total_connections_received: 'redis_connections_received_total',
  total_commands_processed: 'redis_commands_processed_total',
  rejected_connections: 'redis_rejected_connections_total',
  total_net_input_bytes: 'redis_net_input_bytes_total',
  total_net_output_bytes: 'redis_net_output_bytes_total',
  expired_keys: 'redis_expired_keys_total',
  evicted_keys: 'redis_evicted_keys_total',
  keyspace_hits: 'redis_keyspace_hits_total',
  keyspace_misses: 'redis_keyspace_misses_total',
  used_cpu_sys: 'redis_cpu_sys_seconds_total',
  used_cpu_user: 'redis_cpu_user_seconds_total',
};

/** pg_stat_database column → postgres_exporter metric (counters unless said). */
export const PG_STAT_DATABASE: Record<string, MetricType> = {
  numbackends: 'gauge',
  xact_commit: 'counter',
  xact_rollback: 'counter',
  blks_read: 'counter',
  blks_hit: 'counter',
  tup_returned: 'counter',
  tup_fetched: 'counter',
  tup_inserted: 'counter',
  tup_updated: 'counter',
  tup_deleted: 'counter',
  conflicts: 'counter',
  temp_files: 'counter',
  temp_bytes: 'counter',
  deadlocks: 'counter',
  blk_read_time: 'counter',
  blk_write_time: 'counter',
};

export const FAMILIES: Family[] = [
  // redis_exporter
  g('redis_up', 'Information about the Redis instance', ['instance']),
  ...Object.entries(REDIS_INFO_GAUGES).map(([k, n]) => g(n, `${k} from INFO (redis_exporter name)`, ['instance'])),
  ...Object.entries(REDIS_INFO_COUNTERS).map(([k, n]) => c(n, `${k} from INFO (redis_exporter name)`, ['instance'])),
  g('redis_start_time_seconds', 'Start time of the Redis instance since unix epoch in seconds.', ['instance']),
  g('redis_instance_info', 'Information about the Redis instance', ['instance', 'role', 'redis_version', 'redis_mode', 'os', 'maxmemory_policy', 'tcp_port', 'run_id', 'process_id']),
  g('redis_db_keys', 'Total number of keys by DB', ['instance', 'db']),
  g('redis_db_keys_expiring', 'Total number of expiring keys by DB', ['instance', 'db']),
  g('redis_db_avg_ttl_seconds', 'Avg TTL in seconds', ['instance', 'db']),
  g('redis_master_link_up', 'Master link status on Redis slave', ['instance', 'master_host', 'master_port']),
  g('redis_connected_slave_offset_bytes', 'Offset of connected slave', ['instance', 'slave_ip', 'slave_port', 'slave_state']),
  g('redis_connected_slave_lag_seconds', 'Lag of connected slave', ['instance', 'slave_ip', 'slave_port', 'slave_state']),
  g('redis_sentinel_master_status', 'Master status on Sentinel', ['master_name', 'master_address', 'master_status']),
  g('redis_sentinel_master_slaves', 'The number of slaves of the master', ['master_name', 'master_address']),
  g('redis_sentinel_master_sentinels', 'The number of sentinels monitoring this master', ['master_name', 'master_address']),
  // postgres_exporter
  g('pg_up', 'Whether the last scrape of metrics from PostgreSQL was able to connect to the server (1 for yes, 0 for no).', ['instance']),
  ...Object.entries(PG_STAT_DATABASE).map(([col, type]) => ({ name: `pg_stat_database_${col}`, help: `pg_stat_database.${col} (postgres_exporter name)`, type, labels: ['instance', 'datid', 'datname'] })),
  c('pg_stat_database_stats_reset', 'Time at which these statistics were last reset', ['instance', 'datid', 'datname']),
  c('pg_stat_database_active_time_seconds_total', 'Time spent executing SQL statements in this database, in seconds', ['instance', 'datid', 'datname']),
  g('pg_settings_max_connections', 'Server Parameter: max_connections', ['instance']),
  g('pg_database_size_bytes', 'Disk space used by the database', ['instance', 'datname']),
  g('pg_stat_activity_count', 'number of connections in this state', ['instance', 'datname', 'state']),
  // baas
  g('baas_up', 'Whether the agent could collect from the service on its last collection (1 yes, 0 no)', ['service']),
  g('baas_service_healthy', 'Per container: 1 when its last `baas health` check (merged with the last collection) was healthy', ['service', 'kind', 'status']),
  g('baas_health_status', 'Overall /health status: 2 ok, 1 degraded, 0 down'),
  g('baas_last_collection_timestamp_seconds', 'When the agent last collected from the servers (what /health and /metrics serve)'),
  g('baas_last_health_check_timestamp_seconds', 'When the full `baas health` checks last ran'),
  g('baas_collection_duration_seconds', 'How long the last collection took'),
  c('baas_failovers_total', 'Sentinel failovers (+switch-master) seen by the agent since it started'),
  g('baas_redis_master', '1 for the node that is the Redis master now', ['instance']),
  g('baas_alerts_active', 'Alerts active now', ['kind', 'severity']),
  c('baas_alerts_fired_total', 'Alerts fired since the agent started', ['kind', 'severity']),
  c('baas_webhook_deliveries_total', 'Webhook deliveries by outcome since the agent started', ['webhook', 'result']),
  g('baas_branches', 'Database branches (br_* databases carrying baas metadata)'),
  g('baas_branch_size_bytes', 'Size of each branch database (logical: clones share blocks with their parent on disk)', ['branch', 'database', 'parent']),
  g('baas_branch_expired', '1 when the branch has passed its TTL (branch gc deletes it)', ['branch']),
  g('baas_schedule_last_run_timestamp_seconds', 'When a schedule last finished', ['schedule', 'job']),
  g('baas_schedule_last_run_success', '1 when the last run of a schedule succeeded', ['schedule', 'job']),
  g('baas_schedule_next_run_timestamp_seconds', 'When a schedule runs next', ['schedule', 'job']),
  // Labelled, so that they are absent (not 0, which would read as a fresh backup) until the repository was read.
  g('baas_backups', 'Usable base backups in the repository (with backups on)', ['repository']),
  g('baas_backup_last_success_timestamp_seconds', 'When the newest usable base backup finished', ['repository']),
  g('baas_backup_age_seconds', 'Age of the newest usable base backup: alert when it exceeds the schedule', ['repository']),
];

const num = (v: string | undefined): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** One Redis node's INFO as redis_exporter samples. `info` null: the node did not answer (redis_up 0). */
export function redisSamples(instance: string, info: Record<string, string> | null): Sample[] {
  const out: Sample[] = [{ name: 'redis_up', labels: { instance }, value: info ? 1 : 0 }];
  if (!info) return out;
  for (const [k, name] of [...Object.entries(REDIS_INFO_GAUGES), ...Object.entries(REDIS_INFO_COUNTERS)]) {
    const v = num(info[k]);
    if (v !== undefined) out.push({ name, labels: { instance }, value: v });
  }
  const uptime = num(info['uptime_in_seconds']);
  const serverTime = num(info['server_time_usec']);
  if (uptime !== undefined && serverTime !== undefined) out.push({ name: 'redis_start_time_seconds', labels: { instance }, value: Math.round(serverTime / 1e6 - uptime) });
  out.push({
    name: 'redis_instance_info',
    labels: {
      instance,
      role: info['role'] ?? '',
      redis_version: info['redis_version'] ?? '',
      redis_mode: info['redis_mode'] ?? '',
      os: info['os'] ?? '',
      maxmemory_policy: info['maxmemory_policy'] ?? '',
      tcp_port: info['tcp_port'] ?? '',
      run_id: info['run_id'] ?? '',
      process_id: info['process_id'] ?? '',
    },
    value: 1,
  });
  for (const [k, v] of Object.entries(info)) {
    const db = /^db(\d+)$/.exec(k);
    if (db) {
      const f = Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string]));
      out.push({ name: 'redis_db_keys', labels: { instance, db: k }, value: num(f['keys']) ?? 0 });
      out.push({ name: 'redis_db_keys_expiring', labels: { instance, db: k }, value: num(f['expires']) ?? 0 });
      out.push({ name: 'redis_db_avg_ttl_seconds', labels: { instance, db: k }, value: (num(f['avg_ttl']) ?? 0) / 1000 });
      continue;
    }
    if (/^slave\d+$/.test(k)) {
      const f = Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string]));
      const labels = { instance, slave_ip: f['ip'] ?? '', slave_port: f['port'] ?? '', slave_state: f['state'] ?? '' };
      out.push({ name: 'redis_connected_slave_offset_bytes', labels, value: num(f['offset']) ?? 0 });
      out.push({ name: 'redis_connected_slave_lag_seconds', labels, value: num(f['lag']) ?? 0 });
    }
  }
  if (info['role'] === 'slave' && info['master_host'] !== undefined) {
    out.push({ name: 'redis_master_link_up', labels: { instance, master_host: info['master_host'], master_port: info['master_port'] ?? '' }, value: info['master_link_status'] === 'up' ? 1 : 0 });
  }
  return out;
}

export interface PgDatabaseRow {
  datid: string;
  datname: string;
  [column: string]: string | number | null;
}

export interface PgSample {
  up: boolean;
  maxConnections: number | null;
  connections: number | null;
  stats: PgDatabaseRow[];
  activity: { datname: string; state: string; count: number }[];
  sizes: { datname: string; bytes: number }[];
}

export function postgresSamples(instance: string, pg: PgSample | null): Sample[] {
  if (!pg) return [];
  const out: Sample[] = [{ name: 'pg_up', labels: { instance }, value: pg.up ? 1 : 0 }];
  if (!pg.up) return out;
  if (pg.maxConnections !== null) out.push({ name: 'pg_settings_max_connections', labels: { instance }, value: pg.maxConnections });
  for (const row of pg.stats) {
    const labels = { instance, datid: String(row.datid), datname: String(row.datname) };
    for (const col of Object.keys(PG_STAT_DATABASE)) {
      const v = Number(row[col]);
      if (row[col] !== null && row[col] !== undefined && Number.isFinite(v)) out.push({ name: `pg_stat_database_${col}`, labels, value: v });
    }
    out.push({ name: 'pg_stat_database_stats_reset', labels, value: Number(row['stats_reset'] ?? 0) || 0 });
    if (row['active_time'] !== null && row['active_time'] !== undefined) out.push({ name: 'pg_stat_database_active_time_seconds_total', labels, value: Number(row['active_time']) / 1000 });
  }
  for (const a of pg.activity) out.push({ name: 'pg_stat_activity_count', labels: { instance, datname: a.datname, state: a.state }, value: a.count });
  for (const s of pg.sizes) out.push({ name: 'pg_database_size_bytes', labels: { instance, datname: s.datname }, value: s.bytes });
  return out;
}

/**
 * The registry: families are declared once; every collection replaces all values at once (a
 * series that disappeared, such as a deleted branch, disappears from the exposition too).
 * prom-client counters cannot be set, so a counter is reset and incremented to the server's value.
 */
export class Exposition {
  private cache: { version: number; at: number; text: string } | undefined;
  private version = 0;

  private constructor(
    readonly registry: Registry,
    private readonly metrics: Map<string, { type: MetricType; m: { reset(): void; set?: (l: Record<string, string>, v: number) => void; inc?: (l: Record<string, string>, v: number) => void } }>,
    private readonly now: () => number,
    private readonly maxAgeMs: number,
  ) {}

  static async create(options: { processMetrics?: boolean; now?: () => number; maxAgeMs?: number } = {}): Promise<Exposition> {
    const prom = await import('prom-client');
    const registry = new prom.Registry();
    const metrics = new Map<string, { type: MetricType; m: { reset(): void } }>();
    for (const f of FAMILIES) {
      const m = f.type === 'gauge' ? new prom.Gauge({ name: f.name, help: f.help, labelNames: f.labels, registers: [registry] }) : new prom.Counter({ name: f.name, help: f.help, labelNames: f.labels, registers: [registry] });
      metrics.set(f.name, { type: f.type, m });
    }
    // The agent's own process (memory, event loop lag, CPU) under the usual process_/nodejs_ names.
    if (options.processMetrics !== false) prom.collectDefaultMetrics({ register: registry });
    return new Exposition(registry, metrics as never, options.now ?? Date.now, options.maxAgeMs ?? 1000);
  }

  /** Replaces every baas-managed series with `samples`. Unknown names are a programming error. */
  update(samples: Sample[]): void {
    for (const { m } of this.metrics.values()) m.reset();
    for (const s of samples) {
      const entry = this.metrics.get(s.name);
      if (!entry) throw new Error(`no metric family ${s.name}`);
      if (entry.type === 'gauge') entry.m.set!(s.labels, s.value);
      else if (s.value >= 0) entry.m.inc!(s.labels, s.value);
    }
    this.version++;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition; rendered at most once per collection and per `maxAgeMs` (process metrics move on their own). */
  async text(): Promise<string> {
    const now = this.now();
    if (this.cache && this.cache.version === this.version && now - this.cache.at < this.maxAgeMs) return this.cache.text;
    const text = await this.registry.metrics();
    this.cache = { version: this.version, at: now, text };
    return text;
  }
}
