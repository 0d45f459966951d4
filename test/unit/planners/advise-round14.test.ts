import { describe, expect, it } from 'vitest';
import { adviseYaml as run } from '../../helpers/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';

const w = loadWeights();
const costOf = (a: ReturnType<typeof run>, key: string) => a.stacks.find((s) => s.key === key)?.criteria.find((c) => c.id === 'cost');

describe('advise round 14: when the host is the whole stack, every host is listed', () => {
  // A personal static site: nothing to keep but files, so hosting is the only part decided.
  const site = 'team_size: 1\napp: { kind: content, frontend: static, commercial: false }\ndata: { model: none }\n';

  it('lists the hosts one by one instead of folding them into the first', () => {
    const a = run(site);
    const hosts = a.stacks.filter((s) => s.violations.length === 0).map((s) => s.roles.compute);
    expect(hosts).toEqual(expect.arrayContaining(['vercel', 'cloudflare', 'firebase']));
    expect(a.stacks.every((s) => !s.alsoHostedOn?.length)).toBe(true);
  });

  it('still folds the hosts of a stack that has other parts', () => {
    const a = run('app: { kind: web, frontend: react }\ndata: { model: relational }\nauth: { needed: true, mau: 5000 }\n');
    expect(a.stacks.some((s) => (s.alsoHostedOn?.length ?? 0) > 0)).toBe(true);
  });
});

describe('advise round 14: a non-commercial project pays its bill from its own pocket', () => {
  const nextjs = 'team_size: 1\napp: { kind: web, frontend: nextjs, commercial: false }\ndata: { model: none }\n';

  it('counts a bill within the stage norm when the project is non-commercial', () => {
    expect(w.cost.negligible_non_commercial).toBeLessThan(w.cost.negligible.mvp);
    const hobby = run(nextjs);
    const business = run(nextjs.replace('commercial: false', 'commercial: true'));
    const paid = hobby.stacks.find((s) => s.cost.monthly > 5 && s.cost.monthly < w.cost.negligible.mvp);
    expect(paid).toBeDefined();
    expect(costOf(hobby, paid!.key)!.score).toBeLessThan(1);
    expect(costOf(business, paid!.key)!.score).toBe(1);
  });
});
