import { describe, expect, it } from 'vitest';
import { probeInsertSql, probeValue, type ColumnInfo } from '../../../src/rls/probe.js';

const col = (over: Partial<ColumnInfo>): ColumnInfo => ({
  name: 'c', type: 'text', typname: 'text', category: 'S', typid: 25, notNull: true, hasDefault: false, identity: '', generated: '', ...over,
});

describe('probeInsertSql', () => {
  it('fills only required columns without defaults, and sets the tenant column from $1', () => {
    const r = probeInsertSql({ schema: 'public', name: 'Weird Name' }, [
      col({ name: 'id', type: 'uuid', typname: 'uuid', category: 'U', hasDefault: true }),
      col({ name: 'org_id', type: 'uuid', typname: 'uuid', category: 'U' }),
      col({ name: 'title' }),
      col({ name: 'note', notNull: false }),
      col({ name: 'n', type: 'bigint', typname: 'int8', category: 'N', identity: 'a' }),
      col({ name: 'total', type: 'numeric(10,2)', typname: 'numeric', category: 'N', generated: 's' }),
      col({ name: 'Kind', type: 'public."Mood"', typname: 'Mood', category: 'E', typid: 16400 }),
    ], 'org_id');
    expect(r.sql).toBe(
      'insert into "public"."Weird Name" ("org_id", "title", "Kind") values ($1::uuid, (\'baas-probe-\' || md5(random()::text))::text, ' +
        '(select e.enumlabel from pg_catalog.pg_enum e where e.enumtypid = 16400 order by e.enumsortorder limit 1)::public."Mood") returning tableoid::int as toid, ctid::text as tid',
    );
    expect(r.unfillable).toEqual([]);
  });
  it('lists required columns it cannot fill', () => {
    const r = probeInsertSql({ schema: 'public', name: 't' }, [col({ name: 'g', type: 'geometry', typname: 'geometry', category: 'U' })], 'org_id');
    expect(r.unfillable).toEqual(['g (geometry)']);
  });
});

describe('probeValue', () => {
  it('has a value for the common type categories', () => {
    expect(probeValue(col({ category: 'B', type: 'boolean' }))).toBe('false');
    expect(probeValue(col({ category: 'D', type: 'timestamp with time zone' }))).toBe('now()::timestamp with time zone');
    expect(probeValue(col({ category: 'U', typname: 'jsonb', type: 'jsonb' }))).toBe("'{}'::jsonb");
    expect(probeValue(col({ category: 'A', type: 'text[]' }))).toBe("'{}'::text[]");
  });
});
