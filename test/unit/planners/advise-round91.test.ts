import { describe, expect, it } from 'vitest';
import { signInPartner } from '../../../src/planners/advise-criteria.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import type { StackMember } from '../../../src/planners/cost.js';
import { adviseYaml as run, withSimplicity } from '../../helpers/advise.js';

/**
 * Round 91: a database whose own sign-in is partial (Convex Auth, Neon Auth) beside the sign-in
 * product both vendors document as the way to add it (catalog `sign_in_partners`) is a pair
 * built to work together: the partner costs part of a service to integrate
 * (`simplicity.sign_in_partner`), not a whole one.
 */
describe('advise: round 91', () => {
  const catalog = loadCatalog();
  const w = loadWeights();
  const member = (id: string, roles: StackMember['roles']): StackMember => ({ platform: findPlatform(catalog, id), roles, mode: 'cloud' });

  it('lists Clerk beside Convex and Neon, each with both vendors\' pages', () => {
    for (const id of ['convex', 'neon']) {
      const p = findPlatform(catalog, id);
      expect(p.provides.auth, id).toBe('partial');
      const pair = p.sign_in_partners.find((x) => x.id === 'clerk');
      expect(pair, id).toBeDefined();
      expect(p.sources[pair!.source]?.url, id).toMatch(new RegExp(`^https://(docs\\.)?${id}\\.`));
      expect(p.sources[pair!.partner_source]?.url, id).toMatch(/^https:\/\/clerk\.com\/docs\//);
    }
    expect(w.simplicity.sign_in_partner).toBe(0.5);
  });

  it('pairs a database only with a documented partner that holds the sign-in', () => {
    expect(signInPartner([member('convex', ['database']), member('clerk', ['auth'])])?.auth.platform.id).toBe('clerk');
    expect(signInPartner([member('neon', ['database']), member('clerk', ['auth']), member('vercel', ['compute'])])?.database.platform.id).toBe('neon');
    // Convex documents Auth0 too, but Auth0 does not document Convex: no pair.
    expect(signInPartner([member('convex', ['database']), member('auth0', ['auth'])])).toBeUndefined();
    // Supabase's own sign-in is full: Clerk beside it is a second sign-in product, not a partner.
    expect(signInPartner([member('supabase', ['database']), member('clerk', ['auth'])])).toBeUndefined();
    // The database's own sign-in holding the role, or no database in the stack.
    expect(signInPartner([member('convex', ['database', 'auth'])])).toBeUndefined();
    expect(signInPartner([member('clerk', ['auth'])])).toBeUndefined();
  });

  it('ranks Neon with Clerk first for a Next.js SaaS with branches, and says why', () => {
    const yaml = 'app: { kind: saas, frontend: nextjs }\ndata: { model: relational }\nfeatures: { branching: some }\nauth: { mau: 2000 }\n';
    const advice = run(yaml, 3);
    expect(advice.stacks[0]?.key).toBe('clerk+neon+vercel');
    const simplicity = advice.stacks[0]!.criteria.find((c) => c.id === 'simplicity')!;
    expect(simplicity.reasons).toContainEqual(expect.objectContaining({ effect: 'pro', text: 'Clerk is the sign-in Neon documents, and Clerk documents Neon: built to work together' }));
    // Without the partner's share, three services cost what they cost before: Supabase + Vercel first.
    const before = run(yaml, 3, withSimplicity({ sign_in_partner: 0 }));
    expect(before.stacks[0]?.key).toBe('supabase+vercel');
    expect(before.stacks[0]!.criteria.find((c) => c.id === 'simplicity')!.reasons.map((r) => r.text).join(' ')).not.toMatch(/built to work together/);
  });
});
