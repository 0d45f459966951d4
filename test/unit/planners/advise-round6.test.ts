import { describe, expect, it } from 'vitest';
import { advise, type RankedStack } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { costPlatform } from '../../../src/planners/cost.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { deriveUsage } from '../../../src/planners/usage.js';

/** Round 6 of issue 15: an unstated lock-in tolerance, and Firebase's sourced function and egress prices. */

const catalog = loadCatalog();
const w = loadWeights();
const run = (yaml: string) => advise(catalog, parseRequirementsText(yaml, 'test.yaml'), { top: 800 });
const whole = (a: ReturnType<typeof advise>, id: string): RankedStack => {
  const s = a.stacks.find((x) => x.key === id);
  if (!s) throw new Error(`${id} alone not ranked`);
  return s;
};
const lockIn = (s: RankedStack) => s.criteria.find((c) => c.id === 'lock_in')!;

describe('advise round 6: a lock-in tolerance nobody gave', () => {
  const base = 'data: { model: document }\nfeatures: { functions: some }\nauth: { needed: true }\n';

  it('says it was not given, and weighs lock-in above a stated medium and no more than a stated high', () => {
    const unstated = run(base);
    expect(unstated.assumptions.join('\n')).toMatch(/lock-in tolerance not given/);
    const fb = lockIn(whole(unstated, 'firebase'));
    expect(fb.score).toBe(w.lock_in.fit.unstated.high);
    expect(fb.reasons.map((r) => r.text).join(' ')).toMatch(/Firebase: high lock-in \(no tolerance given\)/);
    const medium = lockIn(whole(run(`${base}constraints: { lock_in_tolerance: medium }\n`), 'firebase'));
    const high = lockIn(whole(run(`${base}constraints: { lock_in_tolerance: high }\n`), 'firebase'));
    expect(medium.score).toBe(w.lock_in.fit.medium.high);
    expect(medium.reasons.map((r) => r.text).join(' ')).toMatch(/you accept medium/);
    expect(fb.score).toBeGreaterThan(medium.score);
    expect(fb.score).toBeLessThanOrEqual(high.score);
  });

  it('keeps the order of the table: open beats medium beats high when nothing is given', () => {
    const row = w.lock_in.fit.unstated;
    expect(row.low).toBeGreaterThan(row.medium);
    expect(row.medium).toBeGreaterThan(row.high);
  });

  it('a stated tolerance is not listed as an assumption', () => {
    expect(run(`${base}constraints: { lock_in_tolerance: low }\n`).assumptions.join('\n')).not.toMatch(/lock-in tolerance not given|low assumed/);
  });
});

describe('advise round 6: Firebase prices its functions and its egress, with sources', () => {
  const fb = findPlatform(catalog, 'firebase');

  it('records where each price comes from, with a date', () => {
    for (const id of ['functions', 'cloud_run', 'egress_example']) {
      expect(fb.sources[id]?.url, id).toMatch(/^https:\/\/(web\.archive\.org\/web\/\d+\/https:\/\/)?cloud\.google\.com\//);
      expect(fb.sources[id]?.as_of, id).toMatch(/^\d{4}-\d{2}/);
    }
  });

  it('charges invocations past the 2 million free ones at $0.40 a million, and egress past 10 GiB at $0.12', () => {
    const { usage } = deriveUsage({ mau: 1000, requests: 3_000_000, function_invocations: 3_000_000, egress_gb: 20 });
    const c = costPlatform(catalog, fb, usage);
    expect(c.plan?.id).toBe('blaze');
    expect(c.hasUnknown).toBe(false);
    const line = (unit: string) => c.lines.find((l) => l.unit === unit);
    expect(line('invocations')?.monthly).toBeCloseTo(0.4, 6);
    expect(line('GiB outbound')?.monthly).toBeCloseTo(1.2, 6);
  });

});
