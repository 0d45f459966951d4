import { ExternalError, isBaasError, messageOf } from '../errors.js';
import type { Sql } from '../pg/sql.js';
import { redactUrl } from '../pg/url.js';

/** What `plan migration` learns from a live Postgres. */
export interface PgInspection {
  /** The URL with its password replaced by ***. */
  url: string;
  database: string;
  serverVersion: string;
  serverMajor: number;
  sizeBytes: number;
  schemas: string[];
  tables: { schema: string; name: string; rowEstimate: number | null; bytes: number; rls: boolean }[];
  extensions: { name: string; version: string }[];
  policies: { schema: string; table: string; name: string; usesAuthFunctions: boolean }[];
  roles: { name: string; superuser: boolean; canLogin: boolean }[];
  /** The URL looks like a connection pooler (PgBouncer / Supavisor / Neon -pooler). */
  pooled: boolean;
}

/** The seam the CLI hands to the planner; tests pass a fake, production uses `SqlInspector`. */
export interface PgInspector {
  inspect(url: string): Promise<PgInspection>;
}

export { isPostgresUrl } from '../pg/url.js';

export function looksPooled(url: string): boolean {
  try {
    const u = new URL(url);
    return u.port === '6543' || /pooler|pgbouncer/i.test(u.hostname) || u.searchParams.get('pgbouncer') === 'true';
  } catch {
    return false;
  }
}

const SYSTEM_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'`;

/**
 * Read-only inspection over the `Sql` seam, inside a READ ONLY transaction. The composition
 * root passes `connect` (src/pg/client.ts with a statement timeout); tests pass a fake.
 */
export class SqlInspector implements PgInspector {
  constructor(private readonly connect: (url: string) => Promise<Sql>) {}

  async inspect(url: string): Promise<PgInspection> {
    const shown = redactUrl(url);
    const client = await this.connect(url);
    try {
      await client.query('begin read only');
      const one = <T extends object>(sql: string): Promise<T[]> => client.query<T>(sql);
      const [info] = await one<{ db: string; version: string; num: string; size: string }>(
        `select current_database() as db, current_setting('server_version') as version, current_setting('server_version_num') as num, pg_database_size(current_database())::text as size`,
      );
      const tables = await one<{ schema: string; name: string; reltuples: string; live: string | null; bytes: string; rls: boolean }>(
        `select n.nspname as schema, c.relname as name, c.reltuples::bigint::text as reltuples, s.n_live_tup::text as live,
                pg_total_relation_size(c.oid)::text as bytes, c.relrowsecurity as rls
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           left join pg_stat_user_tables s on s.relid = c.oid
          where c.relkind in ('r', 'p') and ${SYSTEM_SCHEMAS}
          order by pg_total_relation_size(c.oid) desc, n.nspname, c.relname`,
      );
      const schemas = await one<{ name: string }>(`select n.nspname as name from pg_namespace n where ${SYSTEM_SCHEMAS} order by 1`);
      const extensions = await one<{ name: string; version: string }>(`select extname as name, extversion as version from pg_extension order by 1`);
      const policies = await one<{ schema: string; table: string; name: string; expr: string | null }>(
        `select schemaname as schema, tablename as "table", policyname as name, coalesce(qual, '') || ' ' || coalesce(with_check, '') as expr from pg_policies order by 1, 2, 3`,
      );
      const roles = await one<{ name: string; superuser: boolean; can_login: boolean }>(
        `select rolname as name, rolsuper as superuser, rolcanlogin as can_login from pg_roles where rolname !~ '^pg_' order by 1`,
      );
      await client.query('commit');
      const num = Number(info?.num ?? 0);
      return {
        url: shown,
        database: info?.db ?? '',
        serverVersion: info?.version ?? '',
        serverMajor: num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 10000) + (Math.floor(num / 100) % 100) / 10,
        sizeBytes: Number(info?.size ?? 0),
        schemas: schemas.map((s) => s.name),
        tables: tables.map((t) => {
          const est = Number(t.reltuples);
          const live = t.live === null ? null : Number(t.live);
          // reltuples is -1 until the table is first analysed; the stats counter fills the gap.
          const rowEstimate = est >= 0 ? est : live !== null && live > 0 ? live : null;
          return { schema: t.schema, name: t.name, rowEstimate, bytes: Number(t.bytes), rls: t.rls };
        }),
        extensions,
        policies: policies.map((p) => ({ schema: p.schema, table: p.table, name: p.name, usesAuthFunctions: /\bauth\.(uid|jwt|role|email)\s*\(/.test(p.expr ?? '') })),
        roles: roles.map((r) => ({ name: r.name, superuser: r.superuser, canLogin: r.can_login })),
        pooled: looksPooled(url),
      };
    } catch (e) {
      if (isBaasError(e)) throw e;
      throw new ExternalError(`Postgres at ${shown} refused the inspection: ${messageOf(e)}.`, {
        cause: e,
        hint: 'The user needs to read the catalogs (pg_class, pg_policies, pg_roles); a read-only role is enough.',
      });
    } finally {
      await client.end();
    }
  }
}
