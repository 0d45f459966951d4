import type pg from 'pg';
import { HOST_OCTET, addressIn } from '../stack/network.js';
import { baseDef, dataMount, imageFor, limits, restartPolicy } from './common.js';
import type { HealthReport, ServiceDef, StackContext } from './types.js';

export const PG_DATA_MOUNT = '/var/lib/postgresql/data';
export const PG_DATA_DIR = `${PG_DATA_MOUNT}/pgdata`;

/**
 * baas decides how Postgres starts instead of relying on an image's entrypoint, so the official
 * image and the locally built one behave the same: initdb on first start (password auth for
 * network peers), then postgres as the postgres user with the configured settings.
 */
export const POSTGRES_START = `set -eu
PGBIN="/usr/lib/postgresql/$PG_MAJOR/bin"
D="${PG_DATA_DIR}"
mkdir -p "${PG_DATA_MOUNT}"
chown postgres:postgres "${PG_DATA_MOUNT}"
if [ ! -s "$D/PG_VERSION" ]; then
  # initdb into a scratch directory and rename it into place, so a start that is killed
  # half-way never leaves a data directory that looks initialised but is not.
  rm -rf "$D.init"
  mkdir -p "$D.init"
  chown postgres:postgres "$D.init"
  chmod 700 "$D.init"
  umask 077
  printf '%s\\n' "$POSTGRES_PASSWORD" > /tmp/.pwfile
  chown postgres /tmp/.pwfile
  setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/initdb" -D "$D.init" -U postgres --pwfile=/tmp/.pwfile \\
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log; exit 1; }
  rm -f /tmp/.pwfile
  rm -rf "$D"
  mv "$D.init" "$D"
  echo "baas: initialised a new Postgres data directory"
fi
chown postgres:postgres "$D"
chmod 700 "$D"
# Network peers use password auth; checked at every start so the rule is there whatever happened before.
grep -q '^host all all 0.0.0.0/0 scram-sha-256' "$D/pg_hba.conf" || printf 'host all all 0.0.0.0/0 scram-sha-256\\nhost all all ::/0 scram-sha-256\\n' >> "$D/pg_hba.conf"
unset POSTGRES_PASSWORD
exec setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$D" "$@"`;

export function postgresSettings(ctx: StackContext): string[] {
  const settings: Record<string, string | number | boolean> = {
    listen_addresses: '*',
    max_connections: 100,
    ...ctx.config.services.postgres.settings,
  };
  return Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${typeof v === 'boolean' ? (v ? 'on' : 'off') : v}`]);
}

export function postgresDefs(ctx: StackContext, hostPort: number): ServiceDef[] {
  const cfg = ctx.config.services.postgres;
  const ip = addressIn(ctx.subnet, HOST_OCTET.postgres);
  const b = baseDef(ctx, { name: 'postgres', kind: 'postgres', group: 'postgres', ip, port: 5432, hostPort });
  const data = dataMount(ctx, 'postgres', 'postgres', PG_DATA_MOUNT);
  const spec = {
    name: b.containerName,
    image: imageFor(ctx, 'postgres'),
    cmd: ['sh', '-c', POSTGRES_START, 'baas-postgres', ...postgresSettings(ctx)],
    env: { PG_MAJOR: String(cfg.version), POSTGRES_PASSWORD: ctx.secrets.postgres.superuserPassword, LANG: 'C.UTF-8' },
    labels: b.labels,
    network: ctx.network,
    ipv4: ip,
    hostname: 'postgres',
    ports: [{ container: 5432, host: hostPort, hostIp: ctx.bindAddress }],
    mounts: [data.mount],
    restartPolicy: restartPolicy(ctx),
    stopTimeoutSeconds: 30,
    ...limits(ctx, 'postgres'),
  };
  return [
    {
      ...b,
      spec,
      hashInput: spec,
      dependsOn: [],
      ...(data.volume ? { volume: data.volume } : {}),
    },
  ];
}

export interface PgUrls {
  superuser: string;
  app: string;
}

export function postgresUrls(ctx: StackContext, host: string, port: number): PgUrls {
  const cfg = ctx.config.services.postgres;
  const enc = encodeURIComponent;
  return {
    superuser: `postgres://postgres:${enc(ctx.secrets.postgres.superuserPassword)}@${host}:${port}/${cfg.database}`,
    app: `postgres://${cfg.user}:${enc(ctx.secrets.postgres.appPassword)}@${host}:${port}/${cfg.database}`,
  };
}

