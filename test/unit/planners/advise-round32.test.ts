import { describe, expect, it } from 'vitest';
import { adviseYaml, reasonText, stackOf as stack, withWeights } from '../../helpers/advise.js';

// Pinned to the weights before round 229, which holds offline sync of relational data to the data model.
const before = withWeights('capabilities', { serves_own_model: [] });
const run = (yaml: string) => adviseYaml(yaml, 50, before);

const capabilityText = (a: ReturnType<typeof adviseYaml>, key: string): string => reasonText(a, key, 'capabilities');

/** Round 32: realtime and offline sync wanted as a part are the team's to build; at core they stay required. */
describe('advise: round 32', () => {
  const mobile = 'app: { kind: mobile, frontend: react-native }\ndata: { model: relational }\nauth: { needed: true }\n';

  it('does not rule out a stack without offline sync when it is wanted as a part, and says it is yours to build', () => {
    const a = run(`${mobile}features: { offline_sync: some }\n`);
    expect(stack(a, 'supabase').violations).toEqual([]);
    expect(capabilityText(a, 'supabase')).toMatch(/offline sync: missing, so it is yours to build/i);
    // Firebase, built around offline sync, still scores higher on capabilities.
    const caps = (key: string) => stack(a, key).criteria.find((c) => c.id === 'capabilities')!.score;
    expect(caps('firebase')).toBeGreaterThan(caps('supabase'));
  });

  it('keeps offline sync required when the product rests on it', () => {
    const a = run(`${mobile}features: { offline_sync: core }\n`);
    expect(stack(a, 'supabase').violations.map((v) => v.constraint)).toEqual(['capability:offline_sync']);
    expect(a.stacks[0]!.violations).toEqual([]);
  });

  it('lets a database-only decision with realtime as a part rank Neon on its score', () => {
    const some = run('data: { model: relational }\nfeatures: { realtime: some }\ndecide: [database]\n');
    expect(stack(some, 'neon').violations).toEqual([]);
    const core = run('data: { model: relational }\nfeatures: { realtime: core }\ndecide: [database]\n');
    expect(stack(core, 'neon').violations.map((v) => v.constraint)).toEqual(['capability:realtime']);
  });
});
