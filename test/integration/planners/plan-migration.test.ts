import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';

import { postgresOnlyConfig, testProject, type TestProject } from '../../helpers/harness.js';

/**
 * `baas plan migration --from <postgres url>` against a real Postgres 18 that the test starts
 * through `baas up` (a Postgres-only stack), so it runs everywhere Docker does.
 */
let url = '';

describe('plan migration from a live Postgres', () => {
  let stack: TestProject | undefined;
  beforeAll(async () => {
    stack = testProject('plan', postgresOnlyConfig());
    const up = await stack.run(['up', '--quiet']);
    if (up.code !== 0) throw new Error(`baas up failed: ${up.err}`);
    const info = await stack.runJson<{ env: Record<string, string> }>(['connect', 'postgres', '--show-secrets']);
    url = info.env['DATABASE_ADMIN_URL']!;
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  const schema = `baas_plan_${process.pid}`;
  const role = `baas_plan_role_${process.pid}`;
  let client: pg.Client | undefined;
  let extension: string | undefined;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.query(`create table ${schema}.accounts (id bigserial primary key, tenant_id int not null, name text not null)`);
    await client.query(`create table ${schema}.notes (id bigserial primary key, account_id bigint references ${schema}.accounts(id), body text)`);
    await client.query(`insert into ${schema}.accounts (tenant_id, name) select g % 7, 'acct ' || g from generate_series(1, 500) g`);
    await client.query(`insert into ${schema}.notes (account_id, body) select (g % 500) + 1, repeat('x', 50) from generate_series(1, 2000) g`);
    await client.query(`analyze ${schema}.accounts`);
    await client.query(`alter table ${schema}.accounts enable row level security`);
    await client.query(`create policy tenant_isolation on ${schema}.accounts using (tenant_id = current_setting('app.tenant_id', true)::int)`);
    await client.query(`create role ${role} nologin`);
    // An extension beyond plpgsql when the server has one available; plpgsql always exists.
    const avail = await client.query<{ name: string }>(
      `select name from pg_available_extensions where name in ('pgcrypto', 'hstore', 'citext') and installed_version is null order by name limit 1`,
    );
    extension = avail.rows[0]?.name;
    if (extension) await client.query(`create extension if not exists ${extension}`);
  });

  afterAll(async () => {
    if (!client) return;
    await client.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    if (extension) await client.query(`drop extension if exists ${extension}`).catch(() => undefined);
    await client.query(`drop role if exists ${role}`).catch(() => undefined);
    await client.end();
  });

  it(`finds the tables, row estimates, RLS, extensions, roles and version, and never prints the password`, async () => {
    const io = captureIo();
    const code = await main(['plan', 'migration', '--from', url, '--to', 'supabase', '--json'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const plan = JSON.parse(io.out());
    const i = plan.inspection;
    const accounts = i.tables.find((t: { schema: string; name: string }) => t.schema === schema && t.name === 'accounts');
    const notes = i.tables.find((t: { schema: string; name: string }) => t.schema === schema && t.name === 'notes');
    expect(accounts).toMatchObject({ rls: true, rowEstimate: 500 });
    expect(notes).toMatchObject({ rls: false });
    expect(notes.rowEstimate === null || notes.rowEstimate > 0).toBe(true);
    expect(i.extensions.map((e: { name: string }) => e.name)).toContain('plpgsql');
    if (extension) expect(i.extensions.map((e: { name: string }) => e.name)).toContain(extension);
    expect(i.policies).toContainEqual(expect.objectContaining({ schema, table: 'accounts', name: 'tenant_isolation' }));
    expect(i.roles.map((r: { name: string }) => r.name)).toContain(role);
    expect(i.serverMajor).toBeGreaterThanOrEqual(13);
    expect(i.sizeBytes).toBeGreaterThan(0);
    expect(plan.risks.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(['rls-policies', 'roles', 'version-mismatch']));

    const password = new URL(url).password;
    if (password) expect(io.out()).not.toContain(`:${password}@`);
  });
});
