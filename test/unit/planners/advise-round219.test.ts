import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { criterionOf, withWeights } from '../../helpers/advise.js';

/**
 * Round 219: relational data on a database with no SQL, whose joins and aggregates are written in
 * its functions' code (catalog `joins_in_code`: Convex), fits by `data.joins_in_code` instead of
 * fully; a SQL database gives them declared.
 */
describe('advise: round 219', () => {
  const w = loadWeights();
  const before = withWeights('data', { joins_in_code: 1 });
  const app = (model: string) => ['stage: mvp', 'app: { kind: web, frontend: nextjs }', `data: { model: ${model} }`, 'features: { realtime: core }'].join('\n');

  it('marks Convex alone as a database whose joins are code, with the source it rests on', () => {
    const platforms = loadCatalog().platforms;
    expect(platforms.filter((p) => p.provides.database?.joins_in_code).map((p) => p.id)).toEqual(['convex']);
    const convex = platforms.find((p) => p.id === 'convex')!;
    expect(convex.sources.sql_translate?.url).toMatch(/^https:\/\/stack\.convex\.dev\//);
    expect(w.data.joins_in_code).toBeGreaterThan(w.data.fit.relational.document);
    expect(w.data.joins_in_code).toBeLessThan(1);
  });

  it('docks relational data on Convex and says why, and nothing else', () => {
    const convex = criterionOf(app('relational'), 'convex+vercel', 'data')!;
    expect(convex.score).toBeCloseTo(w.data.joins_in_code, 5);
    expect(convex.reasons.map((r) => r.text).join('\n')).toMatch(/relational data on Convex \(convex, mixed\) with no SQL: joins and aggregates are written in its functions' code/);
    // Documents or both models on Convex, and relational data on Postgres, fit as before.
    expect(criterionOf(app('document'), 'convex+vercel', 'data')!.score).toBe(1);
    expect(criterionOf(app('mixed'), 'convex+vercel', 'data')!.score).toBe(1);
    expect(criterionOf(app('relational'), 'supabase+vercel', 'data')!.score).toBe(1);
  });

  it('fits fully, as before round 219, when the weight is 1', () => {
    const c = criterionOf(app('relational'), 'convex+vercel', 'data', before)!;
    expect(c.score).toBe(1);
    expect(c.reasons.map((r) => r.text).join('\n')).toMatch(/relational data fits Convex/);
  });
});