/**
 * An identifier for SQL. Identical to pg's `escapeIdentifier` (doubling `"` is all there is to
 * it), kept here so that modules that never talk to Postgres (status, up's planning) need not
 * load the driver. Literals always go through the driver's `escapeLiteral`, which is right
 * whatever `standard_conforming_strings` says.
 */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A string literal for SQL: pg's `escapeLiteral`, handed in by whoever has loaded the driver. */
export type QuoteLiteral = (value: string) => string;

/**
 * Idempotent: the application database and a login role that owns no tables, with default
 * privileges so tables created by the admin role are usable by the app (and RLS applies to it).
 */
export function bootstrapSql(database: string, user: string, password: string, quoteLiteral: QuoteLiteral): { onServer: string[]; inDatabase: string[] } {
  const u = quoteIdent(user);
  return {
    onServer: [
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(user)}) THEN
           CREATE ROLE ${u} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD ${quoteLiteral(password)};
         ELSE
           ALTER ROLE ${u} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD ${quoteLiteral(password)};
         END IF;
       END $$`,
    ],
    inDatabase: [
      `GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} TO ${u}`,
      `GRANT USAGE ON SCHEMA public TO ${u}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${u}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${u}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${u}`,
    ],
  };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>, timeoutMs = 3000): Promise<T> {
  const { default: pgmod } = await import('pg');
  const client = new pgmod.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, statement_timeout: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates the app database and role once the server accepts the superuser. */
export async function bootstrapPostgres(ctx: StackContext, host: string, port: number): Promise<void> {
  const cfg = ctx.config.services.postgres;
  const { default: pgmod } = await import('pg');
  const sql = bootstrapSql(cfg.database, cfg.user, ctx.secrets.postgres.appPassword, (v) => pgmod.escapeLiteral(v));
  const adminUrl = postgresUrls(ctx, host, port).superuser.replace(new RegExp(`/${cfg.database}$`), '/postgres');
  await withClient(adminUrl, async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.database]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${quoteIdent(cfg.database)}`);
    for (const s of sql.onServer) await c.query(s);
  });
  await withClient(postgresUrls(ctx, host, port).superuser, async (c) => {
    for (const s of sql.inDatabase) await c.query(s);
  });
}

/** Readiness as users see it: `select 1` as the application user. */
export async function postgresHealth(ctx: StackContext, def: ServiceDef, host: string): Promise<HealthReport> {
  const started = Date.now();
  try {
    const details = await withClient(postgresUrls(ctx, host, def.hostPort).app, async (c) => {
      await c.query('select 1');
      const r = await c.query<{ version: string; conns: string; recovery: boolean }>(
        "select current_setting('server_version') as version, (select count(*) from pg_stat_activity where backend_type = 'client backend') as conns, pg_is_in_recovery() as recovery",
      );
      const row = r.rows[0]!;
      return { version: row.version, connections: Number(row.conns), database: ctx.config.services.postgres.database };
    });
    return {
      service: def.name,
      kind: 'postgres',
      status: 'healthy',
      latencyMs: Date.now() - started,
      role: 'primary',
      detail: `Postgres ${details.version}, ${details.connections} client connection(s)`,
      details,
    };
  } catch (e) {
    return { service: def.name, kind: 'postgres', status: 'unhealthy', detail: e instanceof Error ? e.message : String(e) };
  }
}
