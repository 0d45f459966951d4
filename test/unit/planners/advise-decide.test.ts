import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { adviseYaml as run, runCli as cli } from '../../helpers/advise.js';

/** `decide` / `--only`: a question about some roles only ("which sign-in do we add?"). */

describe('advise: deciding only some roles', () => {
  it('with nothing running today, ranks sign-in providers alone and says the rest is left out', () => {
    const a = run('auth: { needed: true, mau: 5000 }\ndecide: [auth]\n');
    expect(a.stacks.length).toBeGreaterThan(2);
    for (const s of a.stacks) expect(Object.keys(s.roles)).toEqual(['auth']);
    expect(a.assumptions.join('\n')).toMatch(/deciding only auth: database is left out/);
    // The app's traffic is not billed to the identity provider: only sign-in usage is.
    expect(a.usage.egress_gb).toBe(0);
    expect(a.usage.mau).toBe(5000);
  });

  it('keeps the roles it does not decide on the hosted platform that runs them today', () => {
    const a = run('auth: { needed: true, mau: 50000, enterprise_sso: true, organizations: true }\ncurrent: { database: supabase }\ndecide: [auth]\n');
    for (const s of a.stacks) {
      expect(s.roles.database).toBe('supabase');
      expect(s.selfHosted).not.toContain('supabase');
    }
    expect(new Set(a.stacks.map((s) => s.roles.auth)).size).toBeGreaterThan(3);
    expect(a.assumptions.join('\n')).toMatch(/database stays on Supabase \(current\)/);
    // A sign-in built for organisations and SSO beats the bundled one here.
    expect(a.stacks[0]?.roles.auth).not.toBe('supabase');
  });

  it('keeps a role on the platform named for it rather than on one read as holding every role', () => {
    const a = run('data: { model: relational }\napp: { frontend: react }\ncurrent: [ { id: supabase, roles: all }, { id: vercel, roles: [ compute ] } ]\ndecide: [database]\n');
    for (const s of a.stacks) expect(s.roles.compute).toBe('vercel');
    expect(a.assumptions.join('\n')).toMatch(/compute stays on Vercel \(current\)/);
  });

  it('gives a provider built around sign-in its edge when sign-in is the whole question', () => {
    const a = run('auth: { needed: true, mau: 5000 }\ndecide: [auth]\n');
    expect(['clerk', 'auth0', 'keycloak']).toContain(a.stacks[0]?.roles.auth);
    const caps = a.stacks[0]?.criteria.find((c) => c.id === 'capabilities');
    expect(caps?.reasons.map((x) => x.text).join('\n')).toMatch(/auth: \w+ is built around it/);
  });

  it('does not judge what a role outside the decision would provide', () => {
    const a = run('data: { model: relational }\nfeatures: { realtime: core }\nauth: { needed: true }\ndecide: [auth]\n');
    expect(a.satisfiable).toBe(true);
    for (const s of a.stacks) expect(s.violations).toEqual([]);
  });

  it('refuses to decide a role the requirements do not need, with a hint', () => {
    expect(() => run('auth: { needed: true }\ndecide: [cache]\n')).toThrow(UserError);
    expect(() => run('auth: { needed: true }\ndecide: [cache]\n')).toThrow(/--only cache: the requirements do not ask for a cache/);
  });

  it('takes --only on the command line, and names the accepted roles when one is wrong (exit 2)', async () => {
    const ok = await cli(['advise', '--only', 'auth', '--current', 'database=supabase', '--mau', '20000', '--orgs', '--json']);
    expect(ok.code).toBe(0);
    const data = JSON.parse(ok.out);
    expect(data.stacks.every((s: { roles: { database?: string } }) => s.roles.database === 'supabase')).toBe(true);
    const bad = await cli(['advise', '--only', 'authx', '--mau', '100']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--only "authx" is not one of database, auth, compute, cache \(did you mean auth\?\)/);
    const idle = await cli(['advise', '--only', 'cache', '--mau', '100']);
    expect(idle.code).toBe(2);
    expect(idle.err).toMatch(/hint: Add a cache \(--cache\)/);
  });
});
