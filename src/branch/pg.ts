import type { ClientConfig } from 'pg';
import { ExternalError, messageOf } from '../errors.js';
import type { Sql, SqlConnector } from './sql.js';

/** `url` with its database (the path) replaced. Nothing else of the URL changes. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The database named in a connection URL (default: the user name, as libpq does). */
export function databaseOf(url: string): string {
  const u = new URL(url);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return db || decodeURIComponent(u.username) || 'postgres';
}

/** Host and port only: for messages and logs (never the credentials). */
export function describeServer(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return 'the Postgres server';
  }
}

/** Superuser sessions through node-postgres, to any database of the server behind `adminUrl`. */
export function pgConnector(adminUrl: string, applicationName = 'baas branch'): SqlConnector {
  return {
    async connect(database: string): Promise<Sql> {
      const { default: pg } = await import('pg');
      const config: ClientConfig = {
        connectionString: withDatabase(adminUrl, database),
        connectionTimeoutMillis: 10_000,
        application_name: applicationName,
      };
      const client = new pg.Client(config);
      // A session killed by the server (pg_terminate_backend) emits 'error'; the next query reports it.
      client.on('error', () => {});
      try {
        await client.connect();
      } catch (e) {
        await client.end().catch(() => {});
        const code = (e as { code?: string }).code;
        if (code === '3D000' || code === '55000' || code === '28000' || code === '28P01') throw e;
        throw new ExternalError(`Cannot connect to Postgres at ${describeServer(adminUrl)}: ${messageOf(e)}`, {
          cause: e,
          hint: 'Is the stack running? `baas up` starts it; `baas health postgres` checks it. With --database-url, check the URL.',
        });
      }
      const pidRow = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const pid = pidRow.rows[0]!.pid;
      // One statement at a time per session, whatever the caller does (Promise.all included).
      let queue: Promise<unknown> = Promise.resolve();
      return {
        pid,
        query<R extends object>(text: string, params?: unknown[]): Promise<R[]> {
          const run = queue.then(async () => (await client.query<R>(text, params as unknown[] | undefined)).rows);
          queue = run.catch(() => {});
          return run;
        },
        async end() {
          await client.end().catch(() => {});
        },
      };
    },
  };
}
