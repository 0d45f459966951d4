import os from 'node:os';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { UserError, ExitCode, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { databaseFor, MAIN } from './names.js';
import { pgConnector, preloadDriver, type PgClientOptions } from '../pg/client.js';
import { SQLSTATE, sqlState, type Sql, type SqlConnector } from '../pg/sql.js';
import { databaseOf, describeServer, withDatabase } from '../pg/url.js';
import { CommentBranchStore } from './store.js';
import type { CloneSupport } from './strategy.js';
import type { BranchDeps } from './types.js';

export interface BranchContext {
  deps: BranchDeps;
  /** Connection URLs for main: admin (superuser) and app (the application role). Secret: never log. */
  urls: { admin: string; app: string; managed: boolean };
  close(): Promise<void>;
}

export interface OpenArgs {
  loaded: LoadedConfig;
  stateDir: string;
  runtime: () => Promise<ContainerRuntime>;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Any Postgres, instead of the stack's. */
  databaseUrl?: string | undefined;
  signal?: AbortSignal;
}

/** Where the stack's Postgres keeps its data on this host, and whether files there can be cloned. */
export async function stackCloneSupport(loaded: LoadedConfig, runtime: () => Promise<ContainerRuntime>): Promise<CloneSupport> {
  const pg = loaded.config.services.postgres;
  let dir: string;
  if (pg.data === 'volume') {
    try {
      dir = path.join((await (await runtime()).ping()).rootDir || '/var/lib/docker', 'volumes');
    } catch (e) {
      return { reflink: undefined, detail: `Docker's data directory is unknown (${messageOf(e)})` };
    }
  } else {
    dir = path.resolve(loaded.dir, pg.data);
  }
  const { probeReflink } = await import('../doctor/reflink.js');
  const probe = probeReflink(dir);
  const where = pg.data === 'volume' ? `the named volume (under ${dir})` : `services.postgres.data (${dir})`;
  return { reflink: probe.reflink, detail: probe.reflink ? `${where} is on ${probe.filesystem} with reflink` : `${where}: ${probe.detail}` };
}

function currentUser(env: NodeJS.ProcessEnv): string {
  try {
    return os.userInfo().username;
  } catch {
    return env['USER'] ?? env['USERNAME'] ?? 'unknown';
  }
}

/** The composition root for branch commands: one superuser session and the store on it. */
export async function openBranchContext(args: OpenArgs): Promise<BranchContext> {
  let adminUrl: string;
  let appUrl: string;
  let mainDatabase: string;
  let appRole: string | undefined;
  let cloneSupport: () => Promise<CloneSupport>;
  let opened: Session | undefined;
  const managed = !args.databaseUrl;
  // Load the driver while Docker is asked where the stack listens.
  const driver = preloadDriver();
  if (args.databaseUrl) {
    try {
      new URL(args.databaseUrl);
    } catch {
      throw new UserError('--database-url is not a valid URL.', { hint: 'For example postgres://postgres:secret@db.example:5432/app' });
    }
    if (!/^postgres(ql)?:$/.test(new URL(args.databaseUrl).protocol)) throw new UserError('--database-url must start with postgres:// or postgresql://.');
    adminUrl = args.databaseUrl;
    appUrl = args.databaseUrl;
    mainDatabase = databaseOf(args.databaseUrl);
    cloneSupport = async () => ({ reflink: undefined, detail: `${describeServer(adminUrl)} is not managed by baas, so its filesystem is unknown` });
  } else {
    const pg = args.loaded.config.services.postgres;
    if (!pg.enabled) throw new UserError('Postgres is disabled in the configuration.', { exitCode: ExitCode.config, hint: 'Set services.postgres.enabled: true, or pass --database-url.' });
    mainDatabase = pg.database;
    appRole = pg.user;
    let probed: Promise<CloneSupport> | undefined;
    cloneSupport = () => (probed ??= stackCloneSupport(args.loaded, args.runtime));
    // Where the stack listens, as last found: a session opened with it proves it still holds.
    const { rememberedPostgres, rememberPostgres, forgetPostgres } = await import('../stack/connection-cache.js');
    const remembered = rememberedPostgres(args.loaded, args.stateDir);
    if (remembered) {
      await driver;
      opened = await openSession(remembered.admin, mainDatabase, { connectTimeoutMs: REMEMBERED_CONNECT_TIMEOUT_MS, scramOnly: true }).catch(() => undefined);
      if (!opened) forgetPostgres(args.stateDir);
    }
    if (opened && remembered) {
      adminUrl = remembered.admin;
      appUrl = remembered.app;
    } else {
      const { connectionInfo } = await import('../stack/connection.js');
      const infos = await connectionInfo({ runtime: await args.runtime(), logger: args.logger, env: args.env }, args.loaded, args.stateDir);
      const env = infos.find((i) => i.service === 'postgres')?.env;
      if (!env?.['DATABASE_ADMIN_URL'] || !env['DATABASE_URL']) throw new UserError('Postgres is not part of the running stack.', { hint: 'Run `baas up`.' });
      adminUrl = env['DATABASE_ADMIN_URL'];
      appUrl = env['DATABASE_URL'];
      await driver;
      opened = await openSession(adminUrl, mainDatabase);
      rememberPostgres(args.loaded, args.stateDir, { admin: adminUrl, app: appUrl });
    }
  }
  await driver;
  const { sql, maintenanceDatabase, connector } = opened ?? (await openSession(adminUrl, mainDatabase));
  const deps: BranchDeps = {
    sql,
    connect: (db) => connector.connect(db).catch((e: unknown) => {
      throw wrapConnect(e, adminUrl);
    }),
    maintenanceDatabase,
    store: new CommentBranchStore(sql),
    mainDatabase,
    ...(appRole ? { appRole } : {}),
    cloneSupport,
    now: () => new Date(),
    user: currentUser(args.env),
    logger: args.logger.child({ component: 'branch' }),
    ...(args.signal ? { signal: args.signal } : {}),
  };
  return { deps, urls: { admin: adminUrl, app: appUrl, managed }, close: () => sql.end() };
}

/** A remembered address that no longer answers within this time is looked up again through Docker. */
const REMEMBERED_CONNECT_TIMEOUT_MS = 3000;

interface Session {
  sql: Sql;
  maintenanceDatabase: string;
  connector: SqlConnector;
}

/** The superuser session branch commands work from, in a database nobody branches: `postgres`, or template1 when main is `postgres` itself. */
async function openSession(adminUrl: string, mainDatabase: string, remembered?: Pick<PgClientOptions, 'connectTimeoutMs' | 'scramOnly'>): Promise<Session> {
  const connectorWith = (extra: PgClientOptions): SqlConnector =>
    pgConnector(adminUrl, {
      applicationName: 'baas branch',
      connectTimeoutMs: 10_000,
      show: 'server',
      hint: 'Is the stack running? `baas up` starts it; `baas health postgres` checks it. With --database-url, check the URL.',
      ...extra,
    });
  const connector = connectorWith({});
  // The first session on a remembered address: shorter wait, SCRAM only. It proves the address; later sessions use the defaults.
  const first = remembered ? connectorWith(remembered) : connector;
  let maintenanceDatabase = mainDatabase === 'postgres' ? 'template1' : 'postgres';
  let sql: Sql;
  try {
    sql = await first.connect(maintenanceDatabase);
  } catch (e) {
    if (sqlState(e) !== SQLSTATE.invalidCatalogName || maintenanceDatabase === 'template1') throw wrapConnect(e, adminUrl);
    maintenanceDatabase = 'template1';
    sql = await first.connect(maintenanceDatabase).catch((e2: unknown) => {
      throw wrapConnect(e2, adminUrl);
    });
  }
  return { sql, maintenanceDatabase, connector };
}

function wrapConnect(e: unknown, url: string): unknown {
  if (e instanceof UserError || (e as { exitCode?: number }).exitCode) return e;
  return new UserError(`Cannot open a session on ${describeServer(url)}: ${messageOf(e)}`, { exitCode: ExitCode.external, hint: 'Check that the server runs and that the URL names a superuser.' });
}

/** A connection URL for a branch: the app role by default, the superuser with admin. Secret: print, never log. */
export function branchUrl(ctx: BranchContext, branch: string, admin: boolean): string {
  const db = databaseFor(branch === MAIN ? MAIN : branch, ctx.deps.mainDatabase);
  return withDatabase(admin ? ctx.urls.admin : ctx.urls.app, db);
}
