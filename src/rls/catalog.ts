import { ExitCode, ExternalError, UserError, messageOf } from '../errors.js';
import { isPgError, type Sql } from '../pg/sql.js';
import { displayName, parseTableName } from './names.js';

export interface ResolvedTable {
  oid: number;
  schema: string;
  name: string;
}

export type RlsMode = 'enforce' | 'audit' | 'custom' | 'off' | 'exempt';

export interface PolicyInfo {
  name: string;
  /** select | insert | update | delete | all */
  command: string;
  permissive: boolean;
  using: string | null;
  withCheck: string | null;
}

export interface TableInfo extends ResolvedTable {
  display: string;
  rlsEnabled: boolean;
  rlsForced: boolean;
  owner: string;
  /** From the registry, or `org_id` when such a column exists. */
  tenantColumn: string | null;
  tenantColumnType: string | null;
  registeredMode: 'audit' | 'enforce' | null;
  exemptReason: string | null;
  tenantColumnIndexed: boolean;
  policies: PolicyInfo[];
  mode: RlsMode;
}

const CMD: Record<string, string> = { r: 'select', a: 'insert', w: 'update', d: 'delete', '*': 'all' };

/** Whether the platform schema (tenant registry and helpers) is installed. */
export async function platformInstalled(c: Sql): Promise<boolean> {
  const r = await c.query<{ ok: boolean }>("select to_regproc('baas_platform.enable_tenant_rls') is not null and to_regclass('baas_platform.tenant_tables') is not null as ok");
  return Boolean(r[0]?.ok);
}

export async function requirePlatform(c: Sql): Promise<void> {
  if (!(await platformInstalled(c))) {
    throw new UserError('The baas platform schema is not installed in this database.', { exitCode: ExitCode.conflict, hint: 'Run `baas migrate up` first.' });
  }
}

