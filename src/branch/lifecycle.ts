import { randomBytes } from 'node:crypto';
import { ExitCode, UserError, messageOf } from '../errors.js';
import { quoteIdent, quoteLiteral } from '../pg/escape.js';
import { databaseSizes, databases, lock, serverVersionNum, sessionsOn, tryLock, unlock, type Session } from './catalog.js';
import { copyDatabase, copyLock, dropDatabase, repairLeftovers, tempLock, type DisruptPlan, type PauseReport } from './copy.js';
import { isExpired, type BranchMeta } from './meta.js';
import { MAIN, TEMP_DB_PREFIX, databaseFor, validateBranchName } from './names.js';
import { serverError } from '../pg/errors.js';
import { SQLSTATE, sqlState, type Sql } from '../pg/sql.js';
import type { StoredBranch } from './store.js';
import { chooseStrategy, type Strategy, type StrategyChoice } from './strategy.js';
import type { BranchDeps } from './types.js';
import { whileWaiting } from '../wait.js';

export interface Branch {
  name: string;
  database: string;
  meta: BranchMeta | undefined;
}

const notFound = (name: string): UserError =>
  new UserError(`There is no branch named '${name}'.`, { exitCode: ExitCode.usage, hint: '`baas branch list` shows the branches.' });

/** `main` or an existing branch (a database carrying branch metadata). */
export async function resolveBranch(deps: BranchDeps, name: string, stored?: StoredBranch[]): Promise<Branch> {
  validateBranchName(name);
  const database = databaseFor(name, deps.mainDatabase);
  const all = stored ?? (await deps.store.list());
  const meta = all.find((s) => s.database === database)?.meta;
  const exists = (await deps.sql.query('select 1 from pg_database where datname = $1', [database])).length > 0;
  if (name === MAIN) {
    if (!exists) throw new UserError(`The main database '${database}' does not exist.`, { exitCode: ExitCode.usage, hint: 'Run `baas up` (it creates it), or check services.postgres.database / --database-url.' });
    return { name, database, meta };
  }
  if (!exists || meta?.kind !== 'branch') throw notFound(name);
  return { name, database, meta };
}

function disruptPlan(parent: Branch, opts: { disrupt?: boolean; force?: boolean }): DisruptPlan {
  if (opts.disrupt === false) return { mode: 'refuse', why: '--no-disrupt was given' };
  if (parent.meta?.protected && !opts.force) return { mode: 'refuse', why: `'${parent.name}' is protected (its sessions are never ended without --force)` };
  return { mode: 'pause' };
}

export interface CopyPlan {
  parent: string;
  parentDatabase: string;
  sizeBytes: number;
  choice: StrategyChoice;
  /** What happens to the parent's sessions. */
  disruption: { mode: DisruptPlan['mode']; why?: string; sessions: Session[] };
}

async function planCopy(deps: BranchDeps, parent: Branch, opts: { strategy?: Strategy | undefined; disrupt?: boolean; force?: boolean }): Promise<CopyPlan & { serverVersionNum: number; plan: DisruptPlan; owner: string }> {
  const [version, sizes, sessions, dbs] = await Promise.all([
    serverVersionNum(deps.sql),
    databaseSizes(deps.sql, [parent.database]),
    sessionsOn(deps.sql, parent.database),
    databases(deps.sql),
  ]);
  const sizeBytes = sizes.get(parent.database) ?? 0;
  const clone = await deps.cloneSupport();
  const choice = chooseStrategy({ serverVersionNum: version, clone, sizeBytes, forced: opts.strategy });
  const plan = disruptPlan(parent, opts);
  const owner = dbs.find((d) => d.name === parent.database)?.owner ?? 'postgres';
  return {
    parent: parent.name,
    parentDatabase: parent.database,
    sizeBytes,
    choice,
    disruption: { mode: plan.mode, ...(plan.mode === 'refuse' ? { why: plan.why } : {}), sessions },
    serverVersionNum: version,
    plan,
    owner,
  };
}

