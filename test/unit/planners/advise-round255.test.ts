import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { adviseYaml, rankOf, reasonFor, withWeights } from '../../helpers/advise.js';

/**
 * Round 255: organisations a platform leaves to you (catalog `organizations: partial`, Supabase:
 * "model organisations yourself with tables and RLS"; its database is SQL), wanted for
 * relational data, are tables of orgs and members under row-level security: they fit by
 * `capabilities.organizations_as_tables` (0.7) instead of half a feature. Document data keeps half
 * a feature: there are no tables of the product's own for them to join.
 */
describe('advise: round 255', () => {
  const relational = 'app: { kind: b2b-saas }\ndata: { model: relational }\nauth: { organizations: true }\n';
  const organisations = (a: ReturnType<typeof adviseYaml>, key: string) => reasonFor(a, key, 'capabilities', 'auth.organizations');

  it('sits between half a feature and a full one', () => {
    const w = loadWeights().capabilities;
    expect(w.organizations_as_tables).toBe(0.7);
    expect(w.organizations_as_tables).toBeGreaterThan(w.some.partial);
    expect(w.organizations_as_tables).toBeLessThan(w.some.full);
  });

  it('reads organisations on Supabase as tables of your own for relational data, and ranks it above Clerk with Neon', () => {
    const a = adviseYaml(relational);
    expect(organisations(a, 'supabase')).toMatchObject({ effect: 'note', text: expect.stringMatching(/^organisations: as tables of your own in Supabase's database \(model organisations yourself/) });
    expect(a.stacks[0]!.key).toBe('supabase');
    expect(rankOf(a, 'supabase')).toBeLessThan(rankOf(a, 'clerk+neon'));
  });

  it('is what moves it: at half a feature Clerk with Neon ranks above Supabase', () => {
    const half = withWeights('capabilities', { organizations_as_tables: loadWeights().capabilities.some.partial });
    const a = adviseYaml(relational, 50, half);
    expect(rankOf(a, 'clerk+neon')).toBeLessThan(rankOf(a, 'supabase'));
  });

  it('keeps organisations only partly on Supabase for document data', () => {
    const a = adviseYaml('app: { kind: b2b-saas }\ndata: { model: document }\nauth: { organizations: true }\n');
    expect(organisations(a, 'supabase')).toMatchObject({ effect: 'con', text: expect.stringMatching(/^organisations: only partly, Supabase/) });
  });
});
