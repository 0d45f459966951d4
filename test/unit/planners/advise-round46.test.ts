import { describe, expect, it } from 'vitest';
import { adviceText, explainText } from '../../../src/planners/render.js';
import { adviseYaml as run } from '../../helpers/advise.js';

/**
 * Round 46: among stacks of the same score and track record, the one whose platforms offer
 * more, asked for or not (room to grow) comes first, before the cheaper; the output says so.
 */
describe('advise: round 46', () => {
  const plainDatabase = 'stage: growth\ndata: { model: relational }\nauth: { needed: false }\n';

  it('puts the platform offering more first when two tie on score and track record', () => {
    const a = run(plainDatabase, 5);
    const [first, second] = a.stacks;
    expect(first?.key).toBe('supabase');
    expect(second?.key).toBe('neon');
    expect(first?.score).toBe(second?.score);
    expect(first?.trackRecord).toBe(second?.trackRecord);
    expect(first!.offers.length).toBeGreaterThan(second!.offers.length);
    // The cheaper one used to come first.
    expect(second!.cost.monthly).toBeLessThan(first!.cost.monthly);
  });

  it('lists what #1 offers that #2 does not', () => {
    const text = adviceText(run(plainDatabase, 5));
    expect(text).toMatch(/#1 and #2 score alike \(\d+\.\d\); #1 comes first because its platforms offer more, room to grow \([^)]*realtime[^)]*\)/);
  });

  it('shows the tie-break figures under --explain', () => {
    const a = run(plainDatabase, 5);
    const text = explainText(a, a.stacks[1]!);
    expect(text).toMatch(/Among stacks of the same score: unconfirmed facts 0 \(fewer first\), then track record \d+\.\d% on average, then what the platforms offer \(\d+: [^)]*branching[^)]*\), then cost\./);
  });

  it('reports what each stack offers in the JSON, a database included when it holds one', () => {
    const a = run(plainDatabase, 5);
    expect(a.stacks.find((s) => s.key === 'neon')?.offers).toEqual(expect.arrayContaining(['database', 'branching', 'scale_to_zero']));
    expect(a.stacks.find((s) => s.key === 'neon')?.offers).not.toContain('realtime');
  });
});
