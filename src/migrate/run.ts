import path from 'node:path';
import { ExitCode, ExternalError, TimeoutError, UserError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { connectPg } from '../pg/client.js';
import { isPgError, type Sql } from '../pg/sql.js';
import { loadMigrationSet, versionNumber, type MigrationFile, type MigrationSource } from './files.js';
import { pendingOrThrow, planStatus, type AppliedMigration, type MigrationStatus } from './plan.js';
import { positionToLineColumn, splitStatements, SqlSyntaxError, type Statement } from './sql-text.js';

/** Advisory lock key (two int4s: 'baas' and 1 = migrations), per database. */
export const LOCK_KEY: [number, number] = [0x62616173, 1];
export const TRACKING_TABLE = 'baas_platform.schema_migrations';

export const TRACKING_DDL = `create schema if not exists baas_platform;
create table if not exists baas_platform.schema_migrations (
  source text not null check (source in ('platform', 'app')),
  version text not null,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now(),
  duration_ms integer not null,
  applied_by text not null,
  no_transaction boolean not null default false,
  previous text,
  primary key (source, version)
);
alter table baas_platform.schema_migrations add column if not exists previous text`;

export interface MigrateTarget {
  /** Admin (superuser) URL: migrations create tables, roles and policies. */
  url: string;
  /** The application role (config services.postgres.user), granted what it needs by the platform schema. */
  appRole: string;
  appDir: string;
  platformDir?: string;
}

export type MigrateEvent =
  | { type: 'lock-wait'; holderPid?: number; holderApp?: string }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'applying'; migration: MigrationRef }
  | { type: 'applied'; migration: MigrationRef; durationMs: number };

export interface MigrationRef {
  source: MigrationSource;
  version: string;
  name: string;
  file: string;
}

export interface MigrateDeps {
  connect?: (url: string) => Promise<Sql>;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface UpOptions {
  dryRun?: boolean;
  /** Apply pending migrations numbered below an applied one (merged late) instead of refusing. */
  allowOutOfOrder?: boolean;
  lockTimeoutMs?: number;
  appliedBy?: string;
  onEvent?: (e: MigrateEvent) => void;
}

export interface UpResult {
  dryRun: boolean;
  applied: (MigrationRef & { durationMs: number; noTransaction: boolean })[];
  /** With --dry-run: what would run, with its SQL. */
  pending: (MigrationRef & { sql: string; noTransaction: boolean })[];
  ignored: string[];
  durationMs: number;
}

/** A migration failed: where in the file, what the server said. Exit code 7. */
export class MigrationFailedError extends ExternalError {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    details: string[],
    cause: unknown,
    partial = false,
  ) {
    super(message, {
      exitCode: ExitCode.external,
      details,
      cause,
      hint: partial
        ? 'Fix the statement, undo or keep what the statements before it did (the file is not recorded as applied), and run `baas migrate up` again.'
        : 'Fix the statement in the file and run `baas migrate up` again; the failed migration left nothing behind.',
    });
  }
}

const refOf = (m: MigrationFile): MigrationRef => ({ source: m.source, version: m.version, name: m.name, file: m.file });
const sleepReal = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const defaultConnect = (url: string): Promise<Sql> => connectPg(url, { applicationName: 'baas migrate' });

async function hasColumn(c: Sql, column: string): Promise<boolean> {
  const r = await c.query(
    "select 1 from information_schema.columns where table_schema = 'baas_platform' and table_name = 'schema_migrations' and column_name = $1",
    [column],
  );
  return r.length > 0;
}

async function trackingExists(c: Sql): Promise<boolean> {
  const r = await c.query<{ t: string | null }>(`select to_regclass('${TRACKING_TABLE}')::text as t`);
  return Boolean(r[0]?.t);
}

export async function readApplied(c: Sql): Promise<AppliedMigration[]> {
  if (!(await trackingExists(c))) return [];
  // A table made by an older baas has no chain column until the next `up` adds it.
  const chained = await hasColumn(c, 'previous');
  const r = await c.query<{ source: MigrationSource; version: string; name: string; checksum: string; applied_at: Date; duration_ms: number; applied_by: string; previous?: string | null }>(
    `select source, version, name, checksum, applied_at, duration_ms, applied_by${chained ? ', previous' : ''} from ${TRACKING_TABLE}`,
  );
  return r.map((x) => ({
    source: x.source,
    version: x.version,
    name: x.name,
    checksum: x.checksum,
    appliedAt: new Date(x.applied_at).toISOString(),
    durationMs: x.duration_ms,
    appliedBy: x.applied_by,
    ...(chained ? { previous: x.previous ?? null } : {}),
  }));
}

