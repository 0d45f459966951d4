/**
 * The one place baas opens a Postgres session: timeouts, application_name, TLS settings and
 * error translation, returning the `Sql` seam. The driver is imported lazily, on first connect.
 */
import type { ConnectionOptions } from 'node:tls';
import type { ClientConfig } from 'pg';
import { loadPgDriver } from './driver.js';
import { translateConnectError, translateQueryError } from './errors.js';
import type { Sql, SqlConnector } from './sql.js';
import { describeServer, redactUrl, withDatabase } from './url.js';

/**
 * TLS for the session, passed to node-postgres as its `ssl` option: `false` (the default) sends
 * no SSLRequest, `true` verifies against the system CAs, an object sets CA, certificate, key,
 * servername... (node:tls options). An `sslmode` in the URL still applies when this is unset.
 */
export type PgTlsOptions = boolean | ConnectionOptions;

export interface PgClientOptions {
  /** Shown in pg_stat_activity (default 'baas'). */
  applicationName?: string;
  /** How long the TCP connect, TLS and authentication may take (default 5000 ms). */
  connectTimeoutMs?: number;
  /** statement_timeout of the session (default: the server's). */
  statementTimeoutMs?: number;
  ssl?: PgTlsOptions;
  /** Where the server keeps its data (a path or a volume), named when the disk is full. */
  dataLocation?: string;
  /** How the server is named in errors: the URL without password (default) or host:port only. */
  show?: 'url' | 'server';
  /** The hint of a failed connect (default: check the stack or the URL). */
  hint?: string;
  /**
   * Send the password only in a SCRAM exchange, never in clear text or as an MD5 hash: for an
   * address that may no longer be the stack's (a remembered port another process took since).
   */
  scramOnly?: boolean;
}

/** The node-postgres client settings the factory uses; exported for tests and for TLS work. */
export function clientConfig(url: string, options: PgClientOptions = {}): ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: options.applicationName ?? 'baas',
    ...(options.statementTimeoutMs !== undefined ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
  };
}

interface PgResultLike {
  rows: object[];
  rowCount: number | null;
}

/**
 * Loads the driver on the next turn of the event loop, so that requests the caller sends right
 * after this call (asking Docker where the stack listens) are on their way while pg loads;
 * connectPg uses the same instance.
 */
export function preloadDriver(): Promise<unknown> {
  return new Promise((resolve) =>
    setImmediate(() => {
      try {
        resolve(loadPgDriver());
      } catch {
        resolve(undefined); // connectPg reports it
      }
    }),
  );
}

/** Opens a session; a failure is a typed error that names the server (password hidden) and why. */
export async function connectPg(url: string, options: PgClientOptions = {}): Promise<Sql> {
  const pg = loadPgDriver();
  const client = new pg.Client(clientConfig(url, options));
  if (options.scramOnly) requireScram(client);
  // A session killed by the server (pg_terminate_backend, a restart) emits 'error'; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw translateConnectError(e, {
      server: options.show === 'server' ? describeServer(url) : redactUrl(url),
      ...(options.hint ? { hint: options.hint } : {}),
      ...(options.dataLocation ? { dataLocation: options.dataLocation } : {}),
    });
  }
  let pid = (client as unknown as { processID?: number | null }).processID ?? 0;
  if (!pid) pid = Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid ?? 0);
  const translate = (e: unknown): unknown =>
    translateQueryError(e, {
      ...(options.dataLocation ? { dataLocation: options.dataLocation } : {}),
      ...(options.statementTimeoutMs !== undefined ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
    });
  // One statement at a time per session, whatever the caller does (Promise.all included).
  let queue: Promise<unknown> = Promise.resolve();
  const run = (text: string, params?: readonly unknown[]): Promise<PgResultLike> => {
    const next = queue.then(async () => {
      try {
        const r = (await client.query(text, params as unknown[] | undefined)) as unknown as PgResultLike | PgResultLike[];
        // Several statements in one text (simple protocol) answer with one result each.
        return Array.isArray(r) ? (r[r.length - 1] ?? { rows: [], rowCount: 0 }) : r;
      } catch (e) {
        throw translate(e);
      }
    });
    queue = next.catch(() => {});
    return next;
  };
  return {
    pid,
    async query<R extends object>(text: string, params?: readonly unknown[]): Promise<R[]> {
      return (await run(text, params)).rows as R[];
    },
    async execute(text: string, params?: readonly unknown[]): Promise<number> {
      return (await run(text, params)).rowCount ?? 0;
    },
    async end() {
      await client.end().catch(() => {});
    },
  };
}

/**
 * node-postgres answers whatever password request the server sends. Here the password is handed
 * over only for SCRAM: the client's own listeners note a clear-text or MD5 request first (they
 * run before the driver's), and the password, given as a function, then refuses.
 */
function requireScram(client: object): void {
  const c = client as { connection: NodeJS.EventEmitter; password: unknown };
  const password = c.password;
  let weak: string | undefined;
  c.connection.on('authenticationCleartextPassword', () => (weak = 'the password in clear text'));
  c.connection.on('authenticationMD5Password', () => (weak = 'an MD5 password hash'));
  c.password = () => {
    if (weak) throw new Error(`the server asked for ${weak} instead of SCRAM authentication, so baas did not send it`);
    return password;
  };
}

/** Runs fn with a session and always closes it. */
export async function withPg<T>(url: string, fn: (sql: Sql) => Promise<T>, options: PgClientOptions = {}): Promise<T> {
  const sql = await connectPg(url, options);
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Sessions on any database of the server behind `url` (same user, password and options). */
export function pgConnector(url: string, options: PgClientOptions = {}): SqlConnector {
  return { connect: (database) => connectPg(withDatabase(url, database), options) };
}
