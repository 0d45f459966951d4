import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { UnhealthyError, UserError } from '../errors.js';
import type { App } from './app.js';
import { parseDuration } from '../format.js';
import { json, ms, table } from './format.js';

export interface DbOpts {
  databaseUrl?: string;
  json?: boolean;
}

export const DATABASE_URL_HELP = 'admin (superuser) URL of any Postgres; default: env DATABASE_ADMIN_URL, or the file named by DATABASE_ADMIN_URL_FILE, else the running stack';

/** A password on the command line is visible to every user (ps) and kept in shell history: say so. */
export function warnPasswordInUrl(app: App, url: string | undefined): void {
  if (!url) return;
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return;
  }
  if (password) {
    app.io.stderr('warning: --database-url carries a password, which other users can read in `ps` and your shell keeps in its history; set DATABASE_ADMIN_URL or DATABASE_ADMIN_URL_FILE (a 0600 file) instead.\n');
  }
}

/** The admin URL from the environment: DATABASE_ADMIN_URL, else the file DATABASE_ADMIN_URL_FILE names. */
export async function adminUrlFromEnv(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const direct = env['DATABASE_ADMIN_URL'];
  if (direct) return direct;
  const file = env['DATABASE_ADMIN_URL_FILE'];
  if (!file) return undefined;
  const { readFile } = await import('node:fs/promises');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    throw new UserError(`DATABASE_ADMIN_URL_FILE names ${file}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, { hint: 'Point it at a readable file holding one postgres:// URL.' });
  }
}

/** The admin URL: --database-url, then env DATABASE_ADMIN_URL(_FILE), then the running stack's connection info. */
export async function adminUrl(app: App, opts: DbOpts): Promise<string> {
  if (opts.databaseUrl) {
    warnPasswordInUrl(app, opts.databaseUrl);
    return opts.databaseUrl;
  }
  const fromEnv = await adminUrlFromEnv(app.io.env);
  if (fromEnv) return fromEnv;
  const loaded = await app.config();
  if (!loaded.config.services.postgres.enabled) {
    throw new UserError('Postgres is disabled in the configuration.', { hint: 'Enable services.postgres, or pass --database-url for another server.' });
  }
  const { connectionInfo } = await import('../stack/connection.js');
  const infos = await connectionInfo({ runtime: await app.runtime(), logger: await app.logger(), env: app.io.env }, loaded, await app.stateDir());
  const url = infos.find((i) => i.service === 'postgres')?.env['DATABASE_ADMIN_URL'];
  if (!url) throw new UserError('The stack has no Postgres connection settings.', { hint: 'Run `baas up`, or pass --database-url.' });
  return url;
}

export async function withAdmin<T>(app: App, opts: DbOpts, fn: (c: import('../pg/sql.js').Sql) => Promise<T>): Promise<T> {
  const url = await adminUrl(app, opts);
  const { withPg } = await import('../pg/client.js');
  return withPg(url, fn, { applicationName: 'baas' });
}

/** Who applied a migration, for the tracking table: OS user and host (the server adds its role). */
function whoAmI(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return `${user}@${os.hostname()}`;
}

const parseSeconds = (flag: string) => (v: string): number => {
  const n = parseDuration(v, { defaultUnit: 's', units: ['s', 'm'] });
  if (n === undefined) throw new UserError(`${flag} must be a number of seconds, not '${v}'.`, { hint: `For example ${flag} 30.` });
  return n;
};

async function target(app: App, opts: DbOpts) {
  const loaded = await app.config();
  return {
    url: await adminUrl(app, opts),
    appRole: loaded.config.services.postgres.user,
    tenantClaims: loaded.config.security.tenantClaims,
    appDir: path.resolve(loaded.dir, loaded.config.migrations.dir),
  };
}

export function registerMigrate(program: Command, app: App): void {
  const io = app.io;
  const migrate = program
    .command('migrate')
    .description("apply the platform schema and your SQL migrations (numbered files in migrations.dir)")
    .addHelpText('after', `
Examples:
  $ baas migrate new add_notes        creates db/migrations/0001_add_notes.sql from a template
  $ baas migrate up                   applies platform migrations, then yours, each in a transaction
  $ baas migrate status               applied, pending, changed, missing
Exit codes: 2 bad input (duplicate version), 5 history conflict (changed or missing file),
6 verify found a problem, 7 a migration failed or the database refused, 8 lock timeout.`);

  const withDb = (cmd: Command): Command => cmd.option('--database-url <url>', DATABASE_URL_HELP).option('--json', 'print as JSON');

  withDb(migrate.command('up'))
    .description('apply pending migrations (platform first, then the app), each in its own transaction')
    .option('--dry-run', 'print the SQL that would run, change nothing')
    .option('--allow-out-of-order', 'apply a pending migration numbered below one already applied (merged late) instead of refusing')
    .option('--lock-timeout <seconds>', 'how long to wait for another run holding the migration lock', '60')
    .addHelpText('after', `
Examples:
  $ baas migrate up
  $ baas migrate up --dry-run
  $ DATABASE_ADMIN_URL=postgres://postgres:...@db:5432/app baas migrate up --lock-timeout 10
  $ baas migrate up --allow-out-of-order     apply 0002 although 0003 already ran (merged late)
A file whose first comment lines contain \`-- baas:no-transaction\` runs statement by statement
(for CREATE INDEX CONCURRENTLY).`)
    .action(async (opts: DbOpts & { dryRun?: boolean; lockTimeout: string; allowOutOfOrder?: boolean }) => {
      const lockTimeoutMs = parseSeconds('--lock-timeout')(opts.lockTimeout);
      const t = await target(app, opts);
      const { migrateUp } = await import('../migrate/run.js');
      const r = await migrateUp({ logger: await app.logger() }, t, {
        dryRun: Boolean(opts.dryRun),
        allowOutOfOrder: Boolean(opts.allowOutOfOrder),
        lockTimeoutMs,
        appliedBy: whoAmI(),
        onEvent: (e) => {
          if (e.type === 'lock-wait') io.stderr(`Another migration run holds the lock${e.holderPid ? ` (server pid ${e.holderPid})` : ''}; waiting up to ${ms(lockTimeoutMs)}...\n`);
          if (opts.json) return;
          if (e.type === 'lock-acquired') io.stderr(`Lock acquired after ${ms(e.waitedMs)}.\n`);
          if (e.type === 'applied') io.stdout(`applied ${e.migration.source.padEnd(8)} ${e.migration.version}_${e.migration.name} (${ms(e.durationMs)})\n`);
        },
      });
      if (!r.dryRun && r.applied.length > 0) {
        // The platform schema may have created the branch registry: branch commands look again.
        const { forgetRegistryAbsence } = await import('../branch/registry-gate.js');
        forgetRegistryAbsence(await app.stateDir());
      }
      for (const f of r.ignored) io.stderr(`warning: ${f} is not named NNNN_name.sql and was ignored.\n`);
      if (opts.json) return io.stdout(json(r));
      if (r.dryRun) {
        if (r.pending.length === 0) return io.stdout('Nothing to apply: the database is up to date.\n');
        for (const p of r.pending) {
          io.stdout(`-- ${p.source} ${p.version}_${p.name} (${p.file})${p.noTransaction ? ' [no transaction]' : ''}\n${p.noTransaction ? '' : 'BEGIN;\n'}${p.sql.trimEnd()}\n${p.noTransaction ? '' : 'COMMIT;\n'}\n`);
        }
        return io.stdout(`-- dry run: ${r.pending.length} migration(s) would be applied; nothing was changed.\n`);
      }
      io.stdout(r.applied.length === 0 ? 'Nothing to apply: the database is up to date.\n' : `Applied ${r.applied.length} migration(s) in ${ms(r.durationMs)}.\n`);
    });

  withDb(migrate.command('status'))
    .description('list migrations: applied, pending, changed (file edited after it was applied), missing (file gone)')
    .addHelpText('after', '\nExamples:\n  $ baas migrate status\n  $ baas migrate status --json | jq \'.migrations[] | select(.state != "applied")\'')
    .action(async (opts: DbOpts) => {
      const { migrateStatus } = await import('../migrate/run.js');
      const r = await migrateStatus({}, await target(app, opts));
      if (opts.json) return io.stdout(json(r));
      const state = (m: (typeof r.migrations)[number]): string => (m.outOfOrderAfter ? `pending (out of order: ${m.outOfOrderAfter} already applied)` : m.state);
      io.stdout(table(['SOURCE', 'VERSION', 'NAME', 'STATE', 'APPLIED AT', 'BY'], r.migrations.map((m) => [m.source, m.version, m.name, state(m), m.appliedAt ?? '', m.appliedBy ?? ''])));
      io.stdout(`\n${r.counts.applied} applied, ${r.counts.pending} pending, ${r.counts.changed} changed, ${r.counts.missing} missing.\n`);
      for (const f of r.ignored) io.stderr(`warning: ${f} is not named NNNN_name.sql and is ignored.\n`);
    });

  withDb(migrate.command('verify'))
    .description('compare the checksums of applied migrations with the files (exit 6 on any difference)')
    .addHelpText('after', '\nExamples:\n  $ baas migrate verify            in CI, before deploying')
    .action(async (opts: DbOpts) => {
      const { migrateVerify } = await import('../migrate/run.js');
      const r = await migrateVerify({}, await target(app, opts));
      if (opts.json) io.stdout(json(r));
      else if (r.ok) io.stdout(`All ${r.checked} applied migration(s) match their files.\n`);
      else io.stdout(table(['SOURCE', 'VERSION', 'NAME', 'PROBLEM'], r.problems.map((p) => [p.source, p.version, p.name, p.state === 'changed' ? 'file changed after it was applied' : 'file missing'])));
      if (!r.ok) throw new UnhealthyError(`${r.problems.length} applied migration(s) differ from the files.`, { hint: 'Restore the files, or accept a change deliberately with `baas migrate repair <version>`.' });
    });

  withDb(migrate.command('repair'))
    .description('accept an edited applied migration (store its new checksum), or forget one whose file is gone')
    .argument('<version>', 'the number at the start of the file name, e.g. 0003')
    .option('--platform', 'repair a platform migration instead of an app one')
    .addHelpText('after', '\nExamples:\n  $ baas migrate repair 0003       after a deliberate edit of 0003_*.sql (e.g. a comment fix)')
    .action(async (version: string, opts: DbOpts & { platform?: boolean }) => {
      const { migrateRepair } = await import('../migrate/run.js');
      const r = await migrateRepair({}, await target(app, opts), { version, source: opts.platform ? 'platform' : 'app' });
      if (opts.json) return io.stdout(json(r));
      const what = { 'checksum-updated': 'recorded the file\'s new checksum', 'record-removed': 'removed the record (its file is gone)', 'nothing-to-do': 'nothing to repair: the file matches' }[r.action];
      io.stdout(`${r.source} ${r.version}_${r.name}: ${what}.\n`);
    });

  migrate
    .command('new')
    .description('create the next numbered migration file from the template')
    .argument('<name>', 'what the migration does, e.g. add_notes')
    .option('--json', 'print as JSON')
    .addHelpText('after', `
Examples:
  $ baas migrate new add_notes     → db/migrations/0001_add_notes.sql on a fresh project, then 0002_…
App migrations are numbered on their own, after the highest file in migrations.dir: the platform's
migrations (baas_platform) are tracked apart (SOURCE platform in \`baas migrate status\`) and always
run first. The new file holds an example tenant table (named after the migration) and the
enable_tenant_rls call: adapt it before \`baas migrate up\`.`)
    .action(async (name: string, opts: { json?: boolean }) => {
      const loaded = await app.config();
      const { newMigration } = await import('../migrate/new.js');
      const r = newMigration(path.resolve(loaded.dir, loaded.config.migrations.dir), name);
      if (opts.json) return io.stdout(json(r));
      io.stdout(`Created ${path.relative(io.cwd, r.file) || r.file}: an example tenant table '${r.exampleTable}' with RLS; edit it, then \`baas migrate up\`.\n`);
    });
}
