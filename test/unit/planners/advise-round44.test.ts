import { describe, expect, it } from 'vitest';
import { adviceText } from '../../../src/planners/render.js';
import { adviseYaml as run, withWeights } from '../../helpers/advise.js';

/**
 * Round 44: stacks with the same score and breaches are ordered by their parts' average track
 * record (the maturity criterion counts only the weakest part), then by cost, then by name;
 * the output says why #1 came before a #2 of the same score.
 */
describe('advise: round 44', () => {
  const tie = [
    'stage: growth',
    'team_size: 1',
    'app: { kind: saas }',
    'data: { model: relational }',
    'features: { functions: some, containers: some }',
    'auth: { needed: true, mau: 360 }',
    'constraints: { budget_monthly: 125 }',
  ].join('\n');
  // Since round 192 Nhost + Railway, a look-alike of #1, no longer comes second here; the tie
  // is pinned to the weights before it.
  const before192 = withWeights('ranking', { look_alike_is_variant: false });

  it('puts the stack with the better average track record first among equal scores', () => {
    const a = run(tie, 5, before192);
    const [first, second] = a.stacks;
    expect(first?.score).toBe(second?.score);
    // The cheaper Nhost + Railway used to come first on cost alone.
    expect(first?.key).toBe('railway+supabase');
    expect(second?.key).toBe('nhost+railway');
    expect(first!.trackRecord).toBeGreaterThan(second!.trackRecord);
    expect(second!.cost.monthly).toBeLessThan(first!.cost.monthly);
  });

  it('says why #1 comes before a #2 of the same score', () => {
    const text = adviceText(run(tie, 5, before192));
    expect(text).toMatch(/#1 and #2 score alike \(91\.6\); #1 comes first because its parts have the better track record on average \(\d+\.\d% against \d+\.\d%/);
  });

  it('keeps score order first: a higher score wins over a better track record', () => {
    const a = run(tie, 20);
    for (let i = 1; i < a.stacks.length; i++) {
      const [x, y] = [a.stacks[i - 1]!, a.stacks[i]!];
      if (x.violations.length === y.violations.length && !x.alternativeTo && !y.alternativeTo) expect(x.score).toBeGreaterThanOrEqual(y.score);
    }
  });

  it('reports the track record in the JSON of every stack, from 0 to 1', () => {
    for (const s of run(tie, 10).stacks) expect(s.trackRecord).toBeGreaterThan(0), expect(s.trackRecord).toBeLessThanOrEqual(1);
  });
});
