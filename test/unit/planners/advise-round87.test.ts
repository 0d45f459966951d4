import { describe, expect, it } from 'vitest';
import { memberMaturity } from '../../../src/planners/advise-criteria.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml as run } from '../../helpers/advise.js';

/**
 * Round 87: PocketBase says it is "NOT recommended for production critical applications yet".
 * A tiny tool (a person or two, an MVP, few users, little data) is not such an application, so
 * there the warning weighs as an unknown fact (`maturity.pre_ga_tiny`), not as a zero; anywhere
 * else it still counts in full.
 */
describe('advise: round 87', () => {
  const catalog = loadCatalog();
  const w = loadWeights();
  const pocketbase = { platform: findPlatform(catalog, 'pocketbase'), roles: ['database' as const], mode: 'self-hosted' as const };

  it('weighs a pre-release warning as an unknown for a tiny tool only', () => {
    expect(w.maturity.pre_ga).toBe(0);
    expect(w.maturity.pre_ga_tiny).toBe(w.maturity.unknown);
    const full = memberMaturity(pocketbase, catalog.assumptions.catalog_date, w);
    expect(full.score).toBe(0);
    expect(full.text).toBe('PocketBase (self-hosted): the vendor says it is not for production-critical use yet, on your servers the uptime is yours to keep');
    const tiny = memberMaturity(pocketbase, catalog.assumptions.catalog_date, w, true);
    expect(tiny.score).toBeCloseTo(w.maturity.unknown, 6);
    expect(tiny.text).toMatch(/not for production-critical use yet, which a tiny tool is not,/);
    // A platform out of pre-release is not touched.
    const supabase = { ...pocketbase, platform: findPlatform(catalog, 'supabase') };
    expect(memberMaturity(supabase, catalog.assumptions.catalog_date, w, true)).toEqual(memberMaturity(supabase, catalog.assumptions.catalog_date, w));
  });

  const tool = (team: number, stage = 'mvp') =>
    `stage: ${stage}\nteam_size: ${team}\napp: { kind: internal, frontend: none }\ndata: { model: relational, size_gb: 1 }\nauth: { needed: true, mau: 40 }\nconstraints: { self_hosting: required }\n`;
  const maturityOf = (yaml: string) => {
    const pb = run(yaml, 80).stacks.find((s) => s.key === 'pocketbase');
    expect(pb, 'pocketbase in the first 80').toBeDefined();
    return { rank: pb!.rank, maturity: pb!.criteria.find((c) => c.id === 'maturity')! };
  };

  it('puts PocketBase first for a one-person self-hosted tool, and says why its warning counts less', () => {
    const { rank, maturity } = maturityOf(tool(1));
    expect(rank).toBe(1);
    expect(maturity.score).toBeCloseTo(w.maturity.unknown, 6);
    expect(maturity.reasons).toContainEqual(expect.objectContaining({ effect: 'note', text: expect.stringMatching(/which a tiny tool is not/) }));
  });

  it('keeps the warning in full for a larger team or a product past its MVP', () => {
    for (const yaml of [tool(8), tool(1, 'growth')]) {
      const { rank, maturity } = maturityOf(yaml);
      expect(maturity.score).toBe(0);
      expect(rank).toBeGreaterThan(1);
      expect(maturity.reasons).toContainEqual(expect.objectContaining({ effect: 'con', text: expect.not.stringMatching(/tiny tool/) }));
    }
  });
});
