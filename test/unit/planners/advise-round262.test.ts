import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { adviseYaml, criterionIn, rankOf, reasonFor, reasonText, withWeights } from '../../helpers/advise.js';

/**
 * Round 262, two changes decided together:
 * - realtime at the core of a product over relational data, from a platform built around live
 *   queries over its own documents with joins written in code (catalog `joins_in_code`: Convex),
 *   earns `capabilities.realtime_joins_in_code` (full) instead of `designed_for`;
 * - a team moving its compute off the host built for its server-rendered framework (Vercel for
 *   Next.js) credits a host that runs the framework through its vendor's adapter (Next.js on
 *   Workers through OpenNext) `ecosystem.adapter_host_leaving` (0.3, as a Node server in a
 *   container), where otherwise an adapter earns no host credit.
 */
describe('advise: round 262', () => {
  const live = (model: string) => `app: { kind: game, frontend: nextjs }\ndata: { model: ${model} }\nfeatures: { realtime: core }\n`;

  it('credits live queries over joins in code as a full feature for relational data at the core', () => {
    expect(loadWeights().capabilities.realtime_joins_in_code).toBe('full');
    const a = adviseYaml(live('relational'));
    expect(reasonText(a, 'convex+vercel', 'capabilities')).toMatch(/^realtime \(core\): Convex is built around it for its own documents, with joins written in code/m);
    expect(criterionIn(a, 'convex+vercel', 'capabilities').score).toBeCloseTo(criterionIn(a, 'supabase+vercel', 'capabilities').score, 5);
    expect(rankOf(a, 'supabase+vercel')).toBeLessThan(rankOf(a, 'convex+vercel'));
  });

  it('is what moves it: with the designed-for credit Convex ranks above Supabase', () => {
    const a = adviseYaml(live('relational'), 50, withWeights('capabilities', { realtime_joins_in_code: 'designed_for' }));
    expect(rankOf(a, 'convex+vercel')).toBeLessThan(rankOf(a, 'supabase+vercel'));
  });

  it('keeps the designed-for credit for document data and for a secondary live need', () => {
    const doc = adviseYaml(live('document'));
    expect(reasonText(doc, 'convex+vercel', 'capabilities')).toMatch(/^realtime \(core\): Convex is built around it \(/m);
    const some = adviseYaml('app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nfeatures: { realtime: some }\n');
    expect(reasonText(some, 'convex+vercel', 'capabilities')).toMatch(/^realtime: Convex is built around it \(/m);
  });

  const leaving = 'app: { kind: web, frontend: nextjs }\ncurrent: { compute: vercel }\nleaving: { platforms: [vercel], because: [cost] }\ndecide: [compute]\n';
  const nextjs = (a: ReturnType<typeof adviseYaml>, key: string) => reasonFor(a, key, 'ecosystem', 'app.frontend');

  it('credits an adapter host as a container host once the team leaves the host built for the framework', () => {
    const w = loadWeights().ecosystem;
    expect(w.adapter_host_leaving).toBe(w.node_server_host);
    const a = adviseYaml(leaving);
    expect(nextjs(a, 'cloudflare')).toMatchObject({ effect: 'note', text: expect.stringMatching(/^nextjs: Cloudflare Workers runs it through an adapter its vendor maintains/) });
    expect(criterionIn(a, 'cloudflare', 'ecosystem').score).toBeCloseTo(criterionIn(a, 'railway', 'ecosystem').score, 5);
    expect(a.stacks[0]!.key).toBe('cloudflare');
  });

  it('is what moves it: with no adapter credit Railway ranks above Cloudflare', () => {
    const a = adviseYaml(leaving, 50, withWeights('ecosystem', { adapter_host_leaving: 0 }));
    expect(rankOf(a, 'railway')).toBeLessThan(rankOf(a, 'cloudflare'));
  });

  it('gives an adapter no host credit while the host built for the framework is on offer', () => {
    const a = adviseYaml('app: { kind: web, frontend: nextjs }\n');
    expect(nextjs(a, 'cloudflare')).toMatchObject({ effect: 'con' });
    expect(criterionIn(a, 'cloudflare', 'ecosystem').score).toBe(0);
  });
});