/** Owner is set by CREATE DATABASE; grants and per-database settings are not copied by Postgres. */
async function copyDatabaseSettings(sql: Sql, from: string, to: string, appRole: string | undefined): Promise<void> {
  const acl = await sql.query<{ priv: string; grantee: string; grantable: boolean }>(
    `select a.privilege_type as priv, case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee) end as grantee, a.is_grantable as grantable
       from pg_database d, aclexplode(d.datacl) a where d.datname = $1`,
    [from],
  );
  if (acl.length > 0) {
    await sql.query(`REVOKE ALL ON DATABASE ${quoteIdent(to)} FROM PUBLIC`);
    for (const g of acl) {
      const who = g.grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdent(g.grantee);
      if (!/^[A-Z ]+$/.test(g.priv)) continue;
      await sql.query(`GRANT ${g.priv} ON DATABASE ${quoteIdent(to)} TO ${who}${g.grantable ? ' WITH GRANT OPTION' : ''}`);
    }
  }
  if (appRole) {
    const role = await sql.query('select 1 from pg_roles where rolname = $1', [appRole]);
    if (role.length > 0) await sql.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(to)} TO ${quoteIdent(appRole)}`);
  }
  const settings = await sql.query<{ role: string | null; cfg: string }>(
    `select pg_get_userbyid(nullif(s.setrole, 0)) as role, unnest(s.setconfig) as cfg
       from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase where d.datname = $1`,
    [from],
  );
  for (const s of settings) {
    const eq = s.cfg.indexOf('=');
    const name = s.cfg.slice(0, eq);
    if (eq < 1 || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) continue;
    const target = s.role ? `ROLE ${quoteIdent(s.role)} IN DATABASE ${quoteIdent(to)}` : `DATABASE ${quoteIdent(to)}`;
    await sql.query(`ALTER ${target} SET ${name} = ${settingValue(name, s.cfg.slice(eq + 1))}`);
  }
}

/**
 * Settings whose stored value is a list of quoted identifiers (GUC_LIST_QUOTE): the server
 * flattens `SET x = 'a', 'b'` into `a, b`, quoting elements as identifiers. pg_dump keeps the
 * same list (variable_is_guc_list_quote); every other setting is stored as its plain text.
 */
const LIST_QUOTE_SETTINGS = new Set([
  'local_preload_libraries',
  'oauth_validator_libraries',
  'search_path',
  'session_preload_libraries',
  'shared_preload_libraries',
  'temp_tablespaces',
  'unix_socket_directories',
]);

/**
 * A value from pg_db_role_setting as SQL for `ALTER ... SET name = <value>`, as pg_dump does it:
 * a list setting element by element (each a literal: Postgres re-quotes it as an identifier),
 * any other setting as one literal, commas and all. Literals are escaped by the driver
 * (`E'...'` when there is a backslash), right whatever standard_conforming_strings says.
 */
export function settingValue(name: string, raw: string): string {
  if (!LIST_QUOTE_SETTINGS.has(name.toLowerCase())) return quoteLiteral(raw);
  return splitSettingList(raw)
    .map((e) => quoteLiteral(e))
    .join(', ');
}

/** `"$user", public, "we,ird"` → [`$user`, `public`, `we,ird`] (Postgres's SplitGUCList). */
export function splitSettingList(raw: string): string[] {
  const out: string[] = [];
  const n = raw.length;
  let i = 0;
  while (i < n) {
    while (i < n && /\s/.test(raw[i]!)) i++;
    if (i >= n) break;
    let element = '';
    if (raw[i] === '"') {
      i++;
      while (i < n) {
        if (raw[i] === '"' && raw[i + 1] === '"') {
          element += '"';
          i += 2;
        } else if (raw[i] === '"') {
          i++;
          break;
        } else element += raw[i++];
      }
    } else {
      while (i < n && raw[i] !== ',') element += raw[i++];
      element = element.trimEnd();
    }
    out.push(element);
    while (i < n && raw[i] !== ',') i++;
    i++; // past the comma
  }
  return out;
}

export interface CopyOutcome {
  pause: PauseReport;
  /** Lock, pause and copy. */
  copyMs: number;
  /** Metadata, grants and the rename into place. */
  registerMs: number;
}

/**
 * Copies `parent` into a temporary database, registers `meta` on it, and hands it to `finish`
 * (which renames it into place). Until the rename, a crash leaves only a br__tmp_* database
 * that the next command removes, never a half-made branch. On failure the copy is dropped.
 */
async function copyToTemp(
  deps: BranchDeps,
  p: Awaited<ReturnType<typeof planCopy>>,
  meta: BranchMeta,
  finish: (temp: string) => Promise<void>,
): Promise<CopyOutcome> {
  const temp = `${TEMP_DB_PREFIX}${randomBytes(6).toString('hex')}`;
  if (!(await tryLock(deps.sql, tempLock(temp)))) throw new Error(`temporary name ${temp} is in use`);
  const started = performance.now();
  let created = false;
  try {
    const pause = await copyDatabase(deps, {
      parentName: p.parent,
      parentDb: p.parentDatabase,
      targetDb: temp,
      owner: p.owner,
      strategy: p.choice.strategy,
      serverVersionNum: p.serverVersionNum,
      plan: p.plan,
    });
    created = true;
    const copyMs = performance.now() - started;
    await deps.store.write(temp, meta);
    await copyDatabaseSettings(deps.sql, p.parentDatabase, temp, deps.appRole);
    await finish(temp);
    created = false;
    return { pause, copyMs, registerMs: performance.now() - started - copyMs };
  } catch (e) {
    if (created) {
      await dropDatabase(deps.sql, temp).catch((err: unknown) => deps.logger.warn({ database: temp, err: messageOf(err) }, 'could not drop a failed copy'));
      await deps.store.forget(temp).catch(() => {});
    }
    throw e;
  } finally {
    await unlock(deps.sql, tempLock(temp));
  }
}

async function renameDatabase(sql: Sql, from: string, to: string, branchName: string): Promise<void> {
  try {
    await sql.query(`ALTER DATABASE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`);
  } catch (e) {
    if (sqlState(e) === SQLSTATE.duplicateDatabase) {
      throw new UserError(`A database named '${to}' appeared while branch '${branchName}' was being made.`, { exitCode: ExitCode.conflict, hint: 'Another command created it meanwhile; pick another name.' });
    }
    throw serverError(`to rename ${from} to ${to}`, e);
  }
}

export interface CreateInput {
  name: string;
  from?: string;
  ttlMs?: number;
  protect?: boolean;
  strategy?: Strategy;
  /** Default true: pause the parent and end its sessions if needed. */
  disrupt?: boolean;
  /** Pause a protected parent too. */
  force?: boolean;
  /** Report the plan without doing anything. */
  explain?: boolean;
}

export interface CreateResult extends CopyPlan {
  branch: string;
  database: string;
  explain: boolean;
  created: boolean;
  createdAt: string;
  expiresAt: string | null;
  protected: boolean;
  durationMs: number;
  pause?: PauseReport;
  /** Where the time went: checks and planning, the copy (with the pause), registering the branch. */
  timings?: { prepareMs: number; copyMs: number; registerMs: number };
  /** Repairs of earlier interrupted operations done first. */
  repaired: string[];
}

export async function createBranch(deps: BranchDeps, input: CreateInput): Promise<CreateResult> {
  const started = performance.now();
  const name = validateBranchName(input.name);
  if (name === MAIN) throw new UserError("'main' is the name of the configured database and cannot be a branch.", { hint: 'Pick another name, e.g. feature-x.' });
  void deps.cloneSupport().catch(() => {}); // start probing now; planCopy awaits the same answer
  const repaired = input.explain ? [] : await repairLeftovers(deps);
  const stored = await deps.store.list();
  const parent = await resolveBranch(deps, validateBranchName(input.from ?? MAIN, 'parent name'), stored);
  const database = databaseFor(name, deps.mainDatabase);
  const clash = await deps.sql.query('select 1 from pg_database where datname = $1', [database]);
  if (clash.length > 0) {
    const isBranch = stored.some((s) => s.database === database && s.meta.kind === 'branch');
    throw new UserError(isBranch ? `The branch '${name}' already exists.` : `A database named '${database}' already exists and is not a baas branch.`, {
      exitCode: ExitCode.conflict,
      hint: isBranch ? `Use it, reset it (\`baas branch reset ${name}\`), or delete it first.` : 'Pick another branch name.',
    });
  }
  const plan = await planCopy(deps, parent, input);
  const now = deps.now();
  const meta: BranchMeta = {
    kind: 'branch',
    branch: name,
    parent: parent.name,
    createdAt: now.toISOString(),
    creator: deps.user,
    expiresAt: input.ttlMs ? new Date(now.getTime() + input.ttlMs).toISOString() : null,
    protected: Boolean(input.protect),
  };
  const base = {
    parent: plan.parent,
    parentDatabase: plan.parentDatabase,
    sizeBytes: plan.sizeBytes,
    choice: plan.choice,
    disruption: plan.disruption,
    branch: name,
    database,
    createdAt: meta.createdAt!,
    expiresAt: meta.expiresAt,
    protected: meta.protected,
    repaired,
  };
  if (input.explain) return { ...base, explain: true, created: false, durationMs: performance.now() - started };
  const prepareMs = performance.now() - started;
  // The log line at the end opens the log (and loads its library): do that while the server copies.
  const copying = copyToTemp(deps, plan, meta, (temp) => renameDatabase(deps.sql, temp, database, name));
  const outcome = await whileWaiting(copying, 40, () => deps.logger.debug({ branch: name, parent: parent.name, strategy: plan.choice.strategy }, 'copying'));
  const durationMs = performance.now() - started;
  deps.logger.info({ branch: name, parent: parent.name, strategy: plan.choice.strategy, sizeBytes: plan.sizeBytes, pauseMs: Math.round(outcome.pause.pauseMs), terminated: outcome.pause.terminated.length, durationMs: Math.round(durationMs) }, 'branch created');
  return { ...base, explain: false, created: true, durationMs, pause: outcome.pause, timings: { prepareMs, copyMs: outcome.copyMs, registerMs: outcome.registerMs } };
}

