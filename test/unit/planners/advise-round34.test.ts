import { describe, expect, it } from 'vitest';
import { advise } from '../../../src/planners/advise.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { adviceText } from '../../../src/planners/render.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { UserError } from '../../../src/errors.js';
import { adviseYaml as run } from '../../helpers/advise.js';

/**
 * Round 34 changed no weight; two faults its misses showed were fixed after its score was taken:
 * a sign-in that lives in the platform's own database moves with that database to a
 * self-hosted copy, and requirements no stack can be built for are refused with a reason
 * instead of an empty table under "the stacks below are ranked by least breach".
 */
describe('advise: after round 34', () => {
  const leavingCloud = 'app: { kind: web, frontend: react }\ndata: { model: relational }\nauth: { needed: true }\nconstraints: { self_hosting: preferred }\ncurrent: { database: supabase, auth: supabase }\nleaving: { platforms: [supabase], because: [lock_in, cost] }\ndecide: [database]\n';

  it('moves a kept Supabase sign-in along when the database moves to self-hosted Supabase', () => {
    const a = run(leavingCloud);
    expect(a.stacks[0]!.key).toBe('supabase:self');
    expect(a.stacks[0]!.roles).toMatchObject({ database: 'supabase', auth: 'supabase' });
    expect(a.stacks[0]!.cost.plans.every((p) => p.plan === 'self-hosted')).toBe(true);
    // Since round 37 the sign-in may also stay on hosted Supabase beside another database
    // (Supabase Auth on its own), never on a self-hosted copy beside another database.
    for (const s of a.stacks.slice(1)) {
      expect(s.roles.database).not.toBe('supabase');
      expect(s.selfHosted).not.toContain('supabase');
    }
  });

  it('names the one stack it considered in the singular', () => {
    const a = run('app: { kind: web, frontend: react }\ndata: { model: relational }\nauth: { needed: true }\ncurrent: nhost\nleaving: nhost\ndecide: [database]\n');
    expect(a.stacks.map((s) => s.key)).toEqual(['nhost:self']);
    expect(adviceText(a)).toContain('Considered 1 stack.');
  });

  it('still offers hosted Supabase when the team keeps its sign-in there and does not leave', () => {
    const a = run('data: { model: relational }\nauth: { needed: true }\ncurrent: { database: supabase, auth: supabase }\ndecide: [database]\n');
    const keys = a.stacks.map((s) => s.key);
    expect(keys).toContain('supabase');
    expect(keys).toContain('supabase:self');
    // Any other database comes with the sign-in kept on hosted Supabase (round 37).
    for (const s of a.stacks.filter((x) => x.roles.database !== 'supabase')) {
      expect(s.roles.auth).toBe('supabase');
      expect(s.selfHosted).not.toContain('supabase');
    }
  });

  it('refuses requirements no stack can be built for, saying what stays and what is left', () => {
    const r = parseRequirementsText('current: neon\napp: { kind: ai, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true }\nleaving: { platforms: [neon] }\ndecide: [database]\n', 'req.yaml');
    let err: unknown;
    try {
      advise(loadCatalog(), r);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/^No stack can be built: what stays \(auth on Neon\) cannot work beside any platform left for the roles being decided once Neon is left\.$/);
    expect((err as UserError).hint).toMatch(/--only database,auth/);
  });
});
