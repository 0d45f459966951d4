import path from 'node:path';
import { messageOf } from '../errors.js';
import { postgresIp } from '../model/addresses.js';
import { volumeName } from '../model/labels.js';
import { withPg } from '../pg/client.js';
import { quoteIdent, quoteLiteral } from '../pg/escape.js';
import { SQLSTATE, sqlState, type Sql } from '../pg/sql.js';
import { withDatabase } from '../pg/url.js';
import { poll, sequence } from '../wait.js';
import { baseDef, checkingContainer, dataMount, imageFor, limits, restartPolicy, secretsMount } from './common.js';
import { SECRETS_DIR, syncSecretsScript } from '../security/files.js';
import { gatewayOf } from '../model/addresses.js';
import { backupRepoLocation, backupRepoMount, backupServerSettings, backupStartPrefix, backupVolumes, backupsOn, judgeArchiver, readArchiver, type ArchiverStatus } from './postgres-backups.js';
import type { ConnectionInfo, EngineDriver, HealthReport, ServiceDef, StackContext } from './types.js';

export const PG_DATA_MOUNT = '/var/lib/postgresql/data';
export const PG_DATA_DIR = `${PG_DATA_MOUNT}/pgdata`;

/**
 * baas decides how Postgres starts instead of relying on an image's entrypoint, so the official
 * image and the locally built one behave the same: the secrets are copied from the read-only
 * /run/secrets for the postgres user, initdb runs on first start (the superuser password read
 * from a file), then postgres with the configured settings and baas's pg_hba.conf.
 */
export const POSTGRES_START = `set -eu
PGBIN="/usr/lib/postgresql/$PG_MAJOR/bin"
D="${PG_DATA_DIR}"
${syncSecretsScript('postgres')}
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
  setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/initdb" -D "$D.init" -U postgres --pwfile=${SECRETS_DIR}/postgres-password \\
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log; exit 1; }
  rm -rf "$D"
  mv "$D.init" "$D"
  echo "baas: initialised a new Postgres data directory"
fi
chown postgres:postgres "$D"
chmod 700 "$D"
exec setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$D" "$@"`;

/**
 * Who may log in from where. Network peers use passwords (scram); with TLS in the server
 * profile they must use TLS (hostnossl is rejected) and the superuser is accepted only from
 * the Docker gateway, which is where connections from the host baas runs on arrive.
 */
export function pgHba(args: { server: boolean; tls: boolean; gateway: string; superuserFrom?: string[] }): string {
  const host = args.tls ? 'hostssl' : 'host';
  const lines = ['# written by baas at every start; edit platform.config.yaml (profile, tls) instead', 'local all all trust'];
  if (args.server) {
    lines.push(
      ...(args.superuserFrom ?? [`${args.gateway}/32`]).map((cidr) => `${host} all postgres ${cidr} scram-sha-256`),
      'host all postgres 0.0.0.0/0 reject',
      'host all postgres ::/0 reject',
      `${host} all all 0.0.0.0/0 scram-sha-256`,
      `${host} all all ::/0 scram-sha-256`,
    );
    if (args.tls) lines.push('hostnossl all all 0.0.0.0/0 reject', 'hostnossl all all ::/0 reject');
  } else {
    lines.push('host all all 0.0.0.0/0 scram-sha-256', 'host all all ::/0 scram-sha-256');
  }
  return `${lines.join('\n')}\n`;
}

