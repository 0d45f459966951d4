import { describe, expect, it } from 'vitest';
import { billedThroughHost } from '../../../src/planners/advise-criteria.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import type { StackMember } from '../../../src/planners/cost.js';
import { adviseYaml, withSimplicity } from '../../helpers/advise.js';

/**
 * Round 92: a database the host's marketplace creates and bills on the host's account, its
 * connection settings put into the host's project (catalog `billed_through`: Supabase, Neon and
 * Convex on the Vercel Marketplace), is one account and one bill with the host: it costs half a
 * service to integrate beside that host (`simplicity.billed_through_host`).
 */
describe('advise: round 92', () => {
  const catalog = loadCatalog();
  const w = loadWeights();
  const member = (id: string, roles: StackMember['roles']): StackMember => ({ platform: findPlatform(catalog, id), roles, mode: 'cloud' });
  const rank = (yaml: string, weights = w) => adviseYaml(yaml, 3, weights);

  it('lists the Vercel Marketplace for Supabase, Neon and Convex, each with its vendor page', () => {
    for (const id of ['supabase', 'neon', 'convex']) {
      const p = findPlatform(catalog, id);
      const b = p.billed_through.find((x) => x.host === 'vercel');
      expect(b, id).toBeDefined();
      expect(p.sources[b!.source]?.url, id).toMatch(/^https:\/\//);
    }
    expect(w.simplicity.billed_through_host).toBe(0.5);
  });

  it('counts the pair only for the database beside the host that bills it', () => {
    expect(billedThroughHost([member('supabase', ['database', 'auth']), member('vercel', ['compute'])])?.host.platform.id).toBe('vercel');
    expect(billedThroughHost([member('neon', ['database']), member('clerk', ['auth']), member('vercel', ['compute'])])?.database.platform.id).toBe('neon');
    // Another host, no host, or one platform holding both.
    expect(billedThroughHost([member('supabase', ['database', 'auth']), member('cloudflare', ['compute'])])).toBeUndefined();
    expect(billedThroughHost([member('supabase', ['database', 'auth'])])).toBeUndefined();
    expect(billedThroughHost([member('firebase', ['database', 'auth', 'compute'])])).toBeUndefined();
    // A database the catalog does not list on that marketplace.
    expect(billedThroughHost([member('planetscale', ['database']), member('vercel', ['compute'])])).toBeUndefined();
  });

  it('ranks Supabase on Vercel first for a Next.js web app with sign-in, and says why', () => {
    const yaml = 'app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { mau: 1000 }\n';
    const [first] = rank(yaml).stacks;
    expect(first?.key).toBe('supabase+vercel');
    const simplicity = first!.criteria.find((c) => c.id === 'simplicity')!;
    expect(simplicity.reasons).toContainEqual(expect.objectContaining({ effect: 'pro', text: "Supabase is created and billed through Vercel's marketplace: one account and one bill" }));
    // Without the marketplace's share the same stack scores lower, and says nothing of it.
    const [before] = rank(yaml, withSimplicity({ billed_through_host: 0 })).stacks;
    expect(before?.key).toBe('supabase+vercel');
    expect(before!.score).toBeLessThan(first!.score);
    expect(before!.criteria.find((c) => c.id === 'simplicity')!.reasons.map((r) => r.text).join(' ')).not.toMatch(/marketplace/);
  });
});
