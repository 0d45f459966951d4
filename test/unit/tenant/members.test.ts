import { describe, expect, it } from 'vitest';
import { addMember, validateRole, validateUserId } from '../../../src/tenant/members.js';

describe('tenant members: bad input', () => {
  it('refuses unknown roles, naming the valid ones', () => {
    expect(() => validateRole('superadmin')).toThrow("'superadmin' is not a member role.");
    try {
      validateRole('superadmin');
    } catch (e) {
      expect((e as { hint: string; exitCode: number }).hint).toBe('Use one of owner, admin, member, viewer.');
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
    expect(validateRole('viewer')).toBe('viewer');
  });

  it('refuses empty, over-long and control-character user ids without echoing the escapes', () => {
    expect(() => validateUserId('')).toThrow(/not a usable user id/);
    expect(() => validateUserId('x'.repeat(257))).toThrow(/not a usable user id/);
    expect(() => validateUserId('evil\u001b[31m')).toThrow("'evil?[31m' is not a usable user id.");
    expect(() => validateUserId(' user-42')).toThrow(/not a usable user id/);
    expect(validateUserId('ana@example.com')).toBe('ana@example.com');
  });

  it('checks slug, user id and role before touching the database', async () => {
    const c = { query: async () => { throw new Error('must not be called'); }, end: async () => {} };
    await expect(addMember(c, { slug: 'Acme!', userId: 'u', role: 'member' })).rejects.toThrow(/not a valid tenant slug/);
    await expect(addMember(c, { slug: 'acme', userId: 'u', role: 'boss' })).rejects.toThrow(/not a member role/);
  });
});
