import { describe, expect, it } from 'vitest';
import { lookAlikeKind, secondAsAlternative, type RankedStack } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { adviceText } from '../../../src/planners/render.js';
import { adviseYaml as run, criterionOf, withSimplicity, withWeights } from '../../helpers/advise.js';

/**
 * Round 192, two changes decided together:
 * - a look-alike of #1's database platform (the same engine and data model, holding the users
 *   too, run the same way: Nhost's cloud beside Supabase's) is a variant of #1, not another
 *   approach (`ranking.look_alike_is_variant`);
 * - for a server-rendered frontend, a backend part reached through its plain browser SDK earns
 *   `ecosystem.web_sdk_credit` of its share, as it does for a static build (Firebase for a
 *   Next.js app on Vercel).
 */
describe('advise: round 192', () => {
  const catalog = loadCatalog();
  const w = loadWeights();
  const off = withWeights('ranking', { look_alike_is_variant: false });
  // A SaaS with functions and containers: Supabase with Railway first, Nhost with Railway second before.
  const saas = ['stage: growth', 'team_size: 1', 'app: { kind: saas }', 'data: { model: relational }', 'features: { functions: some, containers: some }', 'auth: { needed: true, mau: 360 }', 'constraints: { budget_monthly: 125 }'].join('\n');

  it('is on in the weights file', () => {
    expect(w.ranking.look_alike_is_variant).toBe(true);
  });

  it('gives a kind to a database platform that holds the users: the engine, the model and how it runs', () => {
    const kind = (database: string, auth: string, selfHosted: string[] = []) => lookAlikeKind(catalog, { roles: { database, auth }, selfHosted });
    expect(kind('supabase', 'supabase')).toBe('postgres relational managed');
    expect(kind('nhost', 'nhost')).toBe(kind('supabase', 'supabase'));
    expect(kind('supabase', 'supabase', ['supabase'])).toBe('postgres relational self-hosted');
    expect(kind('firebase', 'firebase')).not.toBe(kind('appwrite', 'appwrite'));
    // Users signing in elsewhere: a database, not a backend of a kind.
    expect(kind('neon', 'clerk')).toBeUndefined();
  });

  it('moves the best stack of another kind up past a look-alike of #1 in second place, and names it', () => {
    const r = parseRequirementsText('data: { model: relational }\n', 'test.yaml') as never;
    const clean = { policy: 0, capability: 0, budget: 0, warnings: 0 };
    const stack = (key: string, database: string, auth = database) => ({ key, roles: { database, auth }, selfHosted: [], breach: clean }) as unknown as RankedStack;
    const list = [stack('a', 'supabase'), stack('b', 'nhost'), stack('c', 'nhost'), stack('d', 'neon', 'clerk'), stack('e', 'firebase')];
    const kindOf = (s: RankedStack) => lookAlikeKind(catalog, s);
    const out = secondAsAlternative(list, r as never, w, kindOf);
    // #2 on Neon; #3 neither Supabase, Neon nor a look-alike of Supabase: Firebase.
    expect(out.map((s) => s.key)).toEqual(['a', 'd', 'e', 'b', 'c']);
    expect(out[1]?.alternativeTo).toEqual({ role: 'database', platform: 'supabase', lookAlike: 'nhost' });
    expect(secondAsAlternative(list, r as never, off, kindOf).map((s) => s.key)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Without a kind (the default), only the same platform is a variant.
    expect(secondAsAlternative(list, r as never, w).map((s) => s.key)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('no longer puts Nhost second behind Supabase for a SaaS, and says why under the table', () => {
    const before = run(saas, 6, off).stacks;
    expect(before.slice(0, 2).map((s) => s.key)).toEqual(['railway+supabase', 'nhost+railway']);
    const a = run(saas, 6);
    expect(a.stacks[0]?.key).toBe('railway+supabase');
    expect(a.stacks.slice(1, 3).some((s) => s.roles.database === 'nhost')).toBe(false);
    expect(a.stacks[1]?.alternativeTo?.lookAlike).toBe('nhost');
    expect(adviceText(a)).toContain('#2 is the best stack on another database platform than supabase or one of its kind (nhost: the same engine and data model, holding the users too)');
  });

  it('moves a look-alike of #1 out of third place too when #2 already differs, and says so', () => {
    const realtime = 'stage: mvp\nteam_size: 1\napp: { kind: web, frontend: nextjs }\ndata: { model: relational, size_gb: 0.3 }\nfeatures: { realtime: some }\nauth: { needed: true, mau: 2000 }\nconstraints: { budget_monthly: 50 }\n';
    // Pinned to the library upkeep before round 205 (which puts Convex with a library third by score here)
    // and to relational data fitting Convex fully, as before round 219 (which moves Convex below Nhost here).
    const pin = { ...withSimplicity({ library_upkeep_server_rendered: w.simplicity.library_upkeep }), data: { ...w.data, joins_in_code: 1 } };
    const offPinned = { ...pin, ranking: off.ranking };
    const before = run(realtime, 6, offPinned).stacks;
    const now = run(realtime, 6, pin).stacks;
    expect(now.slice(0, 2).map((s) => s.key)).toEqual(before.slice(0, 2).map((s) => s.key));
    expect(now[1]?.alternativeTo).toBeUndefined();
    const lookAlike = before.findIndex((s) => s.roles.database === 'nhost');
    expect(lookAlike).toBe(2);
    const third = now[2]!;
    expect([now[0]!.roles.database, now[1]!.roles.database, 'nhost']).not.toContain(third.roles.database);
    expect(third.alternativeTo).toEqual({ role: 'database', platform: now[0]!.roles.database, also: now[1]!.roles.database, lookAlike: 'nhost' });
    expect(now[3]?.key).toBe(before[2]?.key);
    expect(adviceText(run(realtime, 4, pin))).toContain(`#3 is the best stack on neither ${now[0]!.roles.database} nor ${now[1]!.roles.database} nor one of their kind (nhost: the same engine and data model, holding the users too)`);
  });

  it("credits Firebase's browser SDK in a Next.js app's backend share, and says it is the plain one", () => {
    const next = 'app: { kind: web, frontend: nextjs }\ndata: { model: document }\nauth: { needed: true }\n';
    const eco = criterionOf(next, 'firebase+vercel', 'ecosystem')!;
    // Vercel hosts Next.js first-class (0.7); Firebase's plain browser SDK earns 0.75 of the rest.
    expect(eco.score).toBeCloseTo(w.ecosystem.host_share + (1 - w.ecosystem.host_share) * w.ecosystem.web_sdk_credit, 5);
    expect(eco.reasons).toContainEqual(expect.objectContaining({ effect: 'note', text: 'nextjs: Firebase through the plain browser SDK, no nextjs bindings' }));
    // A part with Next.js bindings still earns the whole share, and one with no browser SDK none.
    expect(criterionOf(next, 'clerk+convex+vercel', 'ecosystem')!.score).toBe(1);
    expect(criterionOf('app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: false }\n', 'planetscale+vercel', 'ecosystem')!.score).toBeCloseTo(w.ecosystem.host_share, 5);
  });
});
