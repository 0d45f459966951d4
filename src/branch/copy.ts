import { ExitCode, ExternalError, InterruptedError, TimeoutError, UserError, messageOf } from '../errors.js';
import { quoteIdent } from '../pg/escape.js';
import { databases, lock, preparedTransactions, sessionsOn, setAllowConnections, tryLock, unlock, type Session } from './catalog.js';
import { BRANCH_DB_PREFIX, MAIN, branchOfDatabase, isTempDatabase } from './names.js';
import { serverError } from '../pg/errors.js';
import { SQLSTATE, sqlState, type Sql } from '../pg/sql.js';
import { createDatabaseSql, type Strategy } from './strategy.js';
import type { BranchDeps } from './types.js';

/** How a copy treats sessions connected to its parent. */
export type DisruptPlan =
  /** Refuse connections, end the sessions, copy, allow connections again. */
  | { mode: 'pause' }
  /** Fail (listing the sessions) instead of disturbing anyone. */
  | { mode: 'refuse'; why: string };

export interface PauseReport {
  /** Whether the parent refused connections during the copy. */
  paused: boolean;
  /** How long it refused them (0 when not paused). */
  pauseMs: number;
  /** Sessions ended to make the copy possible. */
  terminated: Session[];
  /** How long CREATE DATABASE itself took (including its checkpoints). */
  statementMs: number;
}

export const copyLock = (database: string): string => `copy:${database}`;
export const tempLock = (database: string): string => `tmp:${database}`;

export function describeSession(s: Session): string {
  return `pid ${s.pid}: ${s.application}, ${s.user ?? '?'} from ${s.client}${s.since ? `, since ${s.since}` : ''}${s.state ? ` (${s.state})` : ''}`;
}

function blockedError(parent: string, sessions: Session[], why: string, prepared = 0): UserError {
  const details = sessions.map(describeSession);
  if (prepared > 0) details.push(`${prepared} prepared transaction(s) (pg_prepared_xacts)`);
  return new UserError(`The parent '${parent}' is in use by ${sessions.length} session(s)${prepared ? ` and ${prepared} prepared transaction(s)` : ''}, and ${why}.`, {
    exitCode: ExitCode.conflict,
    details,
    hint: prepared
      ? 'Finish the prepared transactions (COMMIT PREPARED / ROLLBACK PREPARED) first: they cannot be ended by baas.'
      : why.includes('protected')
        ? 'Close those sessions, or add --force to pause the protected parent for the copy.'
        : 'Close those sessions, or leave out --no-disrupt to pause the parent for the copy (its sessions are ended).',
  });
}

