import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml, criterionIn, criterionOf, withWeights } from '../../helpers/advise.js';

/**
 * Round 241: document data on a relational platform that also keeps values by key in a store of
 * its own (catalog `documents_by_key`: Cloudflare, Workers KV beside D1) fits by
 * `data.documents_by_key`, between tables (`data.fit.document.relational`) and a document
 * database (1).
 */
describe('advise: round 241', () => {
  const w = loadWeights();
  const before = withWeights('data', { documents_by_key: 0 });
  const api = (model: string) => ['app: { kind: api, frontend: none }', `data: { model: ${model} }`, 'features: { functions: some }'].join('\n');

  it('marks Cloudflare alone as keeping documents by key, with the source it rests on', () => {
    const platforms = loadCatalog().platforms;
    expect(platforms.filter((p) => p.provides.database?.documents_by_key).map((p) => p.id)).toEqual(['cloudflare']);
    const cloudflare = platforms.find((p) => p.id === 'cloudflare')!;
    expect(cloudflare.provides.database?.model).toBe('relational');
    expect(cloudflare.sources.kv?.url).toMatch(/^https:\/\/developers\.cloudflare\.com\/kv\//);
    expect(w.data.documents_by_key).toBeGreaterThan(w.data.fit.document.relational);
    expect(w.data.documents_by_key).toBeLessThan(1);
  });

  it('fits document data on Cloudflare by the weight and says why, and nothing else', () => {
    const documents = adviseYaml(api('document'));
    const data = (key: string) => criterionIn(documents, key, 'data');
    const cloudflare = data('cloudflare');
    expect(cloudflare.score).toBeCloseTo(w.data.documents_by_key, 5);
    expect(cloudflare.reasons.map((r) => r.text).join('\n')).toMatch(/document data on Cloudflare Workers \+ D1 kept as JSON by key in its key-value store beside its relational model \(d1-sqlite\): read and written whole, queried by key only/);
    // Relational and mixed data on Cloudflare, and documents on Supabase (Postgres), fit as before.
    expect(criterionOf(api('relational'), 'cloudflare', 'data')!.score).toBe(1);
    expect(criterionOf(api('mixed'), 'cloudflare', 'data')!.score).toBeCloseTo(w.data.fit.mixed.relational, 5);
    expect(data('supabase').score).toBeCloseTo(w.data.fit.document.relational, 5);
  });

  it('fits as tables, as before round 241, when the weight is below them', () => {
    const c = criterionOf(api('document'), 'cloudflare', 'data', before)!;
    expect(c.score).toBeCloseTo(w.data.fit.document.relational, 5);
    expect(c.reasons.map((r) => r.text).join('\n')).toMatch(/document data on Cloudflare Workers \+ D1's relational model \(d1-sqlite\) means reshaping it/);
  });
});
