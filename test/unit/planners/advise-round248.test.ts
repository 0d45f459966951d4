import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml, criterionIn, rankOf, reasonFor, reasonText, stackOf } from '../../helpers/advise.js';

/**
 * Round 248: Convex is built around its reactive database (catalog `designed_for: [realtime]`),
 * not around running server code. Its functions are that database's API; server code a team
 * states beside its data runs there fully, as in Firebase's Cloud Functions, without a
 * specialist's edge. Workers (Cloudflare) stay built around functions.
 */
describe('advise: round 248', () => {
  const mobile = adviseYaml(['app: { kind: mobile, frontend: react-native }', 'data: { model: document }', 'features: { functions: some }'].join('\n'));
  const capabilities = (key: string) => criterionIn(mobile, key, 'capabilities');

  it('lists realtime alone as what Convex is built around, with the source for its functions', () => {
    const platforms = loadCatalog().platforms;
    const convex = platforms.find((p) => p.id === 'convex')!;
    expect(convex.designed_for).toEqual(['realtime']);
    expect(convex.provides.functions).toBe(true);
    expect(convex.sources.functions?.url).toMatch(/^https:\/\/app\.unpkg\.com\/convex@/);
    expect(platforms.find((p) => p.id === 'cloudflare')!.designed_for).toContain('functions');
  });

  it('credits Convex with functions as fully as Firebase, and no more', () => {
    const convex = capabilities('convex');
    expect(convex.score).toBeCloseTo(capabilities('firebase').score, 5);
    expect(reasonFor(mobile, 'convex', 'capabilities', 'features.functions').text).toBe('server functions: Convex');
  });

  it('ranks Firebase above Convex for a mobile app with document data and server functions', () => {
    expect(rankOf(mobile, 'firebase')).toBeLessThan(rankOf(mobile, 'convex'));
  });

  it('still counts Convex as built around realtime', () => {
    const a = adviseYaml('app: { kind: web, frontend: react }\ndata: { model: document }\nfeatures: { realtime: core }\n');
    expect(stackOf(a, 'convex')).toBeDefined();
    expect(reasonText(a, 'convex', 'capabilities')).toMatch(/realtime \(core\): Convex is built around it/);
  });
});