async function childrenOf(deps: BranchDeps, name: string, stored?: StoredBranch[]): Promise<string[]> {
  const all = stored ?? (await deps.store.list());
  return all.filter((s) => s.meta.kind === 'branch' && s.meta.parent === name).map((s) => s.meta.branch);
}

export interface ResetInput {
  name: string;
  strategy?: Strategy;
  disrupt?: boolean;
  force?: boolean;
}

export interface ResetResult extends CopyPlan {
  branch: string;
  database: string;
  durationMs: number;
  pause: PauseReport;
  /** Sessions on the branch itself that were ended when its old copy was dropped. */
  endedOnBranch: number;
  repaired: string[];
}

/** Re-creates a branch from its parent's current state, keeping its name and settings. */
export async function resetBranch(deps: BranchDeps, input: ResetInput): Promise<ResetResult> {
  const started = performance.now();
  if (input.name === MAIN) throw new UserError("'main' has no parent to be reset from.", { hint: 'Reset a branch: `baas branch reset <name>`.' });
  const repaired = await repairLeftovers(deps);
  const stored = await deps.store.list();
  const branch = await resolveBranch(deps, input.name, stored);
  const meta = branch.meta!;
  if (meta.protected) throw new UserError(`The branch '${branch.name}' is protected and cannot be reset.`, { exitCode: ExitCode.conflict, hint: `Run \`baas branch unprotect ${branch.name}\` first if you really mean it.` });
  const children = await childrenOf(deps, branch.name, stored);
  if (children.length > 0) {
    throw new UserError(`The branch '${branch.name}' has ${children.length} child branch(es) (${children.join(', ')}) and cannot be reset.`, {
      exitCode: ExitCode.conflict,
      hint: 'Delete the child branches first: they were copied from its current state.',
    });
  }
  if (!meta.parent) throw new UserError(`The branch '${branch.name}' does not record its parent.`, { exitCode: ExitCode.conflict });
  let parent: Branch;
  try {
    parent = await resolveBranch(deps, meta.parent, stored);
  } catch {
    throw new UserError(`The parent of '${branch.name}', '${meta.parent}', no longer exists.`, { exitCode: ExitCode.conflict, hint: 'Delete the branch and create it again from another parent.' });
  }
  const plan = await planCopy(deps, parent, input);
  const newMeta: BranchMeta = { ...meta, resetAt: deps.now().toISOString() };
  let endedOnBranch = 0;
  const outcome = await copyToTemp(deps, plan, newMeta, async (temp) => {
    endedOnBranch = (await sessionsOn(deps.sql, branch.database)).length;
    // From here a crash leaves the new copy, which the next command renames into place.
    await dropDatabase(deps.sql, branch.database);
    await renameDatabase(deps.sql, temp, branch.database, branch.name);
  });
  deps.logger.info({ branch: branch.name, parent: parent.name, strategy: plan.choice.strategy, durationMs: Math.round(performance.now() - started) }, 'branch reset');
  return {
    parent: plan.parent,
    parentDatabase: plan.parentDatabase,
    sizeBytes: plan.sizeBytes,
    choice: plan.choice,
    disruption: plan.disruption,
    branch: branch.name,
    database: branch.database,
    durationMs: performance.now() - started,
    pause: outcome.pause,
    endedOnBranch,
    repaired,
  };
}

