import { describe, expect, it } from 'vitest';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { looksPooled, isPostgresUrl, type PgInspection } from '../../../src/planners/inspect.js';
import { planMigration } from '../../../src/planners/migration.js';

const catalog = loadCatalog();
const p = (id: string) => findPlatform(catalog, id);

const inspection = (over: Partial<PgInspection> = {}): PgInspection => ({
  url: 'postgres://app:***@db.example.com:5432/app',
  database: 'app',
  serverVersion: '17.2',
  serverMajor: 17,
  sizeBytes: 3 * 1024 ** 3,
  schemas: ['public'],
  tables: [
    { schema: 'public', name: 'orders', rowEstimate: 120_000, bytes: 2 * 1024 ** 3, rls: true },
    { schema: 'public', name: 'users', rowEstimate: null, bytes: 1024 ** 3, rls: false },
  ],
  extensions: [{ name: 'plpgsql', version: '1.0' }, { name: 'pg_trgm', version: '1.6' }],
  policies: [{ schema: 'public', table: 'orders', name: 'own_orders', usesAuthFunctions: true }],
  roles: [{ name: 'postgres', superuser: true, canLogin: true }, { name: 'app_rw', superuser: false, canLogin: true }],
  pooled: false,
  ...over,
});

describe('planMigration', () => {
  it('has the five phases, a rollback plan and a checklist', () => {
    const m = planMigration({ from: { kind: 'platform', platform: p('supabase') }, to: p('neon'), dataGb: 5 });
    expect(m.phases.map((x) => x.id)).toEqual(['assessment', 'parallel-setup', 'data-migration', 'cutover', 'cleanup']);
    expect(m.rollback.length).toBeGreaterThan(2);
    expect(m.checklist.length).toBeGreaterThan(5);
    for (const r of m.risks) {
      expect(['low', 'medium', 'high']).toContain(r.likelihood);
      expect(r.mitigation.length).toBeGreaterThan(20);
    }
  });

  it('derives risks from the gaps: Firebase to Supabase', () => {
    const m = planMigration({ from: { kind: 'platform', platform: p('firebase') }, to: p('supabase'), dataGb: 12 });
    const ids = m.risks.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['document-to-relational', 'password-hashes', 'offline-loss', 'storage-copy']));
    expect(ids).not.toContain('realtime-loss');
    expect(m.risks.find((r) => r.id === 'password-hashes')?.mitigation).toMatch(/SCRYPT/);
  });

  it('flags realtime loss and the missing auth when moving Supabase to baas', () => {
    const ids = planMigration({ from: { kind: 'platform', platform: p('supabase') }, to: p('baas') }).risks.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['realtime-loss', 'no-auth-on-target', 'operations', 'pooler-dump', 'version-mismatch']));
  });

  it('counts the port of schema and queries when the database engine changes, and none between two Postgres', () => {
    const pg = planMigration({ from: { kind: 'platform', platform: p('supabase') }, to: p('neon') });
    expect(pg.risks.map((r) => r.id)).not.toContain('engine-change');
    const d1 = planMigration({ from: { kind: 'platform', platform: p('supabase') }, to: p('cloudflare') });
    const convex = planMigration({ from: { kind: 'platform', platform: p('supabase') }, to: p('convex') });
    // SQL to another SQL dialect is ported; SQL to a query API is rewritten, which takes longer.
    expect(d1.risks.find((r) => r.id === 'engine-change')?.title).toMatch(/another SQL dialect/);
    expect(convex.risks.find((r) => r.id === 'engine-change')?.title).toMatch(/rewritten for Convex's API/);
    expect(d1.effort.days.low).toBeGreaterThan(pg.effort.days.low);
    expect(convex.effort.days.low).toBeGreaterThan(d1.effort.days.low);
    expect(convex.phases.find((ph) => ph.id === 'parallel-setup')?.activities[0]).toBe("Rewrite the data-access code for Convex's API");
    expect(d1.effort.drivers.join('; ')).toMatch(/the database engine changes \(postgres → d1-sqlite\)/);
    // A change of data model (documents to tables) also rewrites the queries.
    const fb = planMigration({ from: { kind: 'platform', platform: p('firebase') }, to: p('supabase') });
    expect(fb.risks.map((r) => r.id)).toEqual(expect.arrayContaining(['document-to-relational', 'engine-change']));
  });

  it('scales effort with data size', () => {
    const small = planMigration({ from: { kind: 'platform', platform: p('neon') }, to: p('supabase'), dataGb: 0.5 });
    const big = planMigration({ from: { kind: 'platform', platform: p('neon') }, to: p('supabase'), dataGb: 800 });
    expect(big.effort.days.high).toBeGreaterThan(small.effort.days.high);
    expect(big.risks.map((r) => r.id)).toContain('large-dump');
  });

  it('grounds the plan in an inspected Postgres: extensions, RLS with auth.uid(), roles, pooler, version', () => {
    const m = planMigration({ from: { kind: 'postgres', inspection: inspection({ pooled: true }) }, to: p('neon') });
    const byId = Object.fromEntries(m.risks.map((r) => [r.id, r]));
    expect(byId.extensions?.title).toContain('pg_trgm');
    expect(byId.extensions?.title).not.toContain('plpgsql');
    expect(byId['rls-policies']?.likelihood).toBe('high');
    expect(byId['rls-policies']?.mitigation).toMatch(/auth\.uid/);
    expect(byId.roles?.because).toContain('app_rw');
    expect(byId['pooler-dump']?.likelihood).toBe('high');
    expect(byId['version-mismatch']?.because).toContain('17.2');
    expect(m.dataGb).toBe(3);
    expect(JSON.stringify(m)).not.toContain('secret');
  });
});

describe('postgres URLs', () => {
  it('recognises postgres URLs and poolers', () => {
    expect(isPostgresUrl('postgresql://u@h/db')).toBe(true);
    expect(isPostgresUrl('mysql://u@h/db')).toBe(false);
    expect(looksPooled('postgres://u:p@aws-0-eu.pooler.supabase.com:6543/postgres')).toBe(true);
    expect(looksPooled('postgres://u:p@ep-x-pooler.eu-central-1.aws.neon.tech/db')).toBe(true);
    expect(looksPooled('postgres://u:p@db.example.com:5432/db')).toBe(false);
  });
});
