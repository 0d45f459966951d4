import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { adviseYaml as run, criterionOf, withWeights } from '../../helpers/advise.js';

/**
 * Round 97: a sign-in library is code in the team's own app, not a service to integrate and
 * pay. It no longer counts in `simplicity.vendor_step`; its upkeep (`library_upkeep`, 0.25) is
 * its whole cost, so a Next.js app with its own sign-in beside a database and a host is weighed
 * as two services plus the auth code.
 */
describe('advise: round 97', () => {
  const app = 'app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true }\n';
  const simplicityOf = (yaml: string, key: string) => criterionOf(yaml, key, 'simplicity');

  it('counts the services beside a sign-in library, not the library itself', () => {
    const lib = simplicityOf(app, 'authlib+neon+vercel')!;
    const texts = lib.reasons.map((r) => r.text);
    expect(texts).toContain('2 services to integrate and pay at the mvp stage');
    expect(texts.join('\n')).toMatch(/Auth library \(Better Auth\): sign-in flows, emails and security updates are code you keep up/);
    // The library beside Neon on Vercel costs its upkeep on top of what Neon on Vercel costs
    // (in a Next.js app's own server code, round 205's smaller upkeep).
    const plain = simplicityOf(app, 'neon+vercel')!;
    expect(plain.score - lib.score).toBeCloseTo(loadWeights().simplicity.library_upkeep_server_rendered, 5);
  });

  it('puts a library with one host among the first three for a Next.js app with sign-in', () => {
    // Pinned to the node-server credit of round 97 (0.5; round 176 lowered it, which put Neon with
    // the library on Vercel before Railway with it).
    const a = run(app, 3, withWeights('ecosystem', { node_server_host: 0.5 }));
    expect(a.stacks.map((s) => s.key)).toContain('authlib+railway');
    const one = a.stacks.find((s) => s.key === 'authlib+railway')!.criteria.find((c) => c.id === 'simplicity')!;
    expect(one.reasons.map((r) => r.text)).toContain('one service to learn, bill and secure');
  });

  it('says nothing about services for a library alone', () => {
    const alone = simplicityOf('app: { kind: web }\ndata: { model: relational }\nauth: { needed: true }\ndecide: [auth]\n', 'authlib');
    expect(alone).toBeDefined();
    expect(alone!.reasons.map((r) => r.text).join('\n')).not.toMatch(/service/);
  });

  it('keeps the upkeep a weight', () => {
    expect(loadWeights().simplicity.library_upkeep).toBe(0.25);
  });
});
