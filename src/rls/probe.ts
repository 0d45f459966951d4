import { randomUUID } from 'node:crypto';
import { messageOf } from '../errors.js';
import { quoteIdent } from '../pg/escape.js';
import { isPgError, type Sql } from '../pg/sql.js';
import { qualified } from './names.js';

export interface ColumnInfo {
  name: string;
  /** format_type() output: already quoted by the server where needed. */
  type: string;
  typname: string;
  category: string;
  typid: number;
  notNull: boolean;
  hasDefault: boolean;
  identity: string;
  generated: string;
}

export interface ProbeCheck {
  check: string;
  ok: boolean;
  detail: string;
}

export interface ProbeResult {
  /** Set when the probe could not run (the rows could not be created, the role is missing). */
  skipped?: string;
  checks: ProbeCheck[];
}

/** Pure: an expression producing a throwaway value of a column's type, or null when baas can't make one. */
export function probeValue(col: ColumnInfo): string | null {
  const t = col.type;
  switch (col.category) {
    case 'E':
      return `(select e.enumlabel from pg_catalog.pg_enum e where e.enumtypid = ${Number(col.typid)} order by e.enumsortorder limit 1)::${t}`;
    case 'S':
      return `('baas-probe-' || md5(random()::text))::${t}`;
    case 'N':
      return `(floor(random() * 30000))::${t}`;
    case 'B':
      return 'false';
    case 'D':
      return `now()::${t}`;
    case 'T':
      return `'0'::${t}`;
    case 'A':
      return `'{}'::${t}`;
    case 'I':
      return `'127.0.0.1'::${t}`;
    case 'U':
      if (col.typname === 'uuid') return 'gen_random_uuid()';
      if (col.typname === 'json' || col.typname === 'jsonb') return `'{}'::${t}`;
      if (col.typname === 'bytea') return "''::bytea";
      return null;
    default:
      return null;
  }
}

/**
 * Pure: an INSERT of one probe row whose tenant column is $1 and every other required column
 * gets a throwaway value (columns with defaults keep them). Returns the row's address.
 */
export function probeInsertSql(table: { schema: string; name: string }, columns: ColumnInfo[], tenantColumn: string): { sql: string; unfillable: string[] } {
  const names = [quoteIdent(tenantColumn)];
  const values = ['$1::uuid'];
  const unfillable: string[] = [];
  for (const col of columns) {
    if (col.name === tenantColumn || col.generated !== '' || col.identity === 'a' || col.hasDefault || !col.notNull) continue;
    const v = probeValue(col);
    if (v === null) {
      unfillable.push(`${col.name} (${col.type})`);
      continue;
    }
    names.push(quoteIdent(col.name));
    values.push(v);
  }
  return {
    sql: `insert into ${qualified(table)} (${names.join(', ')}) values (${values.join(', ')}) returning tableoid::int as toid, ctid::text as tid`,
    unfillable,
  };
}

export async function tableColumns(c: Sql, oid: number): Promise<ColumnInfo[]> {
  const r = await c.query<{ name: string; type: string; typname: string; category: string; typid: number; notnull: boolean; hasdef: boolean; identity: string; generated: string }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, t.typname, t.typcategory as category, a.atttypid::int as typid,
            a.attnotnull as notnull, a.atthasdef as hasdef, a.attidentity as identity, a.attgenerated as generated
       from pg_attribute a join pg_type t on t.oid = a.atttypid
      where a.attrelid = $1::oid and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [oid],
  );
  return r.map((x) => ({ name: x.name, type: x.type, typname: x.typname, category: x.category, typid: x.typid, notNull: x.notnull, hasDefault: x.hasdef, identity: x.identity, generated: x.generated }));
}

interface RowRef {
  toid: number;
  tid: string;
}

const RLS_VIOLATION = '42501';

/**
 * Proves isolation on one table inside a transaction that is always rolled back: as the
 * superuser it creates one row for org A and one for org B, then switches to the application
 * role with A active and tries to see, change and create B's rows; finally with no org active.
 */
