/**
 * The agent's Postgres and MongoDB sampling, each on one connection kept open (reopened after a
 * failure): pg_stat_database and connection counts every interval, database sizes less often.
 * The Redis side is the dashboard's collector.
 */
import { decodeMeta, isExpired } from '../branch/meta.js';
import { branchOfDatabase } from '../branch/names.js';
import type { MongoLike } from '../dashboard/types.js';
import type { Sql } from '../pg/sql.js';
import type { PgDatabaseRow, PgSample } from './metrics.js';

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface BranchSize {
  branch: string;
  database: string;
  parent: string | null;
  bytes: number;
  expired: boolean;
}

export interface PgReading {
  at: number;
  reachable: boolean;
  detail: string;
  sample: PgSample;
  branches: BranchSize[];
}

export const PG_STATS_SQL = `select datid::text as datid, datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit,
  tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks,
  blk_read_time, blk_write_time, extract(epoch from stats_reset)::float8 as stats_reset, active_time
  from pg_stat_database where datname is not null`;

export const PG_ACTIVITY_SQL = `select coalesce(datname, '') as datname, coalesce(state, 'unknown') as state, count(*)::int as count,
  current_setting('max_connections')::int as max_connections
  from pg_stat_activity where backend_type = 'client backend' group by 1, 2`;

export const PG_SIZES_SQL = `select datname, pg_database_size(oid)::float8 as bytes, shobj_description(oid, 'pg_database') as comment
  from pg_database where not datistemplate and datallowconn`;

export class PostgresProbe {
  private client: Sql | undefined;
  private lastSizesAt = -Infinity;
  private sizes: { datname: string; bytes: number }[] = [];
  private branches: BranchSize[] = [];
  private maxConnections: number | null = null;

  constructor(
    private readonly open: () => Promise<Sql>,
    private readonly now: () => number = Date.now,
    private readonly sizesEveryMs = 15_000,
  ) {}

  async sample(): Promise<PgReading> {
    const at = this.now();
    try {
      this.client ??= await this.open();
      const [stats, activity] = [await this.client.query<Record<string, unknown>>(PG_STATS_SQL), await this.client.query<Record<string, unknown>>(PG_ACTIVITY_SQL)];
      if (at - this.lastSizesAt >= this.sizesEveryMs) {
        this.lastSizesAt = at;
        const rows = await this.client.query<Record<string, unknown>>(PG_SIZES_SQL);
        const now = new Date(at);
        this.sizes = rows.map((r) => ({ datname: String(r['datname']), bytes: Number(r['bytes']) }));
        this.branches = rows.flatMap((r) => {
          const database = String(r['datname']);
          const meta = decodeMeta(r['comment'] as string | null);
          const branch = branchOfDatabase(database);
          if (!branch || meta?.kind !== 'branch') return [];
          return [{ branch, database, parent: meta.parent, bytes: Number(r['bytes']), expired: isExpired(meta, now) }];
        });
      }
      const act = activity.map((r) => ({ datname: String(r['datname']), state: String(r['state']), count: Number(r['count']) }));
      if (activity[0]) this.maxConnections = Number(activity[0]['max_connections']);
      const connections = act.reduce((a, r) => a + r.count, 0);
      return {
        at,
        reachable: true,
        detail: `${connections}/${this.maxConnections ?? '?'} connections, ${this.sizes.length} database(s), ${this.branches.length} branch(es)`,
        sample: { up: true, maxConnections: this.maxConnections, connections, stats: stats as PgDatabaseRow[], activity: act, sizes: this.sizes },
        branches: this.branches,
      };
    } catch (e) {
      await this.client?.end().catch(() => {});
      this.client = undefined;
      return { at, reachable: false, detail: `does not answer: ${msg(e)}`, sample: { up: false, maxConnections: null, connections: null, stats: [], activity: [], sizes: [] }, branches: this.branches };
    }
  }

  /** Sizes are re-read on the next sample (after a branch was created or deleted). */
  refreshSizes(): void {
    this.lastSizesAt = -Infinity;
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }
}

export class MongoProbe {
  private client: MongoLike | undefined;
  constructor(
    private readonly open: () => Promise<MongoLike>,
    private readonly now: () => number = Date.now,
  ) {}

  async sample(): Promise<{ at: number; reachable: boolean; detail: string }> {
    const at = this.now();
    try {
      this.client ??= await this.open();
      await this.client.ping();
      return { at, reachable: true, detail: `ping ${this.now() - at} ms` };
    } catch (e) {
      await this.client?.close().catch(() => {});
      this.client = undefined;
      return { at, reachable: false, detail: `does not answer: ${msg(e)}` };
    }
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => {});
    this.client = undefined;
  }
}