export interface DeleteResult {
  branch: string;
  database: string;
  endedSessions: number;
}

export async function deleteBranch(deps: BranchDeps, input: { name: string; disrupt?: boolean }): Promise<DeleteResult> {
  if (input.name === MAIN) throw new UserError("'main' is the configured database, not a branch: it cannot be deleted.", { exitCode: ExitCode.usage, hint: 'Delete a branch: `baas branch delete <name>`.' });
  const stored = await deps.store.list();
  const branch = await resolveBranch(deps, input.name, stored);
  if (branch.meta?.protected) {
    throw new UserError(`The branch '${branch.name}' is protected and cannot be deleted.`, { exitCode: ExitCode.conflict, hint: `Run \`baas branch unprotect ${branch.name}\` first if you really mean it.` });
  }
  const children = await childrenOf(deps, branch.name, stored);
  if (children.length > 0) {
    throw new UserError(`The branch '${branch.name}' has child branch(es): ${children.join(', ')}.`, { exitCode: ExitCode.conflict, hint: 'Delete the child branches first.' });
  }
  const sessions = await sessionsOn(deps.sql, branch.database);
  if (input.disrupt === false && sessions.length > 0) {
    throw new UserError(`The branch '${branch.name}' is in use by ${sessions.length} session(s), and --no-disrupt was given.`, {
      exitCode: ExitCode.conflict,
      details: sessions.map((s) => `pid ${s.pid}: ${s.application} from ${s.client}`),
      hint: 'Close those sessions, or leave out --no-disrupt to end them.',
    });
  }
  try {
    await dropDatabase(deps.sql, branch.database);
  } catch (e) {
    throw serverError(`to drop ${branch.database}`, e);
  }
  await deps.store.forget(branch.database);
  deps.logger.info({ branch: branch.name, endedSessions: sessions.length }, 'branch deleted');
  return { branch: branch.name, database: branch.database, endedSessions: sessions.length };
}

