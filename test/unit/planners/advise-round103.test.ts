import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml as run } from '../../helpers/advise.js';

/**
 * Round 103: compliance facts that were unknown, now read from the vendors' own pages (Auth0's
 * compliance page, PlanetScale's security page, Vercel's compliance page, Cloudflare's DPA).
 * A BAA that only Enterprise customers get is priced on an Enterprise plan whose price comes from
 * sales; one given "on request" with no plan named is an add-on of unknown price on every plan.
 */
describe('advise: round 103 compliance facts', () => {
  const catalog = loadCatalog();
  const facts = (id: string) => catalog.platforms.find((p) => p.id === id)!.compliance;
  const hipaa = 'app: { kind: b2b-saas }\ndata: { model: relational }\nauth: { needed: true, mau: 1000 }\nconstraints: { compliance: [hipaa] }\n';
  const stackOf = (yaml: string, key: string) => run(yaml, 500).stacks.find((s) => s.key === key);
  const planIn = (stack: ReturnType<typeof stackOf>, platform: string) => stack?.cost.plans.find((p) => p.platform === platform);
  const planOf = (yaml: string, key: string, platform: string) => planIn(stackOf(yaml, key), platform);

  it('records the facts the vendor pages give, each with its source', () => {
    expect([facts('auth0').soc2?.status, facts('auth0').iso27001?.status, facts('auth0').hipaa?.status]).toEqual(['yes', 'yes', 'yes']);
    expect([facts('planetscale').soc2?.status, facts('planetscale').hipaa?.plan, facts('planetscale').gdpr?.status]).toEqual(['yes', 'enterprise', 'yes']);
    expect(facts('planetscale').iso27001?.status).toBe('unknown');
    expect(facts('vercel').hipaa?.plan).toBe('enterprise');
    expect(facts('cloudflare').gdpr?.status).toBe('yes');
    expect(facts('cloudflare').hipaa?.status).toBe('unknown');
  });

  it('prices Vercel for a HIPAA product on Enterprise, whose price is not published', () => {
    const web = hipaa.replace('app: { kind: b2b-saas }', 'app: { kind: b2b-saas, frontend: nextjs }');
    const vercel = planOf(web, 'neon+vercel', 'vercel');
    expect(vercel?.plan).toBe('enterprise');
    expect(vercel?.hasUnknown).toBe(true);
    // Without HIPAA the same stack stays on a self-serve plan.
    expect(planOf(web.replace('compliance: [hipaa]', 'compliance: []'), 'neon+vercel', 'vercel')?.plan).not.toBe('enterprise');
  });

  it("adds Auth0's BAA as an add-on of unknown price, and confirms Auth0 beside a database that signs one", () => {
    const stack = stackOf(hipaa, 'auth0+neon');
    expect(stack?.warnings).toEqual([]);
    expect(stack?.violations).toEqual([]);
    expect(planIn(stack, 'auth0')?.hasUnknown).toBe(true);
    expect(planOf(hipaa.replace('compliance: [hipaa]', 'compliance: []'), 'auth0+neon', 'auth0')?.hasUnknown).toBe(false);
  });
});