/** Finds a table named on the command line; the name is parsed, never pasted into SQL. */
export async function resolveTable(c: Sql, input: string, schemas: string[]): Promise<ResolvedTable> {
  const t = parseTableName(input);
  const searchIn = t.schema ? [t.schema] : schemas;
  const r = await c.query<{ oid: number; schema: string; name: string }>(
    `select c.oid::int as oid, n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and c.relname = $1 and n.nspname = any($2::text[])`,
    [t.name, searchIn],
  );
  if (r.length === 1) return r[0]!;
  if (r.length > 1) {
    throw new UserError(`'${input}' matches ${r.length} tables: ${r.map((x) => displayName(x)).join(', ')}.`, { hint: 'Name the schema too, e.g. schema.table.' });
  }
  const similar = await c.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and lower(c.relname) = lower($1) and n.nspname = any($2::text[]) limit 3`,
    [t.name, searchIn],
  );
  const hint = similar.length
    ? `Did you mean ${similar.map((x) => displayName(x)).join(' or ')}? Names with capitals or spaces need double quotes.`
    : '`baas rls status` lists the tables it can see.';
  throw new UserError(`Table ${displayName({ schema: searchIn.length === 1 ? searchIn[0]! : searchIn.join('|'), name: t.name })} does not exist.`, { hint });
}

/** Every ordinary or partitioned table of the given schemas, with what RLS needs to know. */
export async function listTables(c: Sql, schemas: string[]): Promise<TableInfo[]> {
  const platform = await platformInstalled(c);
  const r = await c.query<{
    oid: number; schema: string; name: string; rls: boolean; forced: boolean; owner: string;
    reg_column: string | null; reg_mode: 'audit' | 'enforce' | null; exempt: string | null;
  }>(
    `select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
            pg_get_userbyid(c.relowner) as owner,
            ${platform ? 't.tenant_column' : 'null::text'} as reg_column, ${platform ? 't.mode' : 'null::text'} as reg_mode,
            ${platform ? 'e.reason' : 'null::text'} as exempt
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       ${platform ? `left join baas_platform.tenant_tables t on t.schema_name = n.nspname and t.table_name = c.relname
       left join baas_platform.rls_exemptions e on e.schema_name = n.nspname and e.table_name = c.relname` : ''}
      where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any($1::text[]) and n.nspname <> 'baas_platform'
      order by n.nspname, c.relname`,
    [schemas],
  );
  const pol = await c.query<{ relid: number; name: string; cmd: string; permissive: boolean; using: string | null; check: string | null }>(
    `select p.polrelid::int as relid, p.polname as name, p.polcmd as cmd, p.polpermissive as permissive,
            pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as check
       from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1::text[]) order by p.polname`,
    [schemas],
  );
  const cols = await c.query<{ relid: number; name: string; type: string; num: number }>(
    `select a.attrelid::int as relid, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnum as num
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1::text[]) and a.attnum > 0 and not a.attisdropped`,
    [schemas],
  );
  const idx = await c.query<{ relid: number; first: number }>(
    `select i.indrelid::int as relid, i.indkey[0]::int as first from pg_index i join pg_class c on c.oid = i.indrelid
       join pg_namespace n on n.oid = c.relnamespace where n.nspname = any($1::text[])`,
    [schemas],
  );
  return r.map((t) => {
    const policies = pol.filter((p) => p.relid === t.oid).map((p) => ({ name: p.name, command: CMD[p.cmd] ?? p.cmd, permissive: p.permissive, using: p.using, withCheck: p.check }));
    const tableCols = cols.filter((x) => x.relid === t.oid);
    const colName = t.reg_column ?? (tableCols.some((x) => x.name === 'org_id') ? 'org_id' : null);
    const col = tableCols.find((x) => x.name === colName);
    const indexed = Boolean(col && idx.some((i) => i.relid === t.oid && i.first === col.num));
    const baasPolicies = policies.filter((p) => p.name.startsWith('baas_tenant_'));
    const mode: RlsMode = t.exempt
      ? 'exempt'
      : !t.rls
        ? 'off'
        : t.reg_mode && baasPolicies.length > 0 && baasPolicies.length === policies.length
          ? t.reg_mode
          : 'custom';
    return {
      oid: t.oid,
      schema: t.schema,
      name: t.name,
      display: displayName(t),
      rlsEnabled: t.rls,
      rlsForced: t.forced,
      owner: t.owner,
      tenantColumn: col ? col.name : null,
      tenantColumnType: col ? col.type : null,
      registeredMode: t.reg_mode,
      exemptReason: t.exempt,
      tenantColumnIndexed: indexed,
      policies,
      mode,
    };
  });
}

/** Calls a platform helper and turns its refusals into user-facing errors. */
async function callHelper(c: Sql, sql: string, params: unknown[]): Promise<string> {
  await requirePlatform(c);
  try {
    const r = await c.query<{ msg: string }>(sql, params);
    return r[0]?.msg ?? '';
  } catch (e) {
    if (isPgError(e) && ['42703', '42804', '42809', '22023'].includes(e.code ?? '')) {
      throw new UserError(`${e.message}.`, { ...(e.hint ? { hint: e.hint } : { hint: 'See `baas rls --help`.' }) });
    }
    throw new ExternalError(`Postgres refused: ${messageOf(e)}.`, { cause: e });
  }
}

export async function enableTenantRls(c: Sql, t: ResolvedTable, column: string, mode: 'audit' | 'enforce'): Promise<string> {
  return callHelper(c, 'select baas_platform.enable_tenant_rls($1::oid::regclass, $2::name, $3::text) as msg', [t.oid, column, mode]);
}

export async function disableTenantRls(c: Sql, t: ResolvedTable): Promise<string> {
  return callHelper(c, 'select baas_platform.disable_tenant_rls($1::oid::regclass) as msg', [t.oid]);
}

export async function exemptTable(c: Sql, t: ResolvedTable, reason: string): Promise<string> {
  if (!reason.trim()) throw new UserError('An exemption needs a reason.', { hint: "Pass --reason 'shared reference data', for example." });
  return callHelper(c, 'select baas_platform.exempt_table($1::oid::regclass, $2::text) as msg', [t.oid, reason]);
}