/** Per source, the version applied last (by time): the next record is chained to it. */
function lastApplied(applied: AppliedMigration[]): Map<MigrationSource, string> {
  const out = new Map<MigrationSource, { version: string; at: string }>();
  for (const a of applied) {
    const cur = out.get(a.source);
    if (!cur || a.appliedAt > cur.at || (a.appliedAt === cur.at && versionNumber(a.version) > versionNumber(cur.version))) out.set(a.source, { version: a.version, at: a.appliedAt });
  }
  return new Map([...out].map(([s, v]) => [s, v.version]));
}

/** Takes the per-database advisory lock; a second run waits (saying so) and gives up after the timeout. */
export async function acquireLock(c: Sql, deps: MigrateDeps, timeoutMs: number, onEvent?: (e: MigrateEvent) => void): Promise<void> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? sleepReal;
  const started = now();
  let announced = false;
  for (;;) {
    const r = await c.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', LOCK_KEY);
    if (r[0]?.ok) {
      if (announced) onEvent?.({ type: 'lock-acquired', waitedMs: now() - started });
      return;
    }
    const holder = await c.query<{ pid: number; app: string }>(
      `select l.pid, a.application_name as app from pg_locks l left join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.classid = $1 and l.objid = $2 and l.objsubid = 2 and l.granted limit 1`,
      [LOCK_KEY[0], LOCK_KEY[1]],
    );
    const h = holder[0];
    if (!announced) {
      onEvent?.({ type: 'lock-wait', ...(h ? { holderPid: h.pid, holderApp: h.app } : {}) });
      announced = true;
    }
    if (now() - started >= timeoutMs) {
      throw new TimeoutError(`Another migration run holds the migration lock${h ? ` (server pid ${h.pid}${h.app ? `, '${h.app}'` : ''})` : ''}; gave up after ${Math.round(timeoutMs / 1000)} s.`, {
        hint: 'Wait for the other `baas migrate` to finish, or raise --lock-timeout. If it is stuck, end it with `select pg_terminate_backend(<pid>)`.',
      });
    }
    await sleep(Math.min(250, Math.max(10, timeoutMs - (now() - started))));
  }
}

async function releaseLock(c: Sql): Promise<void> {
  await c.query('select pg_advisory_unlock($1, $2)', LOCK_KEY).catch(() => {});
}

/** Turns a server error into file, line, column and the server's words. */
export function migrationError(m: MigrationFile, e: unknown, offset: number, appliedBefore: number, partial: boolean): MigrationFailedError {
  const rel = path.relative(process.cwd(), m.file) || m.file;
  const shown = rel.startsWith('..') ? m.file : rel;
  if (!isPgError(e)) return new MigrationFailedError(`Migration ${shown} failed: ${messageOf(e).replace(/\.$/, '')}.`, m.file, undefined, undefined, [], e, partial);
  let pos = e.position ? positionToLineColumn(m.sql, Number(e.position), offset) : undefined;
  if (!pos && e.internalQuery && e.internalPosition) {
    const idx = m.sql.indexOf(e.internalQuery);
    if (idx >= 0) pos = positionToLineColumn(m.sql, Number(e.internalPosition), Array.from(m.sql.slice(0, idx)).length);
  }
  const where = pos ? `:${pos.line}:${pos.column}` : '';
  const details: string[] = [];
  if (pos) {
    const label = `${pos.line} | `;
    details.push(`${label}${pos.lineText}`, `${' '.repeat(label.length + pos.column - 1)}^`);
  }
  if (e.detail) details.push(`detail: ${e.detail}`);
  if (e.hint) details.push(`server hint: ${e.hint}`);
  if (e.where) details.push(`where: ${e.where.split('\n')[0]}`);
  details.push(
    partial
      ? 'This file runs without a transaction (baas:no-transaction): statements before the failing one stay applied.'
      : 'This migration was rolled back.',
  );
  if (appliedBefore > 0) details.push(`${appliedBefore} migration(s) applied earlier in this run stay applied.`);
  return new MigrationFailedError(
    `Migration ${shown}${where} failed${pos ? ` (line ${pos.line}, column ${pos.column})` : ''}: ${e.message}${e.code ? ` [${e.code}]` : ''}.`,
    m.file,
    pos?.line,
    pos?.column,
    details,
    e,
    partial,
  );
}

