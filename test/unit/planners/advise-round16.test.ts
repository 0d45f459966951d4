import { describe, expect, it } from 'vitest';
import { adviseYaml as run, runCli as cli } from '../../helpers/advise.js';

/** Round 16: a site that is only a site, and requirements that ask for nothing. */
describe('advise: the site itself, and nothing at all', () => {
  it('takes a web or content app with no data, sign-in or code as a static site to host, and says so', () => {
    const a = run('app: { kind: content }\ndata: { model: none }\n');
    expect(a.stacks.length).toBeGreaterThan(2);
    for (const s of a.stacks.slice(0, 5)) expect(Object.keys(s.roles)).toEqual(['compute']);
    expect(a.assumptions.join('\n')).toMatch(/the site itself is assumed, a static frontend to host \(--frontend\)/);
    // Leaving the current host still works from there.
    const left = run('app: { kind: web }\ndata: { model: none }\ncurrent: { compute: vercel }\nleaving: vercel\n');
    expect(left.stacks[0]?.roles.compute).toBeDefined();
    for (const s of left.stacks) expect(s.roles.compute).not.toBe('vercel');
  });

  it('adds no site when the app has data, sign-in or code of its own', () => {
    for (const yaml of ['app: { kind: web }\nauth: { needed: true }\n', 'app: { kind: web }\ndata: { model: none }\nfeatures: { functions: some }\n', 'app: { kind: api }\ndata: { model: none }\n']) {
      const a = run(yaml);
      expect(a.assumptions.join('\n'), yaml).toMatch(/no frontend given: no web hosting is added/);
    }
  });

  it('refuses requirements that ask for nothing, with a hint (exit 2)', async () => {
    const r = await cli(['advise', '--data-model', 'none', '--no-auth', '--frontend', 'none']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/ask for nothing to store, sign in, host or run/);
    expect(r.err).toMatch(/hint: Say what the product needs/);
  });
});

/** Round 19: a database that scales to zero by itself is billed for the hours traffic keeps it up. */
describe('advise: hours with traffic', () => {
  it("assumes an MVP's traffic keeps such a database up half the day, and says so", () => {
    const mvp = run('stage: mvp\napp: { frontend: nextjs }\ndata: { model: relational }\n');
    expect(mvp.assumptions.join('\n')).toMatch(/a database that scales to zero runs 365 h\/month/);
    const neon = mvp.stacks.find((s) => s.roles.database === 'neon');
    expect(neon?.cost.plans.find((p) => p.platform === 'neon')).toMatchObject({ plan: 'free', monthly: 0 });
    // From a million requests a month, and past the MVP stage, it runs all month.
    for (const yaml of ['stage: mvp\ntraffic: { requests_per_month: 2000000 }\n', 'stage: growth\n']) {
      const a = run(`${yaml}app: { frontend: nextjs }\ndata: { model: relational }\n`);
      expect(a.assumptions.join('\n'), yaml).not.toMatch(/scales to zero runs 365/);
    }
    // Nothing to store, no such database to assume hours for.
    expect(run('app: { kind: web, frontend: vue }\nfeatures: { functions: some }\n').assumptions.join('\n')).not.toMatch(/scales to zero/);
  });
});