export function postgresSettings(ctx: StackContext): string[] {
  const settings: Record<string, string | number | boolean> = {
    listen_addresses: '*',
    max_connections: 100,
    hba_file: `${SECRETS_DIR}/pg_hba.conf`,
    ...(ctx.tls.enabled
      ? { ssl: true, ssl_cert_file: `${SECRETS_DIR}/server.crt`, ssl_key_file: `${SECRETS_DIR}/server.key`, ssl_ca_file: `${SECRETS_DIR}/ca.crt`, ssl_min_protocol_version: 'TLSv1.2' }
      : {}),
    ...ctx.config.services.postgres.settings,
    ...backupServerSettings(ctx),
  };
  return Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${typeof v === 'boolean' ? (v ? 'on' : 'off') : v}`]);
}

export function postgresDefs(ctx: StackContext, hostPort: number): ServiceDef[] {
  const cfg = ctx.config.services.postgres;
  const ip = postgresIp(ctx.subnet);
  const b = baseDef(ctx, { name: 'postgres', kind: 'postgres', group: 'postgres', ip, port: 5432, hostPort });
  const data = dataMount(ctx, 'postgres', 'postgres', PG_DATA_MOUNT);
  const spec = {
    name: b.containerName,
    image: imageFor(ctx, 'postgres'),
    cmd: ['sh', '-c', `${backupStartPrefix(ctx)}${POSTGRES_START}`, 'baas-postgres', ...postgresSettings(ctx)],
    env: { PG_MAJOR: String(cfg.version), LANG: 'C.UTF-8' },
    labels: b.labels,
    network: ctx.network,
    ipv4: ip,
    hostname: 'postgres',
    ports: [{ container: 5432, host: hostPort, hostIp: ctx.bindAddress }],
    mounts: [data.mount, secretsMount(ctx, 'postgres'), ...(backupsOn(ctx) ? [backupRepoMount(ctx)] : [])],
    restartPolicy: restartPolicy(ctx),
    stopTimeoutSeconds: 30,
    ...limits(ctx, 'postgres'),
  };
  const hba = pgHba({ server: ctx.config.profile === 'server', tls: ctx.tls.enabled, gateway: gatewayOf(ctx.subnet), ...(ctx.superuserFrom ? { superuserFrom: ctx.superuserFrom } : {}) });
  return [
    {
      ...b,
      spec,
      hashInput: { ...spec, hba },
      dependsOn: [],
      secretFiles: { 'postgres-password': `${ctx.secrets.postgres.superuserPassword}\n`, 'pg_hba.conf': hba },
      runAs: 'postgres',
      ...(data.volume ? { volume: data.volume } : {}),
      extraVolumes: backupVolumes(ctx),
    },
  ];
}

export interface PgUrls {
  superuser: string;
  app: string;
  /** baas_monitor: pg_monitor only (statistics), for the dashboard. */
  monitor: string;
}

export const MONITOR_ROLE = 'baas_monitor';

/** The URL query that makes clients verify the chain and the name (libpq and node-postgres read sslrootcert as a file). */
export function pgTlsQuery(ctx: Pick<StackContext, 'tls'>): string {
  return ctx.tls.enabled ? `?sslmode=verify-full&sslrootcert=${encodeURIComponent(ctx.tls.caFile)}` : '';
}

export function postgresUrls(ctx: StackContext, host: string, port: number): PgUrls {
  const cfg = ctx.config.services.postgres;
  const enc = encodeURIComponent;
  const q = pgTlsQuery(ctx);
  return {
    superuser: `postgres://postgres:${enc(ctx.secrets.postgres.superuserPassword)}@${host}:${port}/${cfg.database}${q}`,
    app: `postgres://${cfg.user}:${enc(ctx.secrets.postgres.appPassword)}@${host}:${port}/${cfg.database}${q}`,
    monitor: `postgres://${MONITOR_ROLE}:${enc(ctx.secrets.postgres.monitorPassword)}@${host}:${port}/${cfg.database}${q}`,
  };
}

/**
 * Idempotent: the application database and a login role that owns no tables, with default
 * privileges so tables created by the admin role are usable by the app (and RLS applies to it).
 */
