import { describe, expect, it } from 'vitest';
import { loadWeights, type Weights } from '../../../src/planners/advise-weights.js';
import { adviseYaml as run, criterionOf, withSimplicity } from '../../helpers/advise.js';

/**
 * Round 183: a backend platform whose own sign-in keeps its users in its database (Supabase,
 * Appwrite, Nhost, PocketBase), holding the database while another sign-in holds the users,
 * costs `simplicity.sign_in_elsewhere` (0.05): its data API and access rules are built on its
 * own sign-in, so the other one is wired into them or the platform serves as a plain database.
 * Before, Neon and Supabase beside an auth library on Vercel tied for a Next.js app, and
 * Supabase came first on what it offers (realtime), though teams and the architect reference
 * put Neon there.
 */
describe('advise: round 183', () => {
  const w = loadWeights();
  const without: Weights = withSimplicity({ sign_in_elsewhere: 0 });
  const app = 'app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true }\n';
  const keys = (stacks: { key: string }[]) => stacks.map((s) => s.key);

  it('keeps the cost a weight, well below one more service to integrate', () => {
    expect(w.simplicity.sign_in_elsewhere).toBe(0.05);
    expect(w.simplicity.sign_in_elsewhere).toBeLessThan(w.simplicity.vendor_step.mvp);
  });

  it('puts Neon with an auth library on Vercel before Supabase with one, where they tied', () => {
    const now = keys(run(app, 10).stacks);
    expect(now.slice(0, 3)).toContain('authlib+neon+vercel');
    expect(now.indexOf('authlib+neon+vercel')).toBeLessThan(now.indexOf('authlib+supabase+vercel'));
    const before = run(app, 10, without).stacks;
    const score = (k: string) => before.find((s) => s.key === k)!.score;
    expect(score('authlib+neon+vercel')).toBe(score('authlib+supabase+vercel'));
    expect(keys(before).indexOf('authlib+supabase+vercel')).toBeLessThan(keys(before).indexOf('authlib+neon+vercel'));
  });

  it('names the unused sign-in beside Clerk or an auth library, and costs nothing where the platform keeps the sign-in', () => {
    const texts = (key: string) => criterionOf(app, key, 'simplicity')!.reasons.map((r) => r.text);
    expect(texts('clerk+supabase+vercel')).toContain("Supabase holds the data and Clerk the users: Supabase's own sign-in, on which its data API and access rules are built, goes unused");
    expect(texts('authlib+supabase+vercel').some((t) => t.startsWith('Supabase holds the data and Auth library'))).toBe(true);
    expect(texts('supabase+vercel').some((t) => t.includes('goes unused'))).toBe(false);
  });

  it("leaves Neon's partial sign-in beside Clerk alone", () => {
    const simplicity = (weights?: Weights) => criterionOf(app, 'clerk+neon+vercel', 'simplicity', weights)!.score;
    expect(simplicity()).toBe(simplicity(without));
  });
});
