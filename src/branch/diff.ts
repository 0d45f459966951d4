import type { Sql } from '../pg/sql.js';

/** One schema object as the catalogs describe it. */
export interface SchemaItem {
  kind: string;
  /** Qualified name, e.g. public.users.email for a column. */
  key: string;
  /** What is compared and shown: type, definition, … */
  detail: string;
}

export interface SchemaChange {
  kind: string;
  key: string;
  before: string;
  after: string;
}

export interface SchemaDiff {
  added: SchemaItem[];
  removed: SchemaItem[];
  changed: SchemaChange[];
}

/**
 * Every user object of one database, read from the catalogs (schemas other than pg_catalog,
 * information_schema and pg_toast; objects that belong to extensions are left out, the
 * extension itself is listed). Function bodies are compared by hash.
 */
export const SNAPSHOT_SQL = `
with ns as (
  select oid, nspname from pg_namespace
   where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg\\_toast%' and nspname not like 'pg\\_temp\\_%'
),
ext as (select objid, classid from pg_depend where deptype = 'e'),
rel as (
  select c.oid, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, n.nspname
    from pg_class c join ns n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
     and not exists (select 1 from ext where ext.objid = c.oid and ext.classid = 'pg_class'::regclass)
)
select 'schema' as kind, nspname as key, '' as detail from ns where nspname <> 'public'
   and not exists (select 1 from ext where ext.objid = ns.oid and ext.classid = 'pg_namespace'::regclass)
union all
select 'extension', extname, extversion from pg_extension where extname <> 'plpgsql'
union all
select case relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' when 'f' then 'foreign table' else 'table' end,
       nspname || '.' || relname,
       case relkind when 'v' then md5(pg_get_viewdef(oid)) when 'm' then md5(pg_get_viewdef(oid)) when 'p' then 'partitioned' else '' end
  from rel
union all
select 'rls', nspname || '.' || relname, case when relforcerowsecurity then 'enabled, forced' else 'enabled' end
  from rel where relrowsecurity
union all
select 'column', r.nspname || '.' || r.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else '' end
         || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
  from pg_attribute a join rel r on r.oid = a.attrelid
  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
 where a.attnum > 0 and not a.attisdropped and r.relkind in ('r', 'p', 'v', 'm', 'f')
union all
select 'index', n.nspname || '.' || ic.relname, pg_get_indexdef(i.indexrelid)
  from pg_index i join pg_class ic on ic.oid = i.indexrelid join ns n on n.oid = ic.relnamespace
 where not exists (select 1 from ext where ext.objid = i.indrelid and ext.classid = 'pg_class'::regclass)
union all
select 'constraint', r.nspname || '.' || r.relname || '.' || co.conname, pg_get_constraintdef(co.oid)
  from pg_constraint co join rel r on r.oid = co.conrelid
union all
select 'policy', p.schemaname || '.' || p.tablename || '.' || p.policyname,
       lower(p.permissive) || ' for ' || lower(p.cmd) || ' to ' || array_to_string(p.roles, ',')
         || coalesce(' using (' || p.qual || ')', '') || coalesce(' with check (' || p.with_check || ')', '')
  from pg_policies p join ns on ns.nspname = p.schemaname
union all
select case p.prokind when 'p' then 'procedure' else 'function' end,
       n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       'returns ' || coalesce(pg_get_function_result(p.oid), 'nothing') || ', body ' || left(md5(pg_get_functiondef(p.oid)), 12)
  from pg_proc p join ns n on n.oid = p.pronamespace
 where p.prokind in ('f', 'p')
   and not exists (select 1 from ext where ext.objid = p.oid and ext.classid = 'pg_proc'::regclass)
union all
select 'trigger', r.nspname || '.' || r.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
  from pg_trigger t join rel r on r.oid = t.tgrelid where not t.tgisinternal
union all
select 'enum', n.nspname || '.' || t.typname, string_agg(e.enumlabel, ', ' order by e.enumsortorder)
  from pg_type t join ns n on n.oid = t.typnamespace join pg_enum e on e.enumtypid = t.oid
 where not exists (select 1 from ext where ext.objid = t.oid and ext.classid = 'pg_type'::regclass)
 group by n.nspname, t.typname
`;

export async function schemaSnapshot(sql: Sql): Promise<SchemaItem[]> {
  return sql.query<SchemaItem>(SNAPSHOT_SQL);
}

/** Pure: what `b` has that `a` lacks (added), the reverse (removed), and what differs (changed). */
export function diffSchemas(a: SchemaItem[], b: SchemaItem[]): SchemaDiff {
  const id = (i: SchemaItem): string => `${i.kind}\u0000${i.key}`;
  const left = new Map(a.map((i) => [id(i), i]));
  const right = new Map(b.map((i) => [id(i), i]));
  const added = b.filter((i) => !left.has(id(i)));
  const removed = a.filter((i) => !right.has(id(i)));
  const changed: SchemaChange[] = [];
  for (const [k, r] of right) {
    const l = left.get(k);
    if (l && l.detail !== r.detail) changed.push({ kind: r.kind, key: r.key, before: l.detail, after: r.detail });
  }
  const order = (x: { kind: string; key: string }, y: { kind: string; key: string }): number => x.key.localeCompare(y.key) || x.kind.localeCompare(y.kind);
  return { added: added.sort(order), removed: removed.sort(order), changed: changed.sort(order) };
}

export function isEmptyDiff(d: SchemaDiff): boolean {
  return d.added.length + d.removed.length + d.changed.length === 0;
}

export interface DiffResult extends SchemaDiff {
  a: string;
  b: string;
}

/** Schema differences from branch `a` to branch `b` (names as in `baas branch list`). */
export async function diffBranches(deps: import('./types.js').BranchDeps, a: string, b: string): Promise<DiffResult> {
  const { resolveBranch } = await import('./lifecycle.js');
  const stored = await deps.store.list();
  const [ra, rb] = [await resolveBranch(deps, a, stored), await resolveBranch(deps, b, stored)];
  const snap = async (database: string): Promise<SchemaItem[]> => {
    const s = await deps.connect(database);
    try {
      return await schemaSnapshot(s);
    } finally {
      await s.end();
    }
  };
  const [sa, sb] = await Promise.all([snap(ra.database), snap(rb.database)]);
  return { a: ra.name, b: rb.name, ...diffSchemas(sa, sb) };
}
