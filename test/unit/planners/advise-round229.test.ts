import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { reasonText, adviseYaml as run, stackOf as stack, withWeights } from '../../helpers/advise.js';

const capabilityText = (a: ReturnType<typeof run>, key: string): string => reasonText(a, key, 'capabilities');

/**
 * Round 229: a database's offline sync serves its own data model (`capabilities.serves_own_model`).
 * Firestore syncs its documents offline; for relational data no catalog database offers offline
 * sync, so it is the team's own work (a local store in the client that syncs) on every stack: it
 * rules no stack out and gives no stack credit.
 */
describe('advise: round 229', () => {
  const before = withWeights('capabilities', { serves_own_model: [] });
  const app = (model: string, level = 'core') => `app: { kind: mobile, frontend: react-native }\ndata: { model: ${model} }\nauth: { needed: true }\nfeatures: { offline_sync: ${level} }\n`;

  it('holds offline sync to the data model, and no relational database in the catalog offers it', () => {
    expect(loadWeights().capabilities.serves_own_model).toEqual(['offline_sync']);
    const offline = loadCatalog().platforms.filter((p) => p.provides.offline_sync === true);
    expect(offline.map((p) => [p.id, p.provides.database?.model])).toEqual([['firebase', 'document']]);
  });

  it('rules no stack out for offline sync of relational data, credits none, and says why', () => {
    const a = run(app('relational'));
    for (const key of ['supabase', 'firebase', 'clerk+neon']) expect(stack(a, key).violations.map((v) => v.constraint)).not.toContain('capability:offline_sync');
    expect(capabilityText(a, 'firebase')).toMatch(/offline sync \(core\): Firebase offers it for its document model, not for relational data, so it is yours to build/i);
    expect(capabilityText(a, 'supabase')).toMatch(/offline sync \(core\): missing for relational data, so it is yours to build \(a local store in the client/i);
    const caps = (key: string) => stack(a, key).criteria.find((c) => c.id === 'capabilities')!.score;
    expect(caps('firebase')).toBe(caps('supabase'));
    expect(a.stacks[0]!.key).not.toBe('firebase');
  });

  it('keeps offline sync required and credited for documents', () => {
    const a = run(app('document'));
    expect(stack(a, 'supabase').violations.map((v) => v.constraint)).toEqual(['capability:offline_sync']);
    expect(a.stacks[0]!.key).toBe('firebase');
    expect(capabilityText(a, 'firebase')).toMatch(/offline sync \(core\): Firebase is built around it/i);
  });

  it('ranks Firebase first for relational data resting on offline sync, as before round 229, without it', () => {
    const a = run(app('relational'), 50, before);
    expect(a.stacks[0]!.key).toBe('firebase');
    expect(stack(a, 'supabase').violations.map((v) => v.constraint)).toEqual(['capability:offline_sync']);
  });
});
