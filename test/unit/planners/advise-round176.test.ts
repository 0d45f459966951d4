import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { loadWeights, type Weights } from '../../../src/planners/advise-weights.js';
import { adviseYaml as run, criterionOf, withWeights } from '../../helpers/advise.js';

/**
 * Round 176: a host that only runs Next.js's own Node server in a container (Railway) earns
 * `ecosystem.node_server_host` (0.3) of what a host built around Next.js earns, not half; and
 * Better Auth's v1 release date (22 November 2024) is in the catalog, so its track record is
 * dated. Teams with a Next.js app and their own sign-in put Neon beside Vercel far more often
 * than Railway alone.
 */
describe('advise: round 176', () => {
  const w = loadWeights();
  const withNodeServer = (share: number): Weights => withWeights('ecosystem', { node_server_host: share });
  const app = 'app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true }\n';
  const keys = (stacks: { key: string }[]) => stacks.map((s) => s.key);

  it('keeps the node-server credit a weight, below half', () => {
    expect(w.ecosystem.node_server_host).toBe(0.3);
    expect(w.ecosystem.node_server_host).toBeLessThan(0.5);
  });

  it('puts an auth library on Vercel among the first three for a Next.js app with sign-in, and Neon with it before Railway with it', () => {
    const now = keys(run(app, 10).stacks);
    // Neon's database with the library on Vercel is third (round 183 ordered its tie with Supabase's).
    expect(now.slice(0, 3).some((k) => k === 'authlib+neon+vercel' || k === 'authlib+supabase+vercel')).toBe(true);
    expect(now.slice(0, 4)).toContain('authlib+neon+vercel');
    expect(now.indexOf('authlib+neon+vercel')).toBeLessThan(now.indexOf('authlib+railway'));
    // At half credit, as before, Railway with the library came first of the two.
    const before = keys(run(app, 10, withNodeServer(0.5)).stacks);
    expect(before.indexOf('authlib+railway')).toBeLessThan(before.indexOf('authlib+neon+vercel'));
  });

  it('still names Railway as running the Node server, with less credit', () => {
    const eco = (weights?: Weights) => criterionOf(app, 'authlib+railway', 'ecosystem', weights)!;
    expect(eco().reasons.map((r) => r.text)).toContain('nextjs: Railway runs its Node server in a container (every feature, no framework-specific integration)');
    expect(eco().score).toBeLessThan(eco(withNodeServer(0.5)).score);
  });

  it("dates Better Auth's track record from its v1 release", () => {
    const authlib = loadCatalog().platforms.find((p) => p.id === 'authlib')!;
    expect(authlib.maturity.since).toBe('2024-11');
    const maturity = criterionOf(app, 'authlib+neon+vercel', 'maturity')!;
    expect(maturity.reasons.map((r) => r.text)).toContain('Auth library (Better Auth): in production since 2024-11 (2 years), on your servers the uptime is yours to keep');
  });
});