/** The parser refused the file before any of its statements ran. */
function syntaxError(m: MigrationFile, e: SqlSyntaxError, appliedBefore: number): MigrationFailedError {
  const rel = path.relative(process.cwd(), m.file) || m.file;
  const shown = rel.startsWith('..') ? m.file : rel;
  const label = `${e.line} | `;
  const details = [`${label}${e.lineText}`, `${' '.repeat(label.length + e.column - 1)}^`, 'Nothing in this file ran: it was refused before its first statement.'];
  if (appliedBefore > 0) details.push(`${appliedBefore} migration(s) applied earlier in this run stay applied.`);
  return new MigrationFailedError(`Migration ${shown}:${e.line}:${e.column} failed (line ${e.line}, column ${e.column}): ${e.message}.`, m.file, e.line, e.column, details, e);
}

async function applyOne(c: Sql, m: MigrationFile, appliedBy: string, appliedBefore: number, now: () => number, previous: string | null): Promise<number> {
  const started = now();
  const record = async (durationMs: number): Promise<void> => {
    await c.query(
      `insert into ${TRACKING_TABLE} (source, version, name, checksum, duration_ms, applied_by, no_transaction, previous) values ($1, $2, $3, $4, $5, $6 || ' as ' || session_user, $7, $8)`,
      [m.source, m.version, m.name, m.checksum, durationMs, appliedBy, m.noTransaction, previous],
    );
  };
  if (m.noTransaction) {
    let statements: Statement[];
    try {
      statements = await splitStatements(m.sql);
    } catch (e) {
      if (e instanceof SqlSyntaxError) throw syntaxError(m, e, appliedBefore);
      throw e;
    }
    for (const st of statements) {
      try {
        await c.query(st.sql);
      } catch (e) {
        throw migrationError(m, e, st.offset, appliedBefore, true);
      }
    }
    const d = now() - started;
    await record(d);
    return d;
  }
  await c.query('begin');
  try {
    await c.query(m.sql);
  } catch (e) {
    await c.query('rollback').catch(() => {});
    throw migrationError(m, e, 0, appliedBefore, false);
  }
  try {
    const d = now() - started;
    await record(d);
    await c.query('commit');
    return d;
  } catch (e) {
    await c.query('rollback').catch(() => {});
    throw new ExternalError(`Recording migration ${m.source} ${m.version}_${m.name} failed: ${messageOf(e)}.`, { cause: e });
  }
}

/** Session settings the platform migrations read (the app role to grant to). */
async function sessionSettings(c: Sql, target: MigrateTarget): Promise<void> {
  await c.query("select set_config('baas.app_role', $1, false)", [target.appRole]);
}

/** Applies pending platform migrations, then the app's, each in its own transaction, under an advisory lock. */
export async function migrateUp(deps: MigrateDeps, target: MigrateTarget, options: UpOptions = {}): Promise<UpResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const log = deps.logger ?? silentLogger;
  const set = loadMigrationSet(target.appDir, target.platformDir);
  const c = await (deps.connect ?? defaultConnect)(target.url);
  try {
    if (options.dryRun) {
      const status = planStatus(set, await readApplied(c));
      const pending = pendingOrThrow(set, status, { allowOutOfOrder: Boolean(options.allowOutOfOrder) });
      return {
        dryRun: true,
        applied: [],
        pending: pending.map((m) => ({ ...refOf(m), sql: m.sql, noTransaction: m.noTransaction })),
        ignored: set.ignored,
        durationMs: now() - started,
      };
    }
    await acquireLock(c, deps, options.lockTimeoutMs ?? 60_000, options.onEvent);
    try {
      await c.query(TRACKING_DDL);
      await sessionSettings(c, target);
      // Read the history only once the lock is ours: a run that waited sees what the other applied.
      const history = await readApplied(c);
      const status = planStatus(set, history);
      const pending = pendingOrThrow(set, status, { allowOutOfOrder: Boolean(options.allowOutOfOrder) });
      const last = lastApplied(history);
      const applied: UpResult['applied'] = [];
      for (const m of pending) {
        options.onEvent?.({ type: 'applying', migration: refOf(m) });
        const d = await applyOne(c, m, options.appliedBy ?? 'baas', applied.length, now, last.get(m.source) ?? null);
        last.set(m.source, m.version);
        log.info({ source: m.source, version: m.version, name: m.name, durationMs: d }, 'migration applied');
        options.onEvent?.({ type: 'applied', migration: refOf(m), durationMs: d });
        applied.push({ ...refOf(m), durationMs: d, noTransaction: m.noTransaction });
      }
      return { dryRun: false, applied, pending: [], ignored: set.ignored, durationMs: now() - started };
    } finally {
      await releaseLock(c);
    }
  } finally {
    await c.end().catch(() => {});
  }
}