export async function probeTable(c: Sql, table: { oid: number; schema: string; name: string }, tenantColumn: string, appRole: string): Promise<ProbeResult> {
  const orgA = randomUUID();
  const orgB = randomUUID();
  const t = qualified(table);
  const col = quoteIdent(tenantColumn);
  const checks: ProbeCheck[] = [];
  await c.query('begin');
  try {
    const insert = probeInsertSql(table, await tableColumns(c, table.oid), tenantColumn);
    let a: RowRef;
    let b: RowRef;
    try {
      // Foreign keys and user triggers are off for the probe rows: only the policies are under test.
      await c.query('set local session_replication_role = replica');
      await c.query('select baas_platform.set_active_org($1::uuid, true)', [orgA]);
      a = (await c.query<{ toid: number; tid: string }>(insert.sql, [orgA]))[0]!;
      await c.query('select baas_platform.set_active_org($1::uuid, true)', [orgB]);
      b = (await c.query<{ toid: number; tid: string }>(insert.sql, [orgB]))[0]!;
      await c.query('select baas_platform.set_active_org(null, true)');
      await c.query(`set local role ${quoteIdent(appRole)}`);
      await c.query('select baas_platform.set_active_org($1::uuid, true)', [orgA]);
    } catch (e) {
      const extra = insert.unfillable.length ? ` (no probe value for ${insert.unfillable.join(', ')})` : '';
      return { skipped: `could not create probe rows: ${messageOf(e)}${extra}`, checks };
    }

    const step = async (check: string, fn: () => Promise<{ ok: boolean; detail: string }>): Promise<void> => {
      // Every step is undone before the next (a refused write also aborts the subtransaction).
      await c.query('savepoint baas_probe');
      try {
        checks.push({ check, ...(await fn()) });
      } catch (e) {
        checks.push({ check, ok: false, detail: `error: ${messageOf(e)}` });
      } finally {
        await c.query('rollback to savepoint baas_probe');
        await c.query('release savepoint baas_probe');
      }
    };
    const expectRefused = async (sql: string, params: unknown[]): Promise<{ ok: boolean; detail: string }> => {
      try {
        const n = await c.execute(sql, params);
        return n === 0 ? { ok: true, detail: 'no row affected' } : { ok: false, detail: `succeeded (${n} row(s)): org A wrote a row of org B` };
      } catch (e) {
        if (isPgError(e) && e.code === RLS_VIOLATION && /row-level security/i.test(e.message)) return { ok: true, detail: 'refused by policy' };
        throw e;
      }
    };
    const where = (r: RowRef, i: number): string => `tableoid = $${i}::oid and ctid = $${i + 1}::tid`;
    const visible = async (): Promise<{ own: number; other: number }> => {
      const r = await c.query<{ own: string; other: string }>(
        `select (select count(*) from ${t} where ${where(a, 1)}) as own, (select count(*) from ${t} where ${where(b, 3)}) as other`,
        [a.toid, a.tid, b.toid, b.tid],
      );
      return { own: Number(r[0]!.own), other: Number(r[0]!.other) };
    };

    await step('select: own rows visible', async () => {
      const v = await visible();
      return v.own === 1 ? { ok: true, detail: 'org A sees its row' } : { ok: false, detail: 'org A cannot see its own row (policies too strict or grants missing)' };
    });
    await step('select: other org invisible', async () => {
      const v = await visible();
      return v.other === 0 ? { ok: true, detail: "org B's row is invisible" } : { ok: false, detail: "org A can read org B's row" };
    });
    await step('insert: other org refused', () => expectRefused(insert.sql, [orgB]));
    await step('update: other org untouched', () => expectRefused(`update ${t} set ${col} = ${col} where ${where(b, 1)}`, [b.toid, b.tid]));
    await step('delete: other org untouched', () => expectRefused(`delete from ${t} where ${where(b, 1)}`, [b.toid, b.tid]));
    await step('update: cannot move a row to another org', () => expectRefused(`update ${t} set ${col} = $3::uuid where ${where(a, 1)}`, [a.toid, a.tid, orgB]));
    await step('no active org: nothing visible', async () => {
      await c.query('select baas_platform.set_active_org(null, true)');
      const v = await visible();
      return v.own + v.other === 0 ? { ok: true, detail: 'no rows visible' } : { ok: false, detail: `${v.own + v.other} row(s) visible without an active organisation` };
    });
    return { checks };
  } finally {
    await c.query('rollback').catch(() => {});
  }
}
