import { describe, expect, it } from 'vitest';
import { adviseYaml as run } from '../../helpers/advise.js';

/** Round 33: a $0 budget with commercial use not stated is taken as a non-commercial project, and said. */
describe('advise: round 33', () => {
  const app = 'app: { frontend: react }\nfeatures: { functions: some }\ndecide: [compute]\n';

  it('lets Vercel Hobby count for a $0 budget when commercial use is not stated, and says so', () => {
    const a = run(`${app}constraints: { budget_monthly: 0 }\n`);
    expect(a.assumptions.join('\n')).toMatch(/commercial use not stated and the budget is \$0: a non-commercial project assumed/);
    const vercel = a.stacks.find((s) => s.key === 'vercel')!;
    expect(vercel.violations).toEqual([]);
    expect(vercel.cost.plans.map((p) => p.plan)).toEqual(['hobby']);
  });

  it('keeps a project commercial when it says so, and without a $0 budget', () => {
    const stated = run(`${app.replace('frontend: react', 'frontend: react, commercial: true')}constraints: { budget_monthly: 0 }\n`);
    expect(stated.assumptions.join('\n')).not.toMatch(/non-commercial project assumed/);
    expect(stated.stacks.find((s) => s.key === 'vercel')!.violations.map((v) => v.constraint)).toEqual(['budget']);
    const paying = run(`${app}constraints: { budget_monthly: 50 }\n`);
    expect(paying.assumptions.join('\n')).not.toMatch(/non-commercial/);
    expect(paying.stacks.find((s) => s.key === 'vercel')!.cost.plans.map((p) => p.plan)).toEqual(['pro']);
  });
});
