import { describe, expect, it } from 'vitest';
import { createMongoTenant, deleteMongoTenant, mongoTenantPlan, type MongoAdmin } from '../../../src/tenant/mongo.js';
import { validateSlug } from '../../../src/tenant/tenants.js';

function fakeMongo(failWith: Record<string, number> = {}): MongoAdmin & { sent: { db: string; command: Record<string, unknown> }[] } {
  const sent: { db: string; command: Record<string, unknown> }[] = [];
  return {
    sent,
    async command(db, command) {
      sent.push({ db, command });
      const code = failWith[Object.keys(command)[0]!];
      if (code !== undefined) throw Object.assign(new Error(`failed with ${code}`), { code });
      return { ok: 1 };
    },
    async close() {},
  };
}

describe('mongo tenant commands', () => {
  it('creates a database and a user whose roles are limited to it', async () => {
    const m = fakeMongo();
    const r = await createMongoTenant(m, 'acme-corp', 'pw');
    expect(r).toEqual({ database: 'tenant_acme_corp', user: 'tenant_acme_corp', password: 'pw' });
    expect(m.sent).toEqual([
      { db: 'tenant_acme_corp', command: { create: '_baas_tenant' } },
      { db: 'tenant_acme_corp', command: { createUser: 'tenant_acme_corp', pwd: 'pw', roles: [{ role: 'readWrite', db: 'tenant_acme_corp' }, { role: 'dbAdmin', db: 'tenant_acme_corp' }] } },
    ]);
    const roles = (m.sent[1]!.command['roles'] as { db: string }[]).map((x) => x.db);
    expect(new Set(roles)).toEqual(new Set(['tenant_acme_corp']));
  });
  it('is idempotent: an existing collection or user is not an error', async () => {
    await expect(createMongoTenant(fakeMongo({ create: 48, createUser: 51003 }), 'acme', 'pw')).resolves.toMatchObject({ database: 'tenant_acme' });
  });
  it('says which command MongoDB refused', async () => {
    await expect(createMongoTenant(fakeMongo({ createUser: 13 }), 'acme', 'pw')).rejects.toThrow(/MongoDB refused createUser on tenant_acme: failed with 13/);
  });
  it('drops the user, then the database', async () => {
    const m = fakeMongo({ dropUser: 11 });
    await deleteMongoTenant(m, 'acme');
    expect(m.sent.map((s) => Object.keys(s.command)[0])).toEqual(['dropUser', 'dropDatabase']);
    expect(mongoTenantPlan('acme', 'x').drop.every((d) => d.db === 'tenant_acme')).toBe(true);
  });
  it('only accepts lowercase slugs', () => {
    expect(validateSlug('acme-1')).toBe('acme-1');
    expect(() => validateSlug('Acme Corp')).toThrow(/not a valid tenant slug/);
    expect(() => validateSlug('-x')).toThrow();
  });
});