export interface RenameResult {
  from: string;
  to: string;
  database: string;
  endedSessions: number;
  children: string[];
}

export async function renameBranch(deps: BranchDeps, input: { from: string; to: string; disrupt?: boolean }): Promise<RenameResult> {
  if (input.from === MAIN || input.to === MAIN) throw new UserError("'main' cannot be renamed, and no branch can be renamed to 'main'.", { hint: 'main follows services.postgres.database in the configuration.' });
  const to = validateBranchName(input.to, 'new branch name');
  const stored = await deps.store.list();
  const branch = await resolveBranch(deps, input.from, stored);
  const target = databaseFor(to, deps.mainDatabase);
  if ((await deps.sql.query('select 1 from pg_database where datname = $1', [target])).length > 0) {
    throw new UserError(`A database named '${target}' already exists.`, { exitCode: ExitCode.conflict, hint: 'Pick another name.' });
  }
  const sessions = await sessionsOn(deps.sql, branch.database);
  if (sessions.length > 0 && input.disrupt === false) {
    throw new UserError(`The branch '${branch.name}' is in use by ${sessions.length} session(s), and --no-disrupt was given.`, {
      exitCode: ExitCode.conflict,
      details: sessions.map((s) => `pid ${s.pid}: ${s.application} from ${s.client}`),
      hint: 'Postgres renames only databases nobody is connected to: close them, or leave out --no-disrupt to end them.',
    });
  }
  await lock(deps.sql, copyLock(branch.database), 30_000);
  await deps.sql.query(`ALTER DATABASE ${quoteIdent(branch.database)} ALLOW_CONNECTIONS false`);
  try {
    await deps.sql.query('select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [branch.database]);
    await renameDatabase(deps.sql, branch.database, target, to);
  } finally {
    const current = (await deps.sql.query('select 1 from pg_database where datname = $1', [target])).length > 0 ? target : branch.database;
    await deps.sql.query(`ALTER DATABASE ${quoteIdent(current)} ALLOW_CONNECTIONS true`);
    await unlock(deps.sql, copyLock(branch.database));
  }
  await deps.store.write(target, { ...branch.meta!, branch: to });
  const children = stored.filter((s) => s.meta.kind === 'branch' && s.meta.parent === branch.name);
  for (const c of children) await deps.store.write(c.database, { ...c.meta, parent: to });
  return { from: branch.name, to, database: target, endedSessions: sessions.length, children: children.map((c) => c.meta.branch) };
}

export async function setProtected(deps: BranchDeps, name: string, value: boolean): Promise<{ branch: string; protected: boolean; changed: boolean }> {
  const branch = await resolveBranch(deps, name);
  if (branch.name === MAIN && !branch.meta) {
    const raw = await deps.sql.query<{ c: string | null }>("select shobj_description(oid, 'pg_database') as c from pg_database where datname = $1", [branch.database]);
    if (raw[0]?.c) {
      throw new UserError(`The main database '${branch.database}' has its own comment, where baas would keep the protection flag.`, { exitCode: ExitCode.conflict, hint: 'Remove the comment (COMMENT ON DATABASE … IS NULL) to let baas protect main.' });
    }
  }
  const meta: BranchMeta = branch.meta ?? { kind: 'main', branch: MAIN, parent: null, createdAt: null, creator: null, expiresAt: null, protected: false };
  const changed = meta.protected !== value;
  if (changed) await deps.store.write(branch.database, { ...meta, protected: value });
  return { branch: branch.name, protected: value, changed };
}

export interface GcResult {
  deleted: { branch: string; expiredAt: string }[];
  skipped: { branch: string; reason: string }[];
  repaired: string[];
  dryRun: boolean;
}

/** Deletes expired branches (children before parents); protected ones and parents of live branches are kept. */
export async function gcBranches(deps: BranchDeps, opts: { dryRun?: boolean } = {}): Promise<GcResult> {
  const repaired = opts.dryRun ? [] : await repairLeftovers(deps);
  const now = deps.now();
  const stored = (await deps.store.list()).filter((s) => s.meta.kind === 'branch');
  const expired = new Set(stored.filter((s) => isExpired(s.meta, now)).map((s) => s.meta.branch));
  const deleted: GcResult['deleted'] = [];
  const skipped: GcResult['skipped'] = [];
  const gone = new Set<string>();
  // Repeat so a chain of expired branches goes leaf first.
  for (let progress = true; progress; ) {
    progress = false;
    for (const s of stored) {
      const name = s.meta.branch;
      if (!expired.has(name) || gone.has(name)) continue;
      if (s.meta.protected) continue;
      const liveChildren = stored.filter((c) => c.meta.parent === name && !gone.has(c.meta.branch));
      if (liveChildren.length > 0) continue;
      if (!opts.dryRun) await deleteBranch(deps, { name });
      gone.add(name);
      deleted.push({ branch: name, expiredAt: s.meta.expiresAt! });
      progress = true;
    }
  }
  for (const s of stored) {
    const name = s.meta.branch;
    if (!expired.has(name) || gone.has(name)) continue;
    const kids = stored.filter((c) => c.meta.parent === name && !gone.has(c.meta.branch)).map((c) => c.meta.branch);
    skipped.push({ branch: name, reason: s.meta.protected ? 'protected' : `has live child branch(es): ${kids.join(', ')}` });
  }
  return { deleted, skipped, repaired, dryRun: Boolean(opts.dryRun) };
}
