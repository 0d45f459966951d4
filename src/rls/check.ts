import type { Sql } from '../pg/sql.js';
import { accessGaps, describeGap, grantStatements, type AccessGap } from './access.js';
import { listTables, platformInstalled, type RlsMode, type TableInfo } from './catalog.js';
import { probeTable, type ProbeCheck } from './probe.js';

export interface TableCheck {
  check: string;
  ok: boolean;
  detail: string;
}

export interface TableReport {
  table: string;
  schema: string;
  name: string;
  mode: RlsMode;
  tenantColumn: string | null;
  exemptReason: string | null;
  checks: TableCheck[];
  ok: boolean;
}

export interface Gap {
  table: string | null;
  problem: string;
}

export interface RlsCheckResult {
  ok: boolean;
  appRole: string;
  schemas: string[];
  probed: boolean;
  tables: TableReport[];
  gaps: Gap[];
  /** GRANTs that give the application role the access it lacks on checked tables (empty when it has it). */
  grants: string[];
}

const COMMANDS = ['select', 'insert', 'update', 'delete'] as const;

/** Pure: what the catalog says about one table, before any live probe. */
export function staticChecks(t: TableInfo, appRole: string): TableCheck[] {
  const checks: TableCheck[] = [];
  if (t.exemptReason) return [{ check: 'exempt', ok: true, detail: `exempt: ${t.exemptReason}` }];
  if (!t.tenantColumn) {
    return [{ check: 'tenant column', ok: false, detail: 'no tenant column (org_id) and no exemption: `baas rls enable <table> --column <col>` or `baas rls exempt <table> --reason ...`' }];
  }
  checks.push({ check: 'tenant column', ok: t.tenantColumnType === 'uuid', detail: `${t.tenantColumn} (${t.tenantColumnType})${t.tenantColumnType === 'uuid' ? '' : ': must be uuid'}` });
  checks.push({ check: 'rls enabled', ok: t.rlsEnabled, detail: t.rlsEnabled ? 'enabled' : 'row-level security is off' });
  checks.push({ check: 'rls forced', ok: t.rlsForced, detail: t.rlsForced ? 'forced (applies to the owner too)' : 'not forced: the table owner bypasses the policies' });
  const missing = COMMANDS.filter((cmd) => !t.policies.some((p) => p.permissive && (p.command === cmd || p.command === 'all')));
  checks.push({ check: 'policies', ok: missing.length === 0, detail: missing.length === 0 ? `${t.policies.length} policy(ies) cover select/insert/update/delete` : `no policy for ${missing.join(', ')}` });
  const openAll = t.policies.filter((p) => p.permissive && (p.using === 'true' || (p.using === null && p.withCheck === 'true')));
  if (t.mode === 'audit' || openAll.length > 0) {
    checks.push({ check: 'enforced', ok: false, detail: `policies let every row through${t.mode === 'audit' ? ' (audit mode): `baas rls enable <table> --mode enforce`' : `: ${openAll.map((p) => p.name).join(', ')}`}` });
  }
  checks.push({ check: 'tenant index', ok: t.tenantColumnIndexed, detail: t.tenantColumnIndexed ? `${t.tenantColumn} leads an index` : `no index starts with ${t.tenantColumn}: every policy check scans` });
  if (t.owner === appRole) checks.push({ check: 'owner', ok: false, detail: `owned by the application role ${appRole}, which can turn RLS off` });
  return checks;
}

export interface CheckOptions {
  schemas: string[];
  appRole: string;
  /** Run the live probe (default true). */
  probe?: boolean;
}

/** Static catalog checks for every table of the app schemas, then a live probe as the application role. */
export async function checkRls(c: Sql, options: CheckOptions): Promise<RlsCheckResult> {
  const gaps: Gap[] = [];
  const installed = await platformInstalled(c);
  if (!installed) gaps.push({ table: null, problem: 'the baas platform schema is not installed (run `baas migrate up`)' });
  const role = await c.query<{ super: boolean; bypass: boolean }>('select rolsuper as super, rolbypassrls as bypass from pg_roles where rolname = $1', [options.appRole]);
  const r = role[0];
  if (!r) gaps.push({ table: null, problem: `the application role ${options.appRole} does not exist` });
  else if (r.super || r.bypass) gaps.push({ table: null, problem: `the application role ${options.appRole} is ${r.super ? 'a superuser' : 'BYPASSRLS'}: policies never apply to it` });
  const canProbe = (options.probe ?? true) && installed && Boolean(r);

  const tables = await listTables(c, options.schemas);
  const probeable = tables.filter((t) => !t.exemptReason && t.tenantColumn && t.tenantColumnType === 'uuid');
  const access: AccessGap[] = r ? await accessGaps(c, probeable, options.appRole) : [];
  const reports: TableReport[] = [];
  for (const t of tables) {
    const checks: TableCheck[] = staticChecks(t, options.appRole);
    const noAccess = access.find((g) => g.oid === t.oid);
    if (noAccess) checks.push({ check: 'app access', ok: false, detail: describeGap(noAccess, options.appRole) });
    else if (canProbe && probeable.includes(t) && t.tenantColumn) {
      const probe = await probeTable(c, t, t.tenantColumn, options.appRole);
      if (probe.skipped) checks.push({ check: 'live probe', ok: false, detail: probe.skipped });
      checks.push(...probe.checks.map((p: ProbeCheck) => ({ check: `probe ${p.check}`, ok: p.ok, detail: p.detail })));
    }
    const ok = checks.every((x) => x.ok);
    for (const x of checks.filter((k) => !k.ok)) gaps.push({ table: t.display, problem: `${x.check}: ${x.detail}` });
    reports.push({ table: t.display, schema: t.schema, name: t.name, mode: t.mode, tenantColumn: t.tenantColumn, exemptReason: t.exemptReason, checks, ok });
  }
  return { ok: gaps.length === 0, appRole: options.appRole, schemas: options.schemas, probed: canProbe, tables: reports, gaps, grants: grantStatements(access, options.appRole) };
}

export interface RlsStatusRow {
  table: string;
  mode: RlsMode;
  tenantColumn: string | null;
  forced: boolean;
  policies: number;
  indexed: boolean;
  note: string;
}

/**
 * Every table of the configured schemas, plus every table elsewhere that has RLS on, is
 * registered for tenant RLS or is exempt (a `rls enable billing.invoices` must show up even when
 * billing is not in migrations.schemas).
 */
export async function rlsStatus(c: Sql, schemas: string[]): Promise<RlsStatusRow[]> {
  const platform = await platformInstalled(c);
  const others = await c.query<{ schema: string }>(
    `select distinct n.nspname as schema from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and c.relrowsecurity and n.nspname not in ('pg_catalog', 'information_schema', 'baas_platform')
     ${platform ? 'union select schema_name from baas_platform.tenant_tables union select schema_name from baas_platform.rls_exemptions' : ''}`,
  );
  const extra = others.map((x) => x.schema).filter((x) => !schemas.includes(x));
  const tables = (await listTables(c, [...schemas, ...extra])).filter((t) => schemas.includes(t.schema) || t.mode !== 'off');
  return tables.map((t) => ({
    table: t.display,
    mode: t.mode,
    tenantColumn: t.tenantColumn,
    forced: t.rlsForced,
    policies: t.policies.length,
    indexed: t.tenantColumnIndexed,
    note: t.exemptReason ?? (t.mode === 'custom' ? `policies: ${t.policies.map((p) => p.name).join(', ') || 'none'}` : ''),
  }));
}
