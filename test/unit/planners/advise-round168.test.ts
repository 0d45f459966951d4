import { describe, expect, it } from 'vitest';
import { loadWeights, type Weights } from '../../../src/planners/advise-weights.js';
import { adviseYaml as run, withWeights } from '../../helpers/advise.js';

/**
 * Round 168: a database's own sign-in that the catalog marks partial (Convex Auth, Neon Auth)
 * earns `capabilities.partial_sign_in` of a sign-in, less than the half other partial features
 * earn: teams on those databases mostly put Clerk or an auth library beside it.
 */
describe('advise: round 168', () => {
  const w = loadWeights();
  const withPartialSignIn = (share: number): Weights => withWeights('capabilities', { partial_sign_in: share });
  const realtimeApp = 'app: { kind: web, frontend: nextjs }\ndata: { model: document }\nfeatures: { realtime: core }\nauth: { needed: true }\n';

  it('weighs a partial sign-in below other partial features', () => {
    expect(w.capabilities.partial_sign_in).toBe(0.2);
    expect(w.capabilities.partial_sign_in).toBeLessThan(w.capabilities.some.partial);
  });

  it('ranks Convex with Clerk before Convex with its own sign-in for a realtime Next.js app, and says the sign-in is partial', () => {
    const advice = run(realtimeApp, 10);
    const keys = advice.stacks.map((s) => s.key);
    // Firebase with Vercel comes first since round 192 (Firebase's browser SDK counts for a
    // Next.js app); among the Convex stacks, Clerk's comes first.
    expect(keys.indexOf('clerk+convex+vercel')).toBeLessThan(keys.indexOf('convex+vercel'));
    const own = advice.stacks.find((s) => s.key === 'convex+vercel')!;
    const caps = own.criteria.find((c) => c.id === 'capabilities')!;
    expect(caps.reasons).toContainEqual(expect.objectContaining({ requirement: 'auth.needed', effect: 'con', text: expect.stringMatching(/^auth: only partly, Convex/) }));
    // Realtime at the core (weight 3, Convex is built around it), web hosting (1, Vercel) and
    // sign-in (1): the partial sign-in adds 0.2 of its weight.
    expect(caps.score).toBeCloseTo((3 + 1 + 0.2) / 5, 5);
    // At the half-credit other partial features earn, Convex's own sign-in came first.
    const half = run(realtimeApp, 10, withPartialSignIn(w.capabilities.some.partial)).stacks.map((s) => s.key);
    expect(half[0]).toBe('convex+vercel');
    expect(half.indexOf('convex+vercel')).toBeLessThan(half.indexOf('clerk+convex+vercel'));
  });

  it('leaves stacks whose sign-in is full as they were', () => {
    const yaml = 'app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true }\n';
    const now = run(yaml, 20);
    const before = run(yaml, 20, withPartialSignIn(w.capabilities.some.partial));
    for (const key of ['supabase+vercel', 'clerk+neon+vercel', 'authlib+neon+vercel']) {
      expect(now.stacks.find((s) => s.key === key)?.score, key).toBe(before.stacks.find((s) => s.key === key)?.score);
    }
    expect(now.stacks.find((s) => s.key === 'neon+vercel')!.score).toBeLessThan(before.stacks.find((s) => s.key === 'neon+vercel')!.score);
  });
});
