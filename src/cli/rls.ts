import type { Command } from 'commander';
import { UnhealthyError, UserError } from '../errors.js';
import type { App } from './app.js';
import { json, table } from './format.js';
import { DATABASE_URL_HELP, withAdmin, type DbOpts } from './migrate.js';

const MODES = ['audit', 'enforce'] as const;

export function registerRls(program: Command, app: App): void {
  const io = app.io;
  const rls = program
    .command('rls')
    .description('multi-tenant row-level security: enable per table, show status, prove isolation')
    .addHelpText('after', `
Examples:
  $ baas rls enable notes                        enforce tenant isolation on public.notes (column org_id)
  $ baas rls enable 'public."Weird Name"' --column tenant_id --mode audit
  $ baas rls check                                static checks + live probe as the app role (exit 6 on a gap)
In a migration: select baas_platform.enable_tenant_rls('public.notes', 'org_id', 'enforce');`);

  const schemasOf = async (opts: { schema?: string[] }): Promise<string[]> => (opts.schema?.length ? opts.schema : (await app.config()).config.migrations.schemas);
  const withDb = (cmd: Command): Command =>
    cmd.option('--database-url <url>', DATABASE_URL_HELP).option('--schema <schemas...>', 'app schemas to look in (default: config migrations.schemas)').option('--json', 'print as JSON');

  withDb(rls.command('enable'))
    .description('enable tenant RLS on a table: policies for every command on the tenant column, FORCE, and an index')
    .argument('<table>', 'table or schema.table; quote odd names: \'"Weird Name"\'')
    .option('--column <column>', 'the tenant column (uuid)', 'org_id')
    .option('--mode <mode>', 'enforce (isolate) or audit (RLS on, permissive policies: nothing changes yet)', 'enforce')
    .option('--grant', 'also give the application role (services.postgres.user) USAGE on the schema and SELECT/INSERT/UPDATE/DELETE on the table')
    .addHelpText('after', "\nExamples:\n  $ baas rls enable notes\n  $ baas rls enable billing.invoices --column tenant_id --mode audit\n  $ baas rls enable billing.invoices --grant      outside public, the app role needs the grants too")
    .action(async (input: string, opts: DbOpts & { column: string; mode: string; schema?: string[]; grant?: boolean }) => {
      if (!(MODES as readonly string[]).includes(opts.mode)) throw new UserError(`--mode must be audit or enforce, not '${opts.mode}'.`, { hint: 'Start with --mode audit during a roll-out, then enforce.' });
      const schemas = await schemasOf(opts);
      const role = (await app.config()).config.services.postgres.user;
      const { resolveTable, enableTenantRls } = await import('../rls/catalog.js');
      const { grantAppAccess } = await import('../rls/access.js');
      const r = await withAdmin(app, opts, async (c) => {
        const t = await resolveTable(c, input, schemas);
        const result = await enableTenantRls(c, t, opts.column, opts.mode as 'audit' | 'enforce');
        return { result, grants: opts.grant ? await grantAppAccess(c, t, role) : [] };
      });
      if (opts.json) return io.stdout(json(r));
      io.stdout(`${r.result}\n`);
      for (const g of r.grants) io.stdout(`${g}\n`);
    });

  withDb(rls.command('disable'))
    .description('drop the baas tenant policies and turn RLS off on a table')
    .argument('<table>', 'table or schema.table')
    .addHelpText('after', '\nExamples:\n  $ baas rls disable notes')
    .action(async (input: string, opts: DbOpts & { schema?: string[] }) => {
      const schemas = await schemasOf(opts);
      const { resolveTable, disableTenantRls } = await import('../rls/catalog.js');
      const msg = await withAdmin(app, opts, async (c) => disableTenantRls(c, await resolveTable(c, input, schemas)));
      if (opts.json) return io.stdout(json({ result: msg }));
      io.stdout(`${msg}\n`);
    });

  withDb(rls.command('exempt'))
    .description('record that a table is shared by every organisation on purpose (rls check accepts it)')
    .argument('<table>', 'table or schema.table')
    .requiredOption('--reason <text>', 'why the table has no tenant column')
    .addHelpText('after', "\nExamples:\n  $ baas rls exempt countries --reason 'reference data shared by all organisations'")
    .action(async (input: string, opts: DbOpts & { reason: string; schema?: string[] }) => {
      const schemas = await schemasOf(opts);
      const { resolveTable, exemptTable } = await import('../rls/catalog.js');
      const msg = await withAdmin(app, opts, async (c) => exemptTable(c, await resolveTable(c, input, schemas), opts.reason));
      if (opts.json) return io.stdout(json({ result: msg }));
      io.stdout(`${msg}\n`);
    });

  withDb(rls.command('status'))
    .description('which tables are in enforce, audit, custom, off or exempt mode')
    .addHelpText('after', '\nExamples:\n  $ baas rls status\n  $ baas rls status --json')
    .action(async (opts: DbOpts & { schema?: string[] }) => {
      const schemas = await schemasOf(opts);
      const { rlsStatus } = await import('../rls/check.js');
      const rows = await withAdmin(app, opts, (c) => rlsStatus(c, schemas));
      if (opts.json) return io.stdout(json({ schemas, tables: rows }));
      if (rows.length === 0) return io.stdout(`No tables in schema(s) ${schemas.join(', ')}, and no table with RLS elsewhere.\n`);
      io.stdout(table(['TABLE', 'MODE', 'TENANT COLUMN', 'FORCED', 'POLICIES', 'INDEXED', 'NOTE'], rows.map((r) => [r.table, r.mode, r.tenantColumn ?? '-', r.forced ? 'yes' : 'no', r.policies, r.indexed ? 'yes' : 'no', r.note])));
    });

  withDb(rls.command('check'))
    .description('prove tenant isolation: catalog checks, then a live probe as the application role in a rolled-back transaction')
    .option('--app-role <role>', 'the role apps connect as (default: config services.postgres.user)')
    .option('--no-probe', 'catalog checks only')
    .addHelpText('after', `
Examples:
  $ baas rls check
  $ baas rls check --json | jq .gaps
For every table: RLS enabled and forced, a policy for select/insert/update/delete, tenant column
indexed; then, as the app role with org A active, org B's rows must be invisible and
insert/update/delete of them must fail, and with no org active nothing is visible.
Exit code 6 on any gap (a table with no tenant column needs \`baas rls exempt\`).`)
    .action(async (opts: DbOpts & { appRole?: string; probe: boolean; schema?: string[] }) => {
      const schemas = await schemasOf(opts);
      const appRole = opts.appRole ?? (await app.config()).config.services.postgres.user;
      const { checkRls } = await import('../rls/check.js');
      const r = await withAdmin(app, opts, (c) => checkRls(c, { schemas, appRole, probe: opts.probe }));
      if (opts.json) io.stdout(json(r));
      else {
        io.stdout(
          table(
            ['TABLE', 'MODE', 'CHECKS', 'RESULT'],
            r.tables.map((t) => [t.table, t.mode, `${t.checks.filter((c) => c.ok).length}/${t.checks.length}`, t.ok ? 'ok' : `GAP: ${t.checks.filter((c) => !c.ok).map((c) => c.check).join(', ')}`]),
          ),
        );
        if (r.gaps.length) {
          io.stdout('\nGaps:\n');
          for (const g of r.gaps) io.stdout(`  ${g.table ?? '(database)'}: ${g.problem}\n`);
          if (r.grants.length) {
            io.stdout(`\nThe application role ${r.appRole} lacks access; as the admin, run:\n${r.grants.map((g) => `  ${g}\n`).join('')}(or \`baas rls enable <table> --grant\` per table), then \`baas rls check\` again.\n`);
          }
        } else io.stdout(`\n${r.tables.length} table(s) checked as role ${r.appRole}${r.probed ? ' with a live probe' : ''}: isolation holds.\n`);
      }
      if (!r.ok) {
        const tables = [...new Set(r.gaps.map((g) => g.table ?? '(database)'))];
        throw new UnhealthyError(`Tenant isolation has ${r.gaps.length} gap(s) in: ${tables.join(', ')}.`, {
          hint: r.grants.length
            ? `Give the application role access first (${r.grants.join(' ')}), then run \`baas rls check\` again.`
            : 'Fix each gap listed above (`baas rls enable <table>` or `baas rls exempt <table> --reason ...`), then run `baas rls check` again.',
        });
      }
    });
}
