import { describe, expect, it } from 'vitest';
import { advise, type RankedStack } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';

/** Round 8 of issue 15: data safety (who runs the database, point-in-time recovery, failover), from the vendors' pages. */

const catalog = loadCatalog();
const w = loadWeights();
const run = (yaml: string) => advise(catalog, parseRequirementsText(yaml, 'test.yaml'), { top: 800 });
const byKey = (a: ReturnType<typeof advise>, key: string): RankedStack => {
  const s = a.stacks.find((x) => x.key === key);
  if (!s) throw new Error(`${key} not ranked`);
  return s;
};
const safety = (s: RankedStack) => s.criteria.find((c) => c.id === 'data_safety');

describe('advise round 8: data safety', () => {
  it('records each data-safety fact with the vendor page it comes from', () => {
    for (const p of catalog.platforms) {
      const f = p.data_safety;
      if (f.managed === undefined && f.pitr === undefined && f.ha === undefined) continue;
      const src = p.sources[f.source ?? ''];
      expect(src?.url, p.id).toMatch(/^https:\/\//);
      expect(src?.as_of, p.id).toMatch(/^\d{4}-\d{2}/);
    }
  });

  it('judges the part that holds the database: point-in-time recovery always, failover from the growth stage on', () => {
    const mvp = run('stage: mvp\ndata: { model: relational }\n');
    const ps = safety(byKey(mvp, 'planetscale'));
    expect(ps?.weight).toBe(w.data_safety.weight.mvp);
    expect(ps?.reasons.map((r) => r.text).join(' ')).toMatch(/PlanetScale: point-in-time recovery/);
    expect(ps?.reasons.map((r) => r.text).join(' ')).not.toMatch(/failover/);
    const scale = run('stage: scale\ndata: { model: relational }\n');
    expect(safety(byKey(scale, 'planetscale'))?.reasons.map((r) => r.text).join(' ')).toMatch(/automatic failover to a standby/);
    expect(safety(byKey(scale, 'planetscale'))?.score).toBe(1);
    // Supabase: read replicas, no automatic failover found.
    expect(safety(byKey(scale, 'supabase'))?.score).toBeLessThan(1);
  });

  it('scores a one-server database without point-in-time recovery, on your own servers, lowest', () => {
    const a = run('stage: growth\ndata: { model: relational }\nconstraints: { self_hosting: preferred }\n');
    const pb = safety(byKey(a, 'pocketbase'));
    const text = pb?.reasons.map((r) => r.text).join(' ') ?? '';
    expect(text).toMatch(/on your servers: backups, upgrades and restores are yours to run/);
    expect(text).toMatch(/no point-in-time recovery/);
    expect(pb?.score).toBeCloseTo((w.data_safety.self_run + w.data_safety.no_pitr + w.data_safety.ha.none) / 3, 6);
  });

  it('an unknown fact is neither a pass nor a gap', () => {
    const a = run('stage: mvp\ndata: { model: document }\n');
    const convex = safety(byKey(a, 'convex'));
    expect(convex?.reasons.map((r) => r.text).join(' ')).toMatch(/Convex: point-in-time recovery not confirmed by the catalog/);
    expect(convex?.score).toBeCloseTo((1 + w.data_safety.unknown) / 2, 6);
  });

  it('adds no data-safety criterion to a stack without a database', () => {
    const a = run('data: { model: none }\napp: { kind: web, frontend: nextjs }\n');
    for (const s of a.stacks) expect(safety(s)).toBeUndefined();
  });
});
