import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { postgresOnlyConfig, testProject, pgQuery, type TestProject } from '../../helpers/harness.js';
import { signOrgClaim } from '../../../src/security/claims.js';

/** security.tenantClaims: signed: the active organisation comes only from a claim the auth layer signed. */
describe('signed tenant claims', () => {
  let p: TestProject;
  let adminUrl: string;
  let appUrl: string;
  let key: string;
  const A = '0a0a0a0a-0000-4000-8000-00000000000a';
  const B = '0b0b0b0b-0000-4000-8000-00000000000b';

  beforeAll(async () => {
    p = testProject('claims', `${postgresOnlyConfig()}security:\n  tenantClaims: signed\n`);
    mkdirSync(path.join(p.dir, 'db/migrations'), { recursive: true });
    const up = await p.run(['up', '--quiet']);
    expect(up.code, up.err).toBe(0);
    const m = await p.run(['migrate', 'up']);
    expect(m.code, m.err).toBe(0);
    const env = (await p.runJson<{ env: Record<string, string> }>(['connect', 'postgres', '--show-secrets'])).env;
    adminUrl = env['DATABASE_ADMIN_URL']!;
    appUrl = env['DATABASE_URL']!;
    await pgQuery(adminUrl, `insert into baas_platform.organisations (id, slug, name) values ('${A}', 'a', 'A'), ('${B}', 'b', 'B')`);
    await pgQuery(adminUrl, `insert into baas_platform.members (org_id, user_id, role) values ('${A}', 'u1', 'owner'), ('${B}', 'u2', 'owner')`);
    await pgQuery(adminUrl, 'create table public.notes (id serial primary key, org_id uuid not null, body text not null)');
    await pgQuery(adminUrl, "select baas_platform.enable_tenant_rls('public.notes')");
    await pgQuery(adminUrl, `insert into public.notes (org_id, body) values ('${A}', 'a1'), ('${B}', 'b1')`);
    const k = await p.runJson<{ key: string }>(['claims', 'key', '--show-secrets']);
    key = k.key;
  });
  afterAll(async () => {
    await p.cleanup();
  });

  /** One app-role transaction: optional claim, then the query. */
  const asApp = async (text: string, claim?: string): Promise<Record<string, unknown>[]> => {
    const c = new pg.Client({ connectionString: appUrl });
    await c.connect();
    try {
      await c.query('begin');
      if (claim !== undefined) await c.query('select baas_platform.set_org_claim($1)', [claim]);
      const r = await c.query(text);
      await c.query('commit');
      return r.rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };
  const soon = () => Math.floor(Date.now() / 1000) + 300;

  it('ignores app.org_id: an app session cannot switch tenants by itself', async () => {
    expect(await asApp(`select set_config('app.org_id', '${B}', true), (select count(*)::int from public.notes) as n`)).toEqual([expect.objectContaining({ n: 0 })]);
    expect(await asApp('select count(*)::int as n from baas_platform.organisations')).toEqual([{ n: 0 }]);
    await expect(asApp("select baas_platform.activate_user_org('u2')")).rejects.toThrow(/off in signed tenant mode/);
  });

  it("accepts a claim signed with the database's key, for a member, before it expires", async () => {
    const claim = signOrgClaim(key, { orgId: A, userId: 'u1', expiresAt: soon() });
    expect(await asApp('select body from public.notes', claim)).toEqual([{ body: 'a1' }]);
    expect(await asApp('select slug from baas_platform.organisations', claim)).toEqual([{ slug: 'a' }]);
  });

  it('refuses a forged, expired or non-member claim, and never shows the app role the key', async () => {
    const forged = signOrgClaim('00'.repeat(32), { orgId: B, userId: 'u2', expiresAt: soon() });
    await expect(asApp('select 1', forged)).rejects.toThrow(/claim is not valid/);
    await expect(asApp('select 1', signOrgClaim(key, { orgId: A, userId: 'u1', expiresAt: Math.floor(Date.now() / 1000) - 1 }))).rejects.toThrow(/claim is not valid/);
    await expect(asApp('select 1', signOrgClaim(key, { orgId: B, userId: 'u1', expiresAt: soon() }))).rejects.toThrow(/claim is not valid/);
    await expect(asApp('select key from baas_platform.claim_key')).rejects.toThrow(/permission denied/);
  });
});