/** Runs `statements` on `sql`, cancelling them from a second session when `signal` aborts. */
async function runCancellable(deps: BranchDeps, statements: string[]): Promise<void> {
  const { sql, signal } = deps;
  if (signal?.aborted) throw new InterruptedError('Interrupted before the copy started; nothing was changed.');
  let cancelling: Promise<void> | undefined;
  const onAbort = (): void => {
    cancelling = (async () => {
      const other = await deps.connect(deps.maintenanceDatabase);
      try {
        await other.query('select pg_cancel_backend($1)', [sql.pid]);
      } finally {
        await other.end();
      }
    })().catch((e: unknown) => deps.logger.warn({ err: messageOf(e) }, 'could not cancel the copy'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (const s of statements) await sql.query(s);
  } catch (e) {
    if (signal?.aborted && sqlState(e) === SQLSTATE.queryCanceled) throw new InterruptedError('Interrupted: the copy was cancelled.');
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await cancelling;
  }
}

/** The sessions holding a lock on a database object (what a copy waits behind). */
async function lockHolders(sql: Sql, database: string): Promise<string[]> {
  const rows = await sql.query<{ pid: number; mode: string; app: string | null; query: string | null }>(
    `select l.pid, l.mode, a.application_name as app, left(a.query, 80) as query
       from pg_locks l join pg_database d on l.locktype = 'object' and l.classid = 'pg_database'::regclass and l.objid = d.oid
       left join pg_stat_activity a on a.pid = l.pid
      where d.datname = $1 and l.granted and l.pid <> pg_backend_pid()`,
    [database],
  ).catch(() => []);
  return rows.map((r) => `pid ${r.pid} (${r.app || 'no application name'}) holds ${r.mode}: ${r.query ?? ''}`);
}

export interface CopyArgs {
  parentName: string;
  parentDb: string;
  targetDb: string;
  owner: string;
  strategy: Strategy;
  serverVersionNum: number;
  plan: DisruptPlan;
}

/**
 * Copies parentDb into targetDb with CREATE DATABASE … TEMPLATE. Postgres refuses while anyone
 * is connected to the template, so by default the parent refuses new connections, its sessions
 * are ended, and connections are allowed again in a finally (also when the copy fails or is
 * interrupted). A session-level advisory lock marks the pause while it lasts, so a later run
 * can tell a parent left paused by a crash from one being copied right now.
 */
export async function copyDatabase(deps: BranchDeps, a: CopyArgs): Promise<PauseReport> {
  const { sql } = deps;
  const lockTimeout = deps.copyLockTimeoutMs ?? 10_000;
  try {
    await lock(sql, copyLock(a.parentDb), 30_000);
  } catch (e) {
    if (sqlState(e) === SQLSTATE.lockNotAvailable) {
      throw new TimeoutError(`Another baas branch operation has been copying '${a.parentName}' for more than 30 s.`, { hint: 'Wait for it to finish and run the command again.' });
    }
    throw serverError('to lock the parent', e);
  }
  const statements = [`SET lock_timeout = ${lockTimeout}`, ...createDatabaseSql(a.targetDb, a.parentDb, a.owner, a.strategy, a.serverVersionNum), 'RESET lock_timeout'];
  const translate = async (e: unknown, plan: DisruptPlan): Promise<unknown> => {
    await sql.query('RESET lock_timeout').catch(() => {});
    const state = sqlState(e);
    if (state === SQLSTATE.objectInUse) {
      const [sessions, prepared] = await Promise.all([sessionsOn(sql, a.parentDb).catch(() => []), preparedTransactions(sql, a.parentDb).catch(() => 0)]);
      return blockedError(a.parentName, sessions, plan.mode === 'refuse' ? plan.why : 'its sessions did not end', prepared);
    }
    if (state === SQLSTATE.lockNotAvailable) {
      return new TimeoutError(`The copy waited ${Math.round(lockTimeout / 1000)} s for a lock on '${a.parentName}' held by another session, and gave up.`, {
        details: await lockHolders(sql, a.parentDb),
        hint: 'An open transaction that changed the parent database (COMMENT, ALTER DATABASE, GRANT …) holds it: finish that transaction and retry.',
      });
    }
    if (state === SQLSTATE.duplicateDatabase) {
      return new UserError(`A database named '${a.targetDb}' appeared while the branch was being made.`, { exitCode: ExitCode.conflict, hint: 'Another command created it meanwhile; pick another name or retry.' });
    }
    return e instanceof InterruptedError ? e : serverError(`to copy '${a.parentName}'`, e);
  };
  try {
    if (a.plan.mode === 'refuse') {
      const sessions = await sessionsOn(sql, a.parentDb);
      if (sessions.length > 0) throw blockedError(a.parentName, sessions, a.plan.why);
      const t = performance.now();
      try {
        await runCancellable(deps, statements);
      } catch (e) {
        throw await translate(e, a.plan);
      }
      return { paused: false, pauseMs: 0, terminated: [], statementMs: performance.now() - t };
    }

    // FILE_COPY (clone or copy) forces a checkpoint inside CREATE DATABASE, while the parent
    // refuses connections: after bulk writes that checkpoint took seconds. Flushing first, with
    // the parent still open, leaves the one inside the copy next to nothing to write.
    if (a.strategy !== 'wal_log') await checkpoint(sql);
    const before = await sql.query<{ allow: boolean }>('select datallowconn as allow from pg_database where datname = $1', [a.parentDb]);
    const wasAllowed = before[0]?.allow !== false;
    const started = performance.now();
    let terminated: Session[] = [];
    if (wasAllowed) await setAllowConnections(sql, a.parentDb, false);
    let failure: unknown;
    let statementMs = 0;
    try {
      terminated = await sessionsOn(sql, a.parentDb);
      if (terminated.length > 0) {
        await sql.query('select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [a.parentDb]);
      }
      const t = performance.now();
      await runCancellable(deps, statements);
      statementMs = performance.now() - t;
    } catch (e) {
      failure = e;
    } finally {
      if (wasAllowed) await reopen(deps, a.parentDb, a.parentName);
    }
    const pauseMs = performance.now() - started;
    if (failure !== undefined) throw await translate(failure, a.plan);
    return { paused: wasAllowed, pauseMs, terminated, statementMs };
  } finally {
    await unlock(sql, copyLock(a.parentDb));
  }
}

/** CHECKPOINT, translated: needs superuser or pg_checkpoint, which the admin role has. */
async function checkpoint(sql: Sql): Promise<void> {
  try {
    await sql.query('CHECKPOINT');
  } catch (e) {
    throw serverError('to checkpoint before the copy', e);
  }
}

/** Allows connections to the parent again; tries a fresh session when ours is gone. */
async function reopen(deps: BranchDeps, database: string, name: string): Promise<void> {
  try {
    await setAllowConnections(deps.sql, database, true);
    return;
  } catch (first) {
    try {
      const other = await deps.connect(deps.maintenanceDatabase);
      try {
        await setAllowConnections(other, database, true);
        return;
      } finally {
        await other.end();
      }
    } catch {
      throw new ExternalError(`'${name}' could not be re-opened for connections after the copy: ${messageOf(first)}`, {
        cause: first,
        hint: `Run \`baas branch list\` to repair it, or as superuser: ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS true.`,
      });
    }
  }
}

/** Drops a database, ending its sessions (DROP DATABASE … WITH (FORCE)). */
export async function dropDatabase(sql: Sql, database: string): Promise<void> {
  await sql.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
}

/**
 * Undoes what an interrupted branch operation left behind, when nobody is working on it:
 * a main/branch database left refusing connections, and temporary copies (br__tmp_*). A reset
 * interrupted between dropping the old branch and renaming its new copy is finished instead.
 * Returns one sentence per repair.
 */
export async function repairLeftovers(deps: Pick<BranchDeps, 'sql' | 'store' | 'mainDatabase' | 'logger'>): Promise<string[]> {
  const { sql, store } = deps;
  const notes: string[] = [];
  const dbs = await databases(sql);
  const names = new Set(dbs.map((d) => d.name));
  const stored = await store.list();
  const metaOf = new Map(stored.map((s) => [s.database, s.meta]));
  for (const db of dbs) {
    if (db.allowConnections || db.isTemplate) continue;
    const branch = db.name === deps.mainDatabase ? MAIN : metaOf.get(db.name)?.kind === 'branch' ? branchOfDatabase(db.name) : undefined;
    if (!branch) continue;
    if (!(await tryLock(sql, copyLock(db.name)))) continue; // a copy is running right now
    try {
      await setAllowConnections(sql, db.name, true);
      notes.push(`'${branch}' was left refusing connections by an interrupted branch operation; connections are allowed again.`);
      deps.logger.warn({ branch, database: db.name }, 'repaired a parent left with connections disallowed');
    } finally {
      await unlock(sql, copyLock(db.name));
    }
  }
  for (const db of dbs) {
    if (!isTempDatabase(db.name)) continue;
    if (!(await tryLock(sql, tempLock(db.name)))) continue;
    try {
      const meta = metaOf.get(db.name);
      const target = meta ? `${BRANCH_DB_PREFIX}${meta.branch}` : undefined;
      if (meta?.resetAt && target && !names.has(target)) {
        await sql.query(`ALTER DATABASE ${quoteIdent(db.name)} RENAME TO ${quoteIdent(target)}`);
        notes.push(`Finished an interrupted reset of '${meta.branch}'.`);
      } else {
        await dropDatabase(sql, db.name);
        notes.push(`Removed an unfinished copy${meta ? ` for '${meta.branch}'` : ''} left by an interrupted branch operation (${db.name}).`);
      }
    } catch (e) {
      deps.logger.warn({ database: db.name, err: messageOf(e) }, 'could not clean up a temporary branch copy');
    } finally {
      await unlock(sql, tempLock(db.name));
    }
  }
  return notes;
}
