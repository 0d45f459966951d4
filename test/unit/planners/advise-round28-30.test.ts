import { describe, expect, it } from 'vitest';
import { advise } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { adviseYaml as run, withSimplicity } from '../../helpers/advise.js';

const catalog = loadCatalog();

const hostingCredit = (a: ReturnType<typeof run>, key: string): number | undefined =>
  a.stacks.find((s) => s.key === key)?.criteria.find((c) => c.id === 'capabilities')?.score;

/** Round 28: a site and nothing else makes serving it the whole question. */
describe('advise: round 28', () => {
  const site = 'app: { kind: content, frontend: static }\n';

  it('puts a host built around serving sites first for a site with nothing else asked', () => {
    const a = run(site);
    expect(a.stacks[0]!.key).toBe('vercel');
    expect(hostingCredit(a, 'vercel')).toBe(1);
    expect(hostingCredit(a, 'firebase')).toBeLessThan(1);
    const why = a.stacks[0]!.criteria.find((c) => c.id === 'capabilities')!.reasons.map((r) => r.text).join('\n');
    expect(why).toMatch(/web hosting: Vercel is built around it/);
  });

  it('keeps hosting a commodity once the site has sign-in or data beside it', () => {
    // Round 107: sign-in alone keeps no database, so the hosts of the static build are folded
    // into one stack; Firebase Hosting serves it alike and is named beside it.
    const signIn = run(`${site}auth: { needed: true }\n`);
    expect(hostingCredit(signIn, 'clerk+cloudflare')).toBe(1);
    expect(signIn.stacks.find((s) => s.key === 'clerk+cloudflare')?.alsoHostedOn).toContain('firebase');
    // Pinned to the weights before round 92, whose marketplace pair (Neon billed through
    // Vercel) folds Firebase's line for Neon into Vercel's; the credit is what is read here.
    const data = run(`${site}data: { model: relational }\n`, 50, withSimplicity({ billed_through_host: 0 }));
    expect(hostingCredit(data, 'firebase+neon')).toBe(1);
    // Nhost's line is served by Firebase Hosting or Cloudflare alike: one leads, the other is
    // folded into it. Which one leads is a tie-break (round 67: Workers' track record since 2018
    // put Cloudflare first; session 22: Firebase's vector search, offered though not asked for,
    // puts Firebase first on what the platforms offer); the credit is full either way.
    const nhost = data.stacks.find((s) => s.key === 'firebase+nhost' || s.key === 'cloudflare+nhost');
    expect(nhost && hostingCredit(data, nhost.key)).toBe(1);
    expect(nhost?.alsoHostedOn).toContain(nhost?.roles.compute === 'firebase' ? 'cloudflare' : 'firebase');
  });

  it('treats `--only compute` as before', () => {
    const a = run(`${site}decide: [compute]\n`);
    expect(a.stacks[0]!.key).toBe('vercel');
  });
});

/** Round 29: PlanetScale's GA date, from a source of the same grade as Auth0's and Keycloak's. */
describe('advise: round 29', () => {
  it('dates PlanetScale in production since its GA of November 2021, with the source named', () => {
    const a = run('data: { model: relational }\ndecide: [database]\nstage: growth\n');
    const ps = a.stacks.find((s) => s.key === 'planetscale')!;
    const text = ps.criteria.find((c) => c.id === 'maturity')!.reasons.map((r) => r.text).join('\n');
    expect(text).toMatch(/PlanetScale: in production since 2021-11 \(\d+(\.\d)? years\), 99\.95% uptime SLA/);
    expect(ps.criteria.find((c) => c.id === 'maturity')!.score).toBe(1);
  });
});

/** Round 30: a product deciding only its sign-in is run by a small team, not one person. */
describe('advise: round 30', () => {
  const signIn = 'auth: { needed: true }\ndecide: [auth]\n';

  it('assumes a team of 3 when only the sign-in is decided and no team is given, and says why', () => {
    const a = run(signIn);
    expect(a.assumptions.join('\n')).toMatch(/team size not given: a team of 3 assumed, since the product whose sign-in is decided already exists/);
    const keycloak = a.stacks.find((s) => s.key === 'keycloak')!;
    expect(keycloak.criteria.find((c) => c.id === 'simplicity')!.reasons.map((r) => r.text).join('\n')).toMatch(/a team of 3 runs the servers/);
  });

  it('is a weight: at simplicity.assumed_team.sign_in_decision 1 it assumes one person, as before', () => {
    const base = loadWeights();
    const w = { ...base, simplicity: { ...base.simplicity, assumed_team: { ...base.simplicity.assumed_team, sign_in_decision: 1 } } };
    const a = advise(catalog, parseRequirementsText(signIn, 'test.yaml'), { top: 50, weights: w });
    expect(a.assumptions.join('\n')).toMatch(/team size not given: one person assumed \(--team\)/);
  });

  it('keeps one person for whole-stack questions and a team that is given', () => {
    expect(run('auth: { needed: true }\ndata: { model: relational }\n').assumptions.join('\n')).toMatch(/team size not given: one person assumed/);
    const given = run(`${signIn}team_size: 1\n`);
    expect(given.assumptions.join('\n')).not.toMatch(/team size not given/);
    const keycloak = given.stacks.find((s) => s.key === 'keycloak')!;
    expect(keycloak.criteria.find((c) => c.id === 'simplicity')!.reasons.map((r) => r.text).join('\n')).toMatch(/a team of 1 runs the servers/);
  });
});