export function bootstrapSql(database: string, user: string, password: string, monitorPassword?: string): { onServer: string[]; inDatabase: string[] } {
  const u = quoteIdent(user);
  const m = quoteIdent(MONITOR_ROLE);
  return {
    onServer: [
      ...(monitorPassword === undefined ? [] : [`DO $$ BEGIN
         IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(MONITOR_ROLE)}) THEN
           CREATE ROLE ${m} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD ${quoteLiteral(monitorPassword)};
         ELSE
           ALTER ROLE ${m} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD ${quoteLiteral(monitorPassword)};
         END IF;
       END $$`, `GRANT pg_monitor TO ${m}`]),
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

/** Where the server keeps its data, for messages: the bind path or the named volume. */
export function postgresDataLocation(ctx: StackContext): string {
  const data = ctx.config.services.postgres.data;
  return data === 'volume' ? `the Docker volume ${volumeName(ctx.project, 'postgres')}` : path.resolve(ctx.configDir, data);
}

function withClient<T>(ctx: StackContext, url: string, fn: (c: Sql) => Promise<T>): Promise<T> {
  return withPg(url, fn, { connectTimeoutMs: 3000, statementTimeoutMs: 10_000, dataLocation: postgresDataLocation(ctx) });
}

/** The database superuser sessions start in: one nobody branches (`template1` when the app's is `postgres`). */
export const maintenanceDatabase = (database: string): string => (database === 'postgres' ? 'template1' : 'postgres');

/** The superuser URL of another database of the same server. */
function superuserUrl(ctx: StackContext, host: string, port: number, database: string): string {
  return withDatabase(postgresUrls(ctx, host, port).superuser, database);
}

/**
 * Undoes what an interrupted branch operation left behind (a database left refusing
 * connections, unfinished copies): the same repair `baas branch list` runs, on a superuser
 * session in the maintenance database. Never throws: a failure here is judged by the probe.
 */
async function repairOn(ctx: StackContext, c: Sql): Promise<string[]> {
  const { repairInterrupted } = await import('../branch/repair.js');
  return repairInterrupted(c, ctx.config.services.postgres.database);
}

export async function repairPostgres(ctx: StackContext, def: ServiceDef): Promise<string[]> {
  const cfg = ctx.config.services.postgres;
  try {
    return await withClient(ctx, superuserUrl(ctx, ctx.probeHost, def.hostPort, maintenanceDatabase(cfg.database)), (c) => repairOn(ctx, c));
  } catch {
    return [];
  }
}

/**
 * Creates the app database and role once the server accepts the superuser, after repairing
 * what an interrupted branch copy left (so a main database left refusing connections does
 * not keep the set-up failing). Returns the repairs made.
 */
export async function bootstrapPostgres(ctx: StackContext, host: string, port: number): Promise<string[]> {
  const cfg = ctx.config.services.postgres;
  const sql = bootstrapSql(cfg.database, cfg.user, ctx.secrets.postgres.appPassword, ctx.secrets.postgres.monitorPassword);
  const repaired = await withClient(ctx, superuserUrl(ctx, host, port, maintenanceDatabase(cfg.database)), async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.database]);
    if (exists.length === 0) await c.query(`CREATE DATABASE ${quoteIdent(cfg.database)}`);
    for (const s of sql.onServer) await c.query(s);
    return exists.length === 0 ? [] : repairOn(ctx, c);
  });
  await withClient(ctx, postgresUrls(ctx, host, port).superuser, async (c) => {
    for (const s of sql.inDatabase) await c.query(s);
  });
  return repaired;
}

