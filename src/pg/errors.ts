/**
 * Driver errors in words a user understands, as baas' typed errors. The client factory uses
 * these where it calls the driver; command code may use them at its own boundary.
 */
import { ExitCode, ExternalError, TimeoutError, UserError, messageOf, translateFailure, type BaasErrorOptions } from '../errors.js';
import { SQLSTATE, sqlState, type PgErrorFields } from './sql.js';

/** Why a connection failed, as one word a caller can branch on. */
export type PgConnectFailure = 'refused' | 'unresolved' | 'timeout' | 'auth' | 'role-rejected' | 'database-missing' | 'not-accepting' | 'disk-full' | 'other';

/** Postgres could not be reached or refused the session. `cause` is the driver's error. */
export class PgConnectError extends ExternalError {
  readonly reason: PgConnectFailure;
  constructor(message: string, reason: PgConnectFailure, options: BaasErrorOptions = {}) {
    // A server still starting refuses, times out or rejects: a wait may try again.
    super(message, { retryable: true, ...options, exitCode: ExitCode.external });
    this.reason = reason;
  }
}

const NO_SPACE = /No space left on device|could not extend file|disk full/i;

/** The server (or the disk under it) is out of space: SQLSTATE 53100 or ENOSPC in the message. */
export function isDiskFull(e: unknown): boolean {
  if (sqlState(e) === SQLSTATE.diskFull) return true;
  const err = e as (Error & PgErrorFields) | undefined;
  return NO_SPACE.test(`${err?.message ?? ''} ${err?.detail ?? ''}`);
}

/** The one translation of common failures (src/errors.ts), told that this is Postgres and where its data is. */
export function diskFullError(e: unknown, dataLocation?: string): ExternalError {
  const translated = translateFailure(e, { service: 'postgres', ...(dataLocation ? { dataLocation: () => dataLocation } : {}) });
  if (translated instanceof ExternalError) return translated;
  return new ExternalError(`Postgres ran out of disk space where it keeps its data: ${messageOf(e)}`, { cause: e, code: 'disk_full', hint: 'Free space on the filesystem holding the Postgres data directory, then retry.' });
}

export function connectFailure(e: unknown): PgConnectFailure {
  const err = e as (NodeJS.ErrnoException & PgErrorFields) | undefined;
  if (isDiskFull(e)) return 'disk-full';
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unresolved';
    case 'ETIMEDOUT':
      return 'timeout';
    case SQLSTATE.invalidPassword:
      return 'auth';
    case SQLSTATE.invalidAuthorization:
      return 'role-rejected';
    case SQLSTATE.invalidCatalogName:
      return 'database-missing';
    case SQLSTATE.cannotConnectNow:
    case SQLSTATE.objectNotInPrerequisiteState:
      return 'not-accepting';
  }
  if (/timeout expired|connection timeout/i.test(err?.message ?? '')) return 'timeout';
  return 'other';
}

/** Why a connection failed, in words: network errors, authentication, missing database. */
export function describeConnectError(e: unknown): string {
  const err = e as (NodeJS.ErrnoException & PgErrorFields) | undefined;
  switch (connectFailure(e)) {
    case 'refused':
      return 'connection refused (nothing listens on that host and port; is the stack running?)';
    case 'unresolved':
      return 'the host name does not resolve';
    case 'timeout':
      return 'the connection timed out';
    case 'auth':
      return 'password authentication failed';
    case 'role-rejected':
      return 'the server rejected the role (no pg_hba.conf entry or the role does not exist)';
    case 'database-missing':
      return `the database does not exist (${err?.message ?? ''})`;
    default:
      return err?.message || String(e);
  }
}

export interface TranslateOptions {
  /** How the server is named in the message (a URL without its password, or host:port). */
  server: string;
  /** The hint when the server cannot be reached (refused, unresolved, timed out). */
  hint?: string;
  /** Where the server keeps its data, named when the disk is full. */
  dataLocation?: string;
}

/** A failed connect as a typed error; already-typed baas errors pass through. */
export function translateConnectError(e: unknown, options: TranslateOptions): Error {
  if (e instanceof UserError || e instanceof ExternalError || e instanceof TimeoutError) return e;
  if (isDiskFull(e)) return diskFullError(e, options.dataLocation);
  const reason = connectFailure(e);
  const unreachable = options.hint ?? 'Check that the stack runs (`baas up`, `baas health`) or pass a reachable URL with --database-url / DATABASE_ADMIN_URL.';
  const hint: Record<PgConnectFailure, string> = {
    refused: unreachable,
    unresolved: unreachable,
    timeout: unreachable,
    auth: 'Check the user name and password in the URL (`baas env --show-secrets` prints the stack\'s).',
    'role-rejected': 'Check the user name in the URL and the server\'s pg_hba.conf.',
    'database-missing': 'Name an existing database in the URL (`baas branch list` shows the stack\'s).',
    'not-accepting': 'The server is starting or shutting down, or the database refuses connections (`baas branch list` repairs one left by an interrupted copy).',
    'disk-full': 'Free space where Postgres keeps its data.',
    other: unreachable,
  };
  return new PgConnectError(`Cannot connect to Postgres at ${options.server}: ${describeConnectError(e)}.`, reason, { cause: e, hint: hint[reason] });
}

/**
 * A failed statement: disk full and statement timeouts become typed errors; every other server
 * error is returned unchanged so callers can still branch on its SQLSTATE.
 */
export function translateQueryError(e: unknown, options: { dataLocation?: string; statementTimeoutMs?: number } = {}): unknown {
  if (e instanceof UserError || e instanceof ExternalError || e instanceof TimeoutError) return e;
  if (isDiskFull(e)) return diskFullError(e, options.dataLocation);
  if (options.statementTimeoutMs && sqlState(e) === SQLSTATE.queryCanceled && /statement timeout/i.test(messageOf(e))) {
    return new TimeoutError(`Postgres cancelled a statement after ${options.statementTimeoutMs} ms (statement_timeout).`, { cause: e, hint: 'The server is busy or the statement waits on a lock; retry, or look at `baas logs postgres`.' });
  }
  return e;
}

/** Wraps an unexpected server error in words, keeping the driver's error as cause. */
export function serverError(what: string, e: unknown): ExternalError {
  if (e instanceof UserError || e instanceof ExternalError) return e;
  return new ExternalError(`Postgres refused ${what}: ${messageOf(e)}`, {
    cause: e,
    exitCode: ExitCode.external,
    hint: 'See `baas logs postgres` for the server side of it.',
  });
}
