import { quoteIdent } from '../pg/escape.js';
import type { Sql } from '../pg/sql.js';

/** What the server knows about one database. */
export interface DatabaseRow {
  name: string;
  oid: number;
  owner: string;
  allowConnections: boolean;
  isTemplate: boolean;
}

/** A session connected to a database (what blocks copying it). */
export interface Session {
  pid: number;
  user: string | null;
  application: string;
  client: string;
  since: string | null;
  state: string | null;
}

export async function databases(sql: Sql): Promise<DatabaseRow[]> {
  const rows = await sql.query<{ name: string; oid: number; owner: string; allow: boolean; tmpl: boolean }>(
    'select d.datname as name, d.oid::int as oid, pg_get_userbyid(d.datdba) as owner, d.datallowconn as allow, d.datistemplate as tmpl from pg_database d order by d.datname',
  );
  return rows.map((r) => ({ name: r.name, oid: r.oid, owner: r.owner, allowConnections: r.allow, isTemplate: r.tmpl }));
}

export async function databaseSizes(sql: Sql, names: string[]): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  // A database that disallows connections still has a size; one dropped meanwhile has none.
  const rows = await sql.query<{ name: string; size: string | null }>(
    'select datname as name, pg_database_size(oid)::text as size from pg_database where datname = any($1::text[])',
    [names],
  );
  return new Map(rows.filter((r) => r.size !== null).map((r) => [r.name, Number(r.size)]));
}

/** Other sessions connected to `database` (not this one), oldest first. */
export async function sessionsOn(sql: Sql, database: string): Promise<Session[]> {
  const rows = await sql.query<{ pid: number; usename: string | null; app: string | null; client: string | null; since: Date | null; state: string | null }>(
    `select pid, usename, application_name as app, coalesce(host(client_addr), case when client_port = -1 then 'local socket' end) as client,
            backend_start as since, state
       from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() order by backend_start`,
    [database],
  );
  return rows.map((r) => ({
    pid: r.pid,
    user: r.usename,
    application: r.app || '(none)',
    client: r.client ?? 'unknown',
    since: r.since ? new Date(r.since).toISOString() : null,
    state: r.state,
  }));
}

export async function connectionCounts(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql.query<{ name: string; n: number }>(
    'select datname as name, count(*)::int as n from pg_stat_activity where datname is not null and pid <> pg_backend_pid() group by datname',
  );
  return new Map(rows.map((r) => [r.name, r.n]));
}

export async function preparedTransactions(sql: Sql, database: string): Promise<number> {
  const rows = await sql.query<{ n: number }>('select count(*)::int as n from pg_prepared_xacts where database = $1', [database]);
  return rows[0]?.n ?? 0;
}

export async function serverVersionNum(sql: Sql): Promise<number> {
  const rows = await sql.query<{ v: string }>("select current_setting('server_version_num') as v");
  return Number(rows[0]?.v ?? 0);
}

export async function setAllowConnections(sql: Sql, database: string, allow: boolean): Promise<void> {
  await sql.query(`ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`);
}

/**
 * Advisory locks mark work in progress on a database: held by the session that copies from a
 * parent (or builds a temporary copy), released by the server when that session dies. A
 * parent left with connections disallowed while nobody holds its lock was left by a crash.
 */
const LOCK_CLASS = 0x62616173; // 'baas'

export async function tryLock(sql: Sql, name: string): Promise<boolean> {
  const rows = await sql.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [LOCK_CLASS, name]);
  return rows[0]?.ok === true;
}

export async function lock(sql: Sql, name: string, timeoutMs: number): Promise<void> {
  await sql.query(`set lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
  try {
    await sql.query('select pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, name]);
  } finally {
    await sql.query('reset lock_timeout').catch(() => {});
  }
}

export async function unlock(sql: Sql, name: string): Promise<void> {
  await sql.query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, name]).catch(() => {});
}
