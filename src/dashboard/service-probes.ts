/**
 * The dashboard's slow probes of the other engines: Postgres (connections, databases, branches)
 * and MongoDB (a ping). Each keeps one session open and reconnects after a failure; the
 * collector asks them every few seconds.
 */
import type { Sql } from '../pg/sql.js';
import { archiverFromRow, describeArchiver } from '../services/postgres-backups.js';
import type { MongoLike, PostgresLine, ServiceLine } from './types.js';

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface ServiceProbe<L extends ServiceLine> {
  readonly line: L;
  sample(): Promise<void>;
  close(): Promise<void>;
}

const disabled = { enabled: false, reachable: null, detail: 'disabled' } as const;

export class PostgresProbe implements ServiceProbe<PostgresLine> {
  line: PostgresLine;
  private client: Sql | undefined;

  constructor(private readonly dep: { open(): Promise<Sql> } | undefined) {
    this.line = dep ? { enabled: true, reachable: null, detail: 'connecting' } : { ...disabled };
  }

  async sample(): Promise<void> {
    if (!this.dep) return;
    try {
      this.client ??= await this.dep.open();
      const rows = await this.client.query<Record<string, unknown>>(
        `select (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as connections,
                current_setting('max_connections')::int as max_connections,
                (select count(*) from pg_database where not datistemplate and datname <> 'postgres')::int as databases,
                (select count(*) from pg_database where datname like 'br\\_%' and datname not like 'br\\_\\_%')::int as branches,
                current_setting('archive_mode') as mode, a.failed_count, a.last_archived_wal, a.last_archived_time, a.last_failed_wal, a.last_failed_time
         from pg_stat_archiver a`,
      );
      const r = rows[0] ?? {};
      const databases = Number(r['databases'] ?? 0);
      // \`baas branch\` names branch databases br_<name> (br__* are copies in progress).
      const branches = Number(r['branches'] ?? 0);
      // WAL archiving (baas backups): said only when it is on; a failure stands out.
      const archiver = archiverFromRow(r);
      const archiving = describeArchiver(archiver);
      this.line = {
        enabled: true,
        reachable: true,
        connections: Number(r['connections'] ?? 0),
        maxConnections: Number(r['max_connections'] ?? 0),
        databases,
        branches,
        detail: `${r['connections']}/${r['max_connections']} connections, ${databases} database(s) (${branches} branch${branches === 1 ? '' : 'es'})${archiving ? `; ${archiving}` : ''}`,
        ...(archiver.mode !== 'off' ? { archiving: archiver.failing ? 'failing' : 'ok' } : {}),
      };
    } catch (e) {
      await this.close();
      this.line = { enabled: true, reachable: false, detail: `unreachable: ${msg(e)}` };
    }
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }
}

export class MongoProbe implements ServiceProbe<ServiceLine> {
  line: ServiceLine;
  private client: MongoLike | undefined;

  constructor(
    private readonly dep: { open(): Promise<MongoLike> } | undefined,
    private readonly now: () => number,
  ) {
    this.line = dep ? { enabled: true, reachable: null, detail: 'connecting' } : { ...disabled };
  }

  async sample(): Promise<void> {
    if (!this.dep) return;
    const started = this.now();
    try {
      this.client ??= await this.dep.open();
      await this.client.ping();
      this.line = { enabled: true, reachable: true, detail: `reachable (ping ${this.now() - started} ms)` };
    } catch (e) {
      await this.close();
      this.line = { enabled: true, reachable: false, detail: `unreachable: ${msg(e)}` };
    }
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => {});
    this.client = undefined;
  }
}
