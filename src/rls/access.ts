import { quoteIdent } from '../pg/escape.js';
import type { Sql } from '../pg/sql.js';
import { qualified } from './names.js';

/**
 * Whether the application role can use a table at all. `baas up` grants it DML on `public`
 * only; a table in another schema (billing.invoices) is out of its reach until granted, and
 * the live probe then fails with "permission denied" on every step. This says so instead, with
 * the GRANT that fixes it.
 */

export const DML = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

export interface AccessGap {
  oid: number;
  schema: string;
  name: string;
  /** The role lacks USAGE on the schema (then nothing in it is reachable). */
  schemaUsage: boolean;
  /** Table privileges the role lacks. */
  missing: string[];
}

/** Pure: the statements that give `role` what it lacks, schema usage first, one line each. */
export function grantStatements(gaps: AccessGap[], role: string): string[] {
  const r = quoteIdent(role);
  const schemas = [...new Set(gaps.filter((g) => !g.schemaUsage).map((g) => g.schema))];
  return [
    ...schemas.map((s) => `GRANT USAGE ON SCHEMA ${quoteIdent(s)} TO ${r};`),
    ...gaps.filter((g) => g.missing.length > 0).map((g) => `GRANT ${g.missing.join(', ')} ON ${qualified(g)} TO ${r};`),
  ];
}

/** Pure: one sentence for a table the role cannot use. */
export function describeGap(g: AccessGap, role: string): string {
  const parts = [...(g.schemaUsage ? [] : [`no USAGE on schema ${g.schema}`]), ...(g.missing.length ? [`no ${g.missing.join(', ')} on the table`] : [])];
  return `the application role ${role} cannot use this table (${parts.join('; ')}), so the probe cannot run: ${grantStatements([g], role).join(' ')}`;
}

/** The tables of `tables` the role cannot fully use (empty when it can use all of them). */
export async function accessGaps(c: Sql, tables: { oid: number; schema: string; name: string }[], role: string): Promise<AccessGap[]> {
  if (tables.length === 0) return [];
  const r = await c.query<{ oid: number; schema: string; name: string; usage: boolean; s: boolean; i: boolean; u: boolean; d: boolean }>(
    `select c.oid::int as oid, n.nspname as schema, c.relname as name,
            has_schema_privilege($1, n.oid, 'USAGE') as usage,
            has_table_privilege($1, c.oid, 'SELECT') as s, has_table_privilege($1, c.oid, 'INSERT') as i,
            has_table_privilege($1, c.oid, 'UPDATE') as u, has_table_privilege($1, c.oid, 'DELETE') as d
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.oid = any($2::oid[])`,
    [role, tables.map((t) => t.oid)],
  );
  return r
    .map((x) => ({
      oid: x.oid,
      schema: x.schema,
      name: x.name,
      schemaUsage: x.usage,
      missing: DML.filter((_, i) => ![x.s, x.i, x.u, x.d][i]),
    }))
    .filter((g) => !g.schemaUsage || g.missing.length > 0);
}

/**
 * `baas rls enable --grant`: gives the role schema usage, DML on the table and use of the
 * sequences the table's columns own (serial columns), as `baas up` does for `public`.
 */
export async function grantAppAccess(c: Sql, table: { oid: number; schema: string; name: string }, role: string): Promise<string[]> {
  const r = quoteIdent(role);
  const seqs = await c.query<{ schema: string; name: string }>(
    `select n.nspname as schema, s.relname as name from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
       join pg_namespace n on n.oid = s.relnamespace
      where d.refobjid = $1::oid and d.classid = 'pg_class'::regclass and d.deptype in ('a', 'i')`,
    [table.oid],
  );
  const statements = [
    `GRANT USAGE ON SCHEMA ${quoteIdent(table.schema)} TO ${r};`,
    `GRANT ${DML.join(', ')} ON ${qualified(table)} TO ${r};`,
    ...seqs.map((s) => `GRANT USAGE, SELECT ON SEQUENCE ${qualified(s)} TO ${r};`),
  ];
  for (const s of statements) await c.execute(s);
  return statements;
}
