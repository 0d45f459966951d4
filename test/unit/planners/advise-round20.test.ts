import { describe, expect, it } from 'vitest';
import { adviseYaml as run } from '../../helpers/advise.js';

/** Round 20: a running product's own server, the egress of API calls, and Workers KV as a cache. */
describe('advise: round 20', () => {
  it('offers an auth library to a running product that decides only its sign-in, frontend named or not', () => {
    const a = run('app: { kind: saas }\nauth: { needed: true }\ncurrent: { auth: clerk }\nleaving: { platforms: [clerk], because: [lock_in] }\ndecide: [auth]\n');
    expect(a.stacks.slice(0, 5).some((s) => s.roles.auth === 'authlib')).toBe(true);
    // A product that does not run yet (nothing current) has no server of its own to put it in.
    const fresh = run('app: { kind: saas }\nauth: { needed: true }\ndecide: [auth]\n');
    expect(fresh.stacks.some((s) => s.roles.auth === 'authlib')).toBe(false);
  });

  it('counts 10 kB per request where no pages are served, 50 kB where a web frontend is hosted', () => {
    const mobile = run('app: { kind: mobile }\ndata: { model: relational }\nauth: { needed: true, mau: 1000 }\n');
    expect(mobile.assumptions.join('\n')).toMatch(/egress = 3 GB\/month \(10 kB per request: API responses, no pages served\)/);
    const web = run('app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true, mau: 1000 }\n');
    expect(web.assumptions.join('\n')).toMatch(/egress = 15 GB\/month \(50 kB per request\)/);
  });

  it('counts Workers KV as a partial cache, so a Workers product can keep its cache on Cloudflare', () => {
    const a = run('features: { cache: core, edge: some }\ncurrent: { database: supabase, compute: cloudflare }\ndecide: [cache]\n');
    expect(a.stacks[0]?.roles.cache).toBe('cloudflare');
    // Redis-grade high availability is still not Workers KV's.
    const ha = run('features: { cache_ha: core }\ndata: { model: relational }\n');
    expect(ha.stacks.slice(0, 5).every((s) => s.roles.cache !== 'cloudflare')).toBe(true);
  });
});

/** Round 21: a team that wants to self-host has a backend to run. */
describe('advise: round 21', () => {
  it('includes a database when self-hosting is asked for, though no data model is given', () => {
    for (const pref of ['preferred', 'required']) {
      const a = run(`app: { kind: web }\nconstraints: { self_hosting: ${pref} }\n`);
      expect(a.assumptions.join('\n'), pref).toMatch(/data model not given: a database is included/);
      expect(a.stacks[0]?.roles.database, pref).toBeDefined();
    }
    // Without it a web app that keeps nothing is still the site itself.
    expect(run('app: { kind: web }\nconstraints: { self_hosting: any }\n').assumptions.join('\n')).toMatch(/no database assumed/);
  });
});
