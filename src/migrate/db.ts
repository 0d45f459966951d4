import type pg from 'pg';
import { ExitCode, ExternalError } from '../errors.js';
import { redactUrl } from '../log.js';

/** The slice of a Postgres client the migrate/rls/tenant code uses (pg.Client satisfies it). */
export interface SqlClient {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  end(): Promise<void>;
}

/** Fields pg puts on a server error. */
export interface PgErrorFields {
  code?: string;
  message: string;
  position?: string;
  detail?: string;
  hint?: string;
  where?: string;
  internalPosition?: string;
  internalQuery?: string;
}

export function isPgError(e: unknown): e is Error & PgErrorFields {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && 'severity' in e;
}

/** Why a connection failed, in words: network errors, authentication, missing database. */
export function describeConnectError(e: unknown): string {
  const err = e as NodeJS.ErrnoException & PgErrorFields;
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens on that host and port; is the stack running?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    case '28P01':
      return 'password authentication failed';
    case '28000':
      return 'the server rejected the role (no pg_hba.conf entry or the role does not exist)';
    case '3D000':
      return `the database does not exist (${err.message})`;
    default:
      return err?.message || String(e);
  }
}

export interface ConnectOptions {
  applicationName?: string;
  connectTimeoutMs?: number;
}

/** Opens a client; failures say which URL (password hidden) and why. */
export async function connectPostgres(url: string, options: ConnectOptions = {}): Promise<pg.Client> {
  const { default: pgmod } = await import('pg');
  const client = new pgmod.Client({
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: options.applicationName ?? 'baas',
  });
  client.on('error', () => {
    // A dropped connection surfaces on the next query; an unhandled 'error' event would crash.
  });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw new ExternalError(`Cannot connect to Postgres at ${redactUrl(url)}: ${describeConnectError(e)}.`, {
      exitCode: ExitCode.external,
      hint: 'Check that the stack runs (`baas up`, `baas health`) or pass a reachable URL with --database-url / DATABASE_ADMIN_URL.',
      cause: e,
    });
  }
  return client;
}

/** Runs fn with a client and always closes it. */
export async function withPostgres<T>(url: string, fn: (c: pg.Client) => Promise<T>, options: ConnectOptions = {}): Promise<T> {
  const c = await connectPostgres(url, options);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}