export interface StatusResult {
  migrations: MigrationStatus[];
  ignored: string[];
  counts: Record<MigrationStatus['state'], number>;
}

function countStates(list: MigrationStatus[]): StatusResult['counts'] {
  const counts = { applied: 0, pending: 0, changed: 0, missing: 0 };
  for (const m of list) counts[m.state]++;
  return counts;
}

export async function migrateStatus(deps: MigrateDeps, target: MigrateTarget): Promise<StatusResult> {
  const set = loadMigrationSet(target.appDir, target.platformDir);
  const c = await (deps.connect ?? defaultConnect)(target.url);
  try {
    const migrations = planStatus(set, await readApplied(c));
    return { migrations, ignored: set.ignored, counts: countStates(migrations) };
  } finally {
    await c.end().catch(() => {});
  }
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  problems: MigrationStatus[];
}

/** Checksums of applied migrations against the files: changed or missing files are problems. */
export async function migrateVerify(deps: MigrateDeps, target: MigrateTarget): Promise<VerifyResult> {
  const s = await migrateStatus(deps, target);
  const problems = s.migrations.filter((m) => m.state === 'changed' || m.state === 'missing');
  return { ok: problems.length === 0, checked: s.migrations.filter((m) => m.state !== 'pending').length, problems };
}

export interface RepairResult {
  source: MigrationSource;
  version: string;
  action: 'checksum-updated' | 'record-removed' | 'nothing-to-do';
  name: string;
}

/** Deliberately accepts an edited applied migration (new checksum) or forgets one whose file is gone. */
export async function migrateRepair(deps: MigrateDeps, target: MigrateTarget, input: { version: string; source: MigrationSource; lockTimeoutMs?: number }): Promise<RepairResult> {
  if (!/^\d+$/.test(input.version)) throw new UserError(`'${input.version}' is not a migration version.`, { hint: 'Give the number at the start of the file name, e.g. `baas migrate repair 0003`.' });
  const set = loadMigrationSet(target.appDir, target.platformDir);
  const c = await (deps.connect ?? defaultConnect)(target.url);
  try {
    await acquireLock(c, deps, input.lockTimeoutMs ?? 60_000);
    try {
      const applied = await readApplied(c);
      const row = applied.find((a) => a.source === input.source && versionNumber(a.version) === versionNumber(input.version));
      if (!row) {
        throw new UserError(`No ${input.source} migration with version ${input.version} has been applied.`, {
          hint: `\`baas migrate status\` lists applied versions${input.source === 'app' ? '; add --platform for a platform migration' : ''}.`,
        });
      }
      const file = (input.source === 'platform' ? set.platform : set.app).find((f) => versionNumber(f.version) === versionNumber(input.version));
      if (!file) {
        await c.query(`delete from ${TRACKING_TABLE} where source = $1 and version = $2`, [row.source, row.version]);
        return { source: row.source, version: row.version, name: row.name, action: 'record-removed' };
      }
      if (file.checksum === row.checksum && file.name === row.name) return { source: row.source, version: row.version, name: row.name, action: 'nothing-to-do' };
      await c.query(`update ${TRACKING_TABLE} set checksum = $3, name = $4 where source = $1 and version = $2`, [row.source, row.version, file.checksum, file.name]);
      return { source: row.source, version: row.version, name: file.name, action: 'checksum-updated' };
    } finally {
      await releaseLock(c);
    }
  } finally {
    await c.end().catch(() => {});
  }
}