/** `select 1` as the application user, with a few figures; throws what the driver said. */
async function probeApp(ctx: StackContext, def: ServiceDef): Promise<HealthReport> {
  const started = Date.now();
  const details = await withClient(ctx, postgresUrls(ctx, ctx.probeHost, def.hostPort).app, async (c) => {
    await c.query('select 1');
    const r = await c.query<{ version: string; conns: string; recovery: boolean }>(
      "select current_setting('server_version') as version, (select count(*) from pg_stat_activity where backend_type = 'client backend') as conns, pg_is_in_recovery() as recovery",
    );
    const row = r[0]!;
    const archiver: ArchiverStatus | undefined = backupsOn(ctx) ? await readArchiver(c) : undefined;
    return { version: row.version, connections: Number(row.conns), database: ctx.config.services.postgres.database, ...(archiver ? { archiver } : {}) };
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
}

/** Readiness as users see it: `select 1` as the application user. */
export async function postgresHealth(ctx: StackContext, def: ServiceDef): Promise<HealthReport> {
  try {
    const report = await probeApp(ctx, def);
    // Readiness (`up`) does not wait on the archiver; health says when it fails.
    return judgeArchiver(report, report.details?.['archiver'] as ArchiverStatus | undefined, backupRepoLocation(ctx));
  } catch (e) {
    return { service: def.name, kind: 'postgres', status: 'unhealthy', detail: messageOf(e) };
  }
}

export function postgresConnection(ctx: StackContext, defs: ServiceDef[], host: string): ConnectionInfo {
  const cfg = ctx.config.services.postgres;
  const def = defs.find((d) => d.kind === 'postgres')!;
  const port = def.hostPort;
  host = def.publishedHost ?? host;
  const urls = postgresUrls(ctx, host, port);
  return {
    service: 'postgres',
    env: {
      DATABASE_URL: urls.app,
      DATABASE_ADMIN_URL: urls.superuser,
      DATABASE_MONITOR_URL: urls.monitor,
      PGHOST: host,
      PGPORT: String(port),
      PGDATABASE: cfg.database,
      PGUSER: cfg.user,
      PGPASSWORD: ctx.secrets.postgres.appPassword,
      ...(ctx.tls.enabled ? { PGSSLMODE: 'verify-full', PGSSLROOTCERT: ctx.tls.caFile } : {}),
    },
    secretKeys: ['DATABASE_URL', 'DATABASE_ADMIN_URL', 'DATABASE_MONITOR_URL', 'PGPASSWORD'],
    urlKey: 'DATABASE_URL',
    notes: [
      `DATABASE_URL connects as '${cfg.user}', which owns no tables and is subject to RLS; DATABASE_ADMIN_URL is the superuser for migrations; DATABASE_MONITOR_URL (${MONITOR_ROLE}) may read statistics only (pg_monitor).`,
      ...(ctx.tls.enabled ? [`TLS: the URLs verify the chain and the host name (sslmode=verify-full, sslrootcert=${ctx.tls.caFile}); node-postgres and libpq both read them.`] : []),
      ...(ctx.config.profile !== 'server'
        ? []
        : ctx.superuserFrom
          ? [`Server profile: the superuser may log in from ${ctx.superuserFrom.join(', ')}${ctx.tls.enabled ? ', over TLS only' : ''}.`]
          : ['Server profile: the superuser may log in from this host only (the Docker gateway); other peers must use TLS.']),
    ],
  };
}

export const postgresDriver: EngineDriver = {
  kind: 'postgres',
  group: 'postgres',
  ports: (config) => (config.services.postgres.enabled ? [{ service: 'postgres', configured: config.services.postgres.port, offset: 0, key: 'services.postgres.port' }] : []),
  defs: (ctx, port) => postgresDefs(ctx, port('postgres')),
  // The data directory and the one initdb fills before renaming it (see the start script).
  ownedData: (source) => ({ dir: source, entries: [path.basename(PG_DATA_DIR), `${path.basename(PG_DATA_DIR)}.init`] }),
  readiness(def, env) {
    const { ctx } = env;
    const guarded = <T>(fn: () => Promise<T>): Promise<T> => checkingContainer(env, fn);
    let repaired: string[] = [];
    return sequence<HealthReport>(def.name, [
      poll(`${def.name} set-up`, () => guarded(async () => {
        repaired = await bootstrapPostgres(ctx, ctx.probeHost, def.hostPort);
        return { ok: true, detail: 'roles ready' };
      }), { intervalMs: 200 }),
      poll(def.name, () => guarded(async () => {
        const h = await probeApp(ctx, def);
        const value = repaired.length > 0 ? { ...h, repaired } : h;
        return { ok: true, detail: h.detail, value };
      }), { intervalMs: 200 }),
    ]);
  },
  health: postgresHealth,
  repair: repairPostgres,
  keepRunningAfter: (e) =>
    sqlState(e) === SQLSTATE.objectNotInPrerequisiteState
      ? 'the server runs; only a database refuses connections (`baas branch list` repairs one left by an interrupted copy)'
      : undefined,
  connection: postgresConnection,
};
