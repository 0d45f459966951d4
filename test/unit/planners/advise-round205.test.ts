import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { adviseYaml as run, criterionOf, withSimplicity } from '../../helpers/advise.js';

/**
 * Round 205: an auth library in a server-rendered framework's own server code (Next.js, where
 * Auth.js and Better Auth are the usual sign-in) costs `simplicity.library_upkeep_server_rendered`
 * of upkeep instead of `library_upkeep`.
 */
describe('advise: round 205', () => {
  const w = loadWeights();
  // The weights with the upkeep every frontend had before round 205.
  const before = withSimplicity({ library_upkeep_server_rendered: w.simplicity.library_upkeep });
  const app = (frontend: string) => ['stage: mvp', `app: { kind: web, frontend: ${frontend} }`, 'data: { model: relational }', 'auth: { needed: true }'].join('\n');

  it('weighs a library in Next.js server code less than one elsewhere', () => {
    expect(w.simplicity.library_upkeep_server_rendered).toBeLessThan(w.simplicity.library_upkeep);
    expect(w.ecosystem.server_rendered).toContain('nextjs');
  });

  it('takes the smaller upkeep for a Next.js app only, and says where the code lives', () => {
    const next = criterionOf(app('nextjs'), 'authlib+neon+vercel', 'simplicity')!;
    const react = criterionOf(app('react'), 'authlib+neon+vercel', 'simplicity')!;
    expect(next.score - react.score).toBeCloseTo(w.simplicity.library_upkeep - w.simplicity.library_upkeep_server_rendered, 5);
    expect(next.reasons.map((r) => r.text).join('\n')).toMatch(/code you keep up, in nextjs's own server code/);
    expect(react.reasons.map((r) => r.text).join('\n')).not.toMatch(/own server code/);
    // The same upkeep as elsewhere puts the two frontends level again.
    expect(criterionOf(app('nextjs'), 'authlib+neon+vercel', 'simplicity', before)!.score).toBeCloseTo(react.score, 5);
  });

  it('closes part of the gap between Neon with a library and Supabase on Vercel for a Next.js app', () => {
    const score = (key: string, weights?: ReturnType<typeof loadWeights>) => run(app('nextjs'), 50, weights).stacks.find((s) => s.key === key)!.score;
    const gap = (weights?: ReturnType<typeof loadWeights>) => score('supabase+vercel', weights) - score('authlib+neon+vercel', weights);
    expect(gap()).toBeLessThan(gap(before));
  });
});
