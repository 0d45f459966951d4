import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_APP_MIGRATIONS as SAMPLE, pgQuery, sampleAppStack, testProject, type TestProject } from '../../helpers/harness.js';
import { migrateUp } from '../../../src/migrate/run.js';

describe('baas migrate against a real Postgres', () => {
  let p: TestProject;
  let adminUrl: string;
  const tmp: string[] = [];
  let dbCount = 0;

  const urlFor = (db: string): string => {
    const u = new URL(adminUrl);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const sql = pgQuery;
  /** A fresh database and a config whose migrations.dir holds the given files. */
  const scenario = async (files: Record<string, string>): Promise<{ cfg: string; dir: string; url: string; db: string }> => {
    const db = `mig_${++dbCount}`;
    await sql(adminUrl, `create database ${db}`);
    const root = mkdtempSync(path.join(os.tmpdir(), 'baas-mig-'));
    tmp.push(root);
    const dir = path.join(root, 'm');
    mkdirSync(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const cfg = path.join(root, 'platform.config.yaml');
    writeFileSync(cfg, `project: ${p.name}\nmigrations:\n  dir: m\n`);
    return { cfg, dir, url: urlFor(db), db };
  };
  const applied = async (url: string): Promise<string[]> =>
    (await sql<{ k: string }>(url, "select source || ':' || version || '_' || name as k from baas_platform.schema_migrations order by source desc, version")).map((r) => r.k);

  beforeAll(async () => {
    ({ p, adminUrl } = await sampleAppStack('migrate'));
  });
  afterAll(async () => {
    await p?.cleanup();
    for (const d of tmp) rmSync(d, { recursive: true, force: true });
  });

  it('applies the platform schema, then the sample app migration, on the running stack', async () => {
    const r = await p.run(['migrate', 'up']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/applied platform +0001_platform_core/);
    expect(r.out).toMatch(/applied app +0001_projects_and_notes/);
    const status = await p.runJson<{ counts: Record<string, number>; migrations: { source: string; state: string; appliedBy: string }[] }>(['migrate', 'status']);
    expect(status.counts).toMatchObject({ pending: 0, changed: 0, missing: 0 });
    expect(status.migrations.filter((m) => m.source === 'platform').length).toBeGreaterThanOrEqual(3);
    expect(status.migrations.every((m) => m.state === 'applied' && / as postgres$/.test(m.appliedBy))).toBe(true);
    const again = await p.run(['migrate', 'up']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('Nothing to apply');
    const verify = await p.run(['migrate', 'verify']);
    expect(verify.code, verify.err).toBe(0);
  });

  it('creates the next numbered file from the template with migrate new', async () => {
    const r = await p.run(['migrate', 'new', 'Add Tags!']);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(path.join(p.dir, 'db/migrations'))).toContain('0002_add_tags.sql');
    rmSync(path.join(p.dir, 'db/migrations/0002_add_tags.sql'));
  });

  it('prints the pending SQL with --dry-run and changes nothing', async () => {
    const s = await scenario({ '0001_t.sql': 'create table t (id int);\n' });
    const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--dry-run', '--database-url', s.url]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('create table baas_platform.organisations');
    expect(r.out).toContain('create table t (id int);');
    expect(await sql(s.url, "select to_regclass('baas_platform.schema_migrations') as t")).toEqual([{ t: null }]);
  });

  it('reports file, line and column of a SQL error, rolls that migration back and keeps earlier ones', async () => {
    const s = await scenario({
      '0001_ok.sql': 'create table a (id int);\n',
      '0002_bad.sql': 'create table b (id int);\n\ninsert into b values (1);\nselect * from  nope_table;\n',
    });
    const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url]);
    expect(r.code).toBe(7);
    expect(r.err).toContain('0002_bad.sql:4:16');
    expect(r.err).toContain('line 4, column 16');
    expect(r.err).toContain('relation "nope_table" does not exist');
    expect(r.err).toContain('rolled back');
    expect(await applied(s.url)).toContain('app:0001_ok');
    expect(await applied(s.url)).not.toContain('app:0002_bad');
    expect(await sql(s.url, "select to_regclass('public.a')::text as a, to_regclass('public.b')::text as b")).toEqual([{ a: 'a', b: null }]);
  });

  it('refuses a changed applied migration until it is repaired, and verify fails meanwhile', async () => {
    const s = await scenario({ '0001_a.sql': 'create table a (id int);\n' });
    expect((await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url])).code).toBe(0);
    writeFileSync(path.join(s.dir, '0001_a.sql'), 'create table a (id bigint);\n');
    writeFileSync(path.join(s.dir, '0002_b.sql'), 'create table b (id int);\n');
    const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url]);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/changed since they were applied: app 0001_a/);
    expect(r.err).toContain('baas migrate repair 0001');
    const status = await p.runJson<{ counts: Record<string, number> }>(['-c', s.cfg, 'migrate', 'status', '--database-url', s.url]);
    expect(status.counts).toMatchObject({ changed: 1, pending: 1 });
    expect((await p.run(['-c', s.cfg, 'migrate', 'verify', '--database-url', s.url])).code).toBe(6);
    const repair = await p.run(['-c', s.cfg, 'migrate', 'repair', '0001', '--database-url', s.url]);
    expect(repair.code, repair.err).toBe(0);
    expect(repair.out).toContain('new checksum');
    const up = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url]);
    expect(up.code, up.err).toBe(0);
    expect(up.out).toContain('0002_b');
  });

  it('refuses a migration merged after a later one ran, naming both files; --allow-out-of-order applies it and the chain records the real order', async () => {
    const s = await scenario({ '0001_a.sql': 'create table a (id int);\n', '0003_c.sql': 'create table c (id int);\n' });
    expect((await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url])).code).toBe(0);
    writeFileSync(path.join(s.dir, '0002_b.sql'), 'create table b (id int);\n');
    const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url]);
    expect(r.code).toBe(5);
    expect(r.err).toContain('0002_b.sql is numbered before 0003_c.sql, which is already applied');
    expect(r.err).toContain('--allow-out-of-order');
    expect(await applied(s.url)).not.toContain('app:0002_b');
    const status = await p.run(['-c', s.cfg, 'migrate', 'status', '--database-url', s.url]);
    expect(status.out).toMatch(/0002 +b +pending \(out of order: 0003 already applied\)/);
    const ok = await p.run(['-c', s.cfg, 'migrate', 'up', '--allow-out-of-order', '--database-url', s.url]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/applied app +0002_b/);
    const chain = await sql<{ version: string; previous: string | null }>(s.url, "select version, previous from baas_platform.schema_migrations where source = 'app' order by applied_at, version");
    expect(chain).toEqual([
      { version: '0001', previous: null },
      { version: '0003', previous: '0001' },
      { version: '0002', previous: '0003' },
    ]);
  });

  it('refuses when the file of an applied migration is missing', async () => {
    const s = await scenario({ '0001_a.sql': 'select 1;\n', '0002_b.sql': 'select 2;\n' });
    expect((await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url])).code).toBe(0);
    rmSync(path.join(s.dir, '0002_b.sql'));
    const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url]);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/have no file any more: app 0002_b/);
  });

  it('refuses duplicate version numbers before touching the database', async () => {
    const s = await scenario({ '0003_a.sql': 'select 1;\n', '3_b.sql': 'select 2;\n' });
    const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Duplicate migration version .*0003_a\.sql and 3_b\.sql/);
  });

  it('serialises two parallel runs: no interleaving, every migration applied once', async () => {
    const s = await scenario({
      '0001_slow.sql': "create table log (n int, at timestamptz default clock_timestamp());\ninsert into log (n) values (1);\nselect pg_sleep(0.5);\ninsert into log (n) values (2);\n",
      '0002_next.sql': 'insert into log (n) values (3);\n',
    });
    const events: string[][] = [[], []];
    const run = (i: number) =>
      migrateUp({}, { url: s.url, appRole: 'app', appDir: s.dir }, { lockTimeoutMs: 30_000, onEvent: (e) => events[i]!.push(e.type) });
    const [r1, r2] = await Promise.all([run(0), run(1)]);
    expect(r1.applied.length + r2.applied.length).toBe((await applied(s.url)).length);
    expect([r1.applied.length, r2.applied.length]).toContain(0);
    expect(events.flat()).toContain('lock-wait');
    const rows = await sql<{ source: string; version: string; n: string }>(s.url, 'select source, version, count(*) as n from baas_platform.schema_migrations group by 1, 2 having count(*) > 1');
    expect(rows).toEqual([]);
    expect((await sql<{ n: number }>(s.url, 'select n from log order by at')).map((r) => r.n)).toEqual([1, 2, 3]);
  });

  it('gives up with exit 8 when another session holds the lock past --lock-timeout', async () => {
    const s = await scenario({ '0001_a.sql': 'select 1;\n' });
    const holder = new pg.Client({ connectionString: s.url, application_name: 'other migrator' });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1, $2)', [0x62616173, 1]);
      const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url, '--lock-timeout', '1']);
      expect(r.code).toBe(8);
      expect(r.err).toContain('waiting up to');
      expect(r.err).toMatch(/holds the migration lock \(server pid \d+, 'other migrator'\)/);
    } finally {
      await holder.end();
    }
  });

  it('runs a -- baas:no-transaction file statement by statement (CREATE INDEX CONCURRENTLY)', async () => {
    const s = await scenario({
      '0001_t.sql': 'create table t (id int, v text);\n',
      '0002_idx.sql': "-- baas:no-transaction\n-- builds without locking writes\ncreate index concurrently t_v_idx on t (v);\ncreate index concurrently t_id_idx on t (id);\n",
    });
    const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url]);
    expect(r.code, r.err).toBe(0);
    expect(await sql(s.url, "select count(*)::int as n from pg_indexes where tablename = 't'")).toEqual([{ n: 2 }]);
  });

  it('runs a no-transaction file with a SQL-standard function body (BEGIN ATOMIC) as one statement', async () => {
    const s = await scenario({
      '0001_t.sql': 'create table t (id int, v text);\n',
      '0002_fn.sql': `-- baas:no-transaction
create function add_one(x int) returns int language sql
begin atomic
  select x + 1;
end;
create index concurrently t_v_idx on t (v);
select 'é😀';
select * from t where nope = 1;
`,
    });
    const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url]);
    expect(r.code).toBe(7);
    // The function and the index ran; the error points into the right line of the file.
    expect(await sql(s.url, 'select add_one(41) as n')).toEqual([{ n: 42 }]);
    expect(r.err).toContain('0002_fn.sql:8:23');
    expect(r.err).toContain('column "nope" does not exist');
  });

  it('refuses a no-transaction file with a syntax error before running any of it, with line and column', async () => {
    const s = await scenario({
      '0001_bad.sql': '-- baas:no-transaction\ncreate table first (id int);\n\ncreate tabel second (id int);\n',
    });
    const r = await p.run(['-c', s.cfg, 'migrate', 'up', '--database-url', s.url]);
    expect(r.code).toBe(7);
    expect(r.err).toContain('0001_bad.sql:4:8');
    expect(r.err).toContain('syntax error at or near "tabel"');
    expect(r.err).toContain('Nothing in this file ran');
    expect(await sql(s.url, "select to_regclass('public.first')::text as t")).toEqual([{ t: null }]);
  });

  it('says which URL it could not reach, without the password', async () => {
    const s = await scenario({});
    const r = await p.run(['-c', s.cfg, 'migrate', 'status', '--database-url', 'postgres://someone:hunter2secret@127.0.0.1:1/nowhere']);
    expect(r.code).toBe(7);
    expect(r.err).toContain('Cannot connect to Postgres at postgres://someone:***@127.0.0.1:1/nowhere');
    expect(r.err).toContain('connection refused');
    expect(r.err).not.toContain('hunter2secret');
  });
});
