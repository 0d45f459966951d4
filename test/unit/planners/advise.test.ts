import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { advise } from '../../../src/planners/advise.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText, resolveRequirements, type RequirementsInput } from '../../../src/planners/requirements.js';

const catalog = loadCatalog();
const dir = path.resolve('test/fixtures/scenarios');
const scenarios = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('advise on the scenario files', () => {
  it('has at least 12 scenarios, each with an expectation and a reason', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
    for (const f of scenarios) {
      const r = parseRequirementsText(readFileSync(path.join(dir, f), 'utf8'), f);
      expect(r.expect, f).toBeDefined();
      expect(r.why?.length ?? 0, f).toBeGreaterThan(40);
    }
  });

  for (const f of scenarios) {
    it(`picks what an experienced engineer would for ${f}`, () => {
      const r = parseRequirementsText(readFileSync(path.join(dir, f), 'utf8'), f);
      const a = advise(catalog, r);
      const top = a.stacks[0];
      expect(top).toBeDefined();
      if (r.expect?.none) {
        // No stack meets, or is confirmed to meet, every hard constraint.
        expect(a.confirmed).toBe(false);
        expect((top?.violations.length ?? 0) + (top?.warnings.length ?? 0)).toBeGreaterThan(0);
        if (r.expect.conflict) {
          expect(a.conflicts.map((c) => [...c.constraints].sort())).toContainEqual([...r.expect.conflict].sort());
        }
      } else {
        expect(a.satisfiable, `${f}: ${top?.violations.map((v) => v.text).join('; ')}`).toBe(true);
        // A stack whose host only serves the static build stands for the same stack on the
        // hosts folded into it ("runs as well on ..."): any of those agrees.
        const rest = Object.entries(top?.roles ?? {}).filter(([role]) => role !== 'compute').map(([, id]) => id);
        const keys = [top?.key, ...(top?.alsoHostedOn ?? []).map((host) => [...new Set([...rest, host])].sort().join('+'))];
        expect(keys.some((k) => r.expect?.any_of?.includes(k ?? '')), `${f}: ${keys.join(', ')}`).toBe(true);
      }
    });
  }
});

describe('advise', () => {
  const base: RequirementsInput = { stage: 'mvp', app: { frontend: 'nextjs' }, data: { model: 'relational', size_gb: 1 }, auth: { mau: 2000 } };

  it('is deterministic', () => {
    const r = resolveRequirements(base, {});
    expect(JSON.stringify(advise(catalog, r))).toBe(JSON.stringify(advise(catalog, r)));
  });

  it('gives every stack a per-criterion score and reasons tied to requirements', () => {
    const a = advise(catalog, resolveRequirements(base, { features: { realtime: true } }));
    const top = a.stacks[0];
    expect(top?.criteria.map((c) => c.id)).toEqual(expect.arrayContaining(['capabilities', 'data', 'simplicity', 'cost', 'lock_in', 'ecosystem']));
    const reasons = top?.criteria.flatMap((c) => c.reasons) ?? [];
    expect(reasons.find((x) => x.requirement === 'features.realtime')?.text).toMatch(/realtime/);
    expect(top?.cost.monthly).toBeTypeOf('number');
  });

  it('never puts a stack that breaks a hard constraint first when one fits (property)', () => {
    const selfHosting = ['required', 'preferred', 'any', 'no'] as const;
    const compliance = [[], ['hipaa'], ['soc2']] as const;
    const budgets = [undefined, 0, 300];
    const stages = ['mvp', 'scale'] as const;
    let checked = 0;
    for (const sh of selfHosting)
      for (const comp of compliance)
        for (const budget of budgets)
          for (const stage of stages) {
            const r = resolveRequirements(base, {
              stage,
              features: { realtime: stage === 'mvp', cache: stage === 'scale' },
              constraints: { self_hosting: sh, compliance: [...comp], ...(budget !== undefined ? { budget_monthly: budget } : {}) },
            });
            const a = advise(catalog, r, { top: 3 });
            const top = a.stacks[0];
            if (!top) continue;
            checked++;
            if (a.satisfiable) {
              expect(top.violations).toEqual([]);
              const members = Object.values(top.roles);
              if (sh === 'required') expect(top.cost.plans.every((p) => p.plan === 'self-hosted')).toBe(true);
              if (budget !== undefined) expect(top.cost.monthly).toBeLessThanOrEqual(budget);
              expect(members.length).toBeGreaterThan(0);
            } else {
              expect(a.conflicts.length).toBeGreaterThan(0);
              expect(top.violations.length).toBeGreaterThan(0);
            }
          }
    expect(checked).toBe(4 * 3 * 3 * 2);
  });

  it('explains contradictory requirements: self-hosting required + offline sync', () => {
    const a = advise(catalog, resolveRequirements({ app: { kind: 'mobile', frontend: 'flutter' }, data: { model: 'document' } }, { features: { offline_sync: 'core' }, constraints: { self_hosting: 'required' } }));
    expect(a.satisfiable).toBe(false);
    expect(a.conflicts[0]?.text).toMatch(/Offline sync \(offered by Firebase\) and the self-hosting constraint cannot both be met/);
    // A self-hosting breach is worse than a missing capability: the first pick runs on your
    // servers and lacks offline sync; Firebase (hosted) comes after every such stack.
    const top = a.stacks[0];
    expect(top?.violations.map((v) => v.constraint)).toEqual(['capability:offline_sync']);
    expect(top?.cost.plans.every((p) => p.plan === 'self-hosted')).toBe(true);
    expect(a.stacks.findIndex((s) => s.key === 'firebase')).toBe(-1); // not among the first five
  });

  it('explains contradictory requirements: budget 0 with HIPAA', () => {
    const a = advise(catalog, resolveRequirements(base, { constraints: { budget_monthly: 0, compliance: ['hipaa'] } }));
    expect(a.confirmed).toBe(false);
    expect(a.conflicts.some((c) => c.constraints.includes('budget') && c.constraints.includes('compliance:hipaa'))).toBe(true);
  });

  it('with self-hosting required, only proposes parts that run on your servers', () => {
    const a = advise(catalog, resolveRequirements(base, { constraints: { self_hosting: 'required' } }));
    expect(a.satisfiable).toBe(true);
    for (const p of a.stacks[0]?.cost.plans ?? []) expect(p.plan).toBe('self-hosted');
  });
});

describe('requirements files', () => {
  it('reports a malformed file with key path and line', () => {
    const text = ['stage: mvp', 'team_size: 2', 'features:', '  realtime: yes please', '  teleport: true', 'constraints:', '  self_hosting: maybe'].join('\n');
    try {
      parseRequirementsText(text, 'req.yaml');
      expect.fail('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const issues = (e as ConfigError).issues;
      expect(issues).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: 'features.realtime', line: 4 }),
          expect.objectContaining({ path: 'features.teleport', line: 5, message: 'unknown key' }),
          expect.objectContaining({ path: 'constraints.self_hosting', line: 7 }),
        ]),
      );
      expect((e as ConfigError).exitCode).toBe(3);
    }
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parseRequirementsText('stage: mvp\n  team_size: [1,\n', 'bad.yaml')).toThrow(ConfigError);
  });

  it('rejects negative sizes', () => {
    expect(() => parseRequirementsText('data:\n  size_gb: -3\n', 'neg.yaml')).toThrow(ConfigError);
  });
});

describe('advise: ranking by least breach (issue 15, class 1)', () => {
  // A containerised API on a $1 budget: the container hosts cost more than that, and the
  // platforms that cost nothing have no containers.
  const r = resolveRequirements(
    { stage: 'mvp', app: { kind: 'api', frontend: 'none' }, data: { model: 'relational' }, features: { containers: 'some' }, auth: { needed: false } },
    { constraints: { budget_monthly: 1 } },
  );
  const a = advise(catalog, r, { top: 200 });

  it('ranks every budget overrun before any missing capability, the smaller overrun first', () => {
    expect(a.satisfiable).toBe(false);
    const kinds = a.stacks.map((s) => (s.violations.some((v) => v.severity === 'capability') ? 2 : s.violations.some((v) => v.severity === 'budget') ? 1 : 0));
    expect(kinds[0]).toBe(1);
    const lastBudget = kinds.lastIndexOf(1);
    const firstCapability = kinds.indexOf(2);
    expect(firstCapability).toBeGreaterThan(lastBudget);
    const overruns = a.stacks.filter((_, i) => kinds[i] === 1).map((s) => s.breach.budget);
    expect(overruns).toEqual([...overruns].sort((x, y) => x - y));
  });

  it('says which constraint each pick breaks and by how much', () => {
    const v = a.stacks[0]?.violations[0];
    expect(v?.constraint).toBe('budget');
    expect(v?.over?.usd).toBeGreaterThan(0);
    expect(v?.text).toMatch(/\$[\d.]+ \(\d+%\) over the \$1 budget/);
    const missing = a.stacks.find((s) => s.violations.some((x) => x.constraint === 'capability:containers'));
    expect(missing?.violations.find((x) => x.constraint === 'capability:containers')?.text).toMatch(/containers is required/);
  });

  it('lets the cost score fall smoothly past the budget: 30% over scores above 6x over, and above zero', () => {
    const score = (monthly: number): number => {
      const rr = resolveRequirements({ stage: 'mvp', data: { model: 'relational' }, auth: { needed: false } }, { constraints: { budget_monthly: 10, vm_price: monthly } });
      const s = advise(catalog, rr, { top: 200 }).stacks.find((x) => x.key === 'pocketbase');
      return s?.criteria.find((c) => c.id === 'cost')?.score ?? -1;
    };
    const near = score(13);
    const far = score(60);
    expect(near).toBeGreaterThan(far);
    expect(far).toBeGreaterThan(0);
    expect(score(10)).toBeCloseTo(near * 1.3, 1); // continuous at the budget: 0.5 * 10/13 vs 0.5
  });

  it('puts a compliance or self-hosting breach after a missing capability', () => {
    const x = advise(catalog, resolveRequirements({ app: { kind: 'mobile', frontend: 'flutter' }, data: { model: 'document' }, auth: { mau: 100 } }, { features: { offline_sync: 'core' }, constraints: { self_hosting: 'required' } }), { top: 300 });
    const firebase = x.stacks.findIndex((s) => s.key === 'firebase');
    const lastCapabilityOnly = x.stacks.map((s) => s.breach.policy === 0).lastIndexOf(true);
    expect(firebase).toBeGreaterThan(lastCapabilityOnly);
  });
});

describe('advise: capability levels (issue 15, class 2)', () => {
  const editor = (level: 'core' | 'some') =>
    advise(catalog, resolveRequirements({ stage: 'growth', team_size: 5, app: { kind: 'saas' }, data: { model: 'document' }, auth: { needed: false } }, { features: { realtime: level } }), { top: 500 });
  const capability = (a: ReturnType<typeof editor>, key: string): number => a.stacks.find((s) => s.key === key)?.criteria.find((c) => c.id === 'capabilities')?.score ?? -1;

  it('lets a core capability dominate and credits the platform built around it', () => {
    const core = editor('core');
    expect(['convex', 'firebase']).toContain(core.stacks[0]?.roles.database);
    expect(capability(core, 'convex')).toBeGreaterThan(capability(core, 'supabase'));
    const reasons = core.stacks.find((s) => s.key === 'convex')?.criteria.flatMap((c) => c.reasons) ?? [];
    expect(reasons.some((x) => /realtime \(core\): Convex is built around it/.test(x.text))).toBe(true);
  });

  it('weighs "a few live updates" as one need among others: any full realtime is enough', () => {
    const some = editor('some');
    const gap = Math.abs(capability(some, 'convex') - capability(some, 'supabase'));
    const coreGap = capability(editor('core'), 'convex') - capability(editor('core'), 'supabase');
    expect(gap).toBeLessThan(coreGap);
  });

  it('reads true as some and false as none in files written before levels', () => {
    const r = parseRequirementsText('features: { realtime: true, offline_sync: false, vector_search: core }\n');
    expect(r.features.realtime).toBe('some');
    expect(r.features.offline_sync).toBe('none');
    expect(r.features.vector_search).toBe('core');
  });
});

describe('advise: no silent assumptions (issue 15, class 3)', () => {
  it('adds no web host when no frontend is given, and says so', () => {
    const a = advise(catalog, resolveRequirements({ stage: 'mvp', data: { model: 'relational' }, auth: { mau: 500 } }, {}));
    for (const s of a.stacks) expect(s.roles.compute).toBeUndefined();
    expect(a.assumptions.some((x) => /no frontend given: no web hosting/.test(x))).toBe(true);
    const withFrontend = advise(catalog, resolveRequirements({ stage: 'mvp', data: { model: 'relational' }, auth: { mau: 500 } }, { app: { frontend: 'react' } }));
    expect(withFrontend.stacks[0]?.roles.compute).toBeDefined();
  });

  it('lists every default it fills in, and adds no sign-in nobody asked for', () => {
    const a = advise(catalog, resolveRequirements({}, {}));
    const text = a.assumptions.join('\n');
    for (const x of [/stage not given/, /team size not given/, /kind of app not given/, /data model not given/, /sign-in not mentioned/]) expect(text).toMatch(x);
    expect(a.requirements.auth.needed).toBe(false);
    for (const s of a.stacks) expect(s.roles.auth).toBeUndefined();
  });
});

describe('advise: compliance facts (issue 15, class 4)', () => {
  it('records a source with an address and a date for every confirmed or denied fact', () => {
    for (const p of catalog.platforms) {
      for (const [name, fact] of Object.entries(p.compliance)) {
        if (!fact || fact.status === 'unknown') continue;
        const src = fact.source ? p.sources[fact.source] : undefined;
        expect(src?.url, `${p.id} ${name}`).toMatch(/^https:\/\//);
        expect(src?.as_of, `${p.id} ${name}`).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
      }
    }
  });

  it('researched the platforms that had no facts before (unknown stays unknown, said why)', () => {
    for (const id of ['auth0', 'clerk', 'vercel', 'firebase', 'cloudflare', 'railway', 'convex', 'nhost']) {
      const p = catalog.platforms.find((x) => x.id === id);
      const facts = Object.values(p?.compliance ?? {});
      expect(facts.length, id).toBe(4);
      for (const f of facts) if (f?.status === 'unknown') expect(f.note, id).toBeTruthy();
    }
    expect(catalog.platforms.find((x) => x.id === 'vercel')?.compliance.soc2?.status).toBe('yes');
    expect(catalog.platforms.find((x) => x.id === 'railway')?.compliance.hipaa?.status).toBe('yes');
  });

  it('reports an unknown fact as a warning, never as a pass or a breach', () => {
    const a = advise(catalog, resolveRequirements({ stage: 'growth', team_size: 5, app: { kind: 'saas' }, data: { model: 'document' }, auth: { mau: 5000 } }, { features: { realtime: 'core' }, constraints: { compliance: ['soc2'] } }), { top: 500 });
    const convex = a.stacks.find((s) => s.key === 'convex');
    expect(convex?.violations.filter((v) => v.constraint === 'compliance:soc2')).toEqual([]);
    expect(convex?.warnings.map((w) => w.constraint)).toContain('compliance:soc2');
    // Round 50: an unknown is not a breach either, so among stacks that break nothing the score
    // ranks, and unconfirmed facts order only stacks of the same score.
    const clean = a.stacks.filter((s) => s.violations.length === 0);
    for (let i = 1; i < clean.length; i++) {
      const [x, y] = [clean[i - 1]!, clean[i]!];
      if (x.alternativeTo || y.alternativeTo) continue;
      expect(x.score).toBeGreaterThanOrEqual(y.score);
      if (x.score === y.score) expect(x.warnings.length).toBeLessThanOrEqual(y.warnings.length);
    }
  });
});

describe('advise: tiny tools and self-hosting (issue 15, class 5)', () => {
  it('shows a single binary first for a one-person internal tool on $5 that prefers self-hosting', () => {
    const a = advise(catalog, resolveRequirements({ stage: 'mvp', team_size: 1, app: { kind: 'internal' }, data: { size_gb: 0.2 }, auth: { mau: 20 } }, { constraints: { self_hosting: 'preferred', budget_monthly: 5 } }));
    expect(a.stacks[0]?.key).toBe('pocketbase');
    expect(a.stacks[0]?.cost.monthly).toBe(5); // a small VPS, not a fixed $40 server
    expect(a.stacks[0]?.violations).toEqual([]);
  });

  it('prices the self-hosted server by workload: a bigger tool rents a bigger one', () => {
    const price = (mau: number, gb: number) =>
      advise(catalog, resolveRequirements({ stage: 'mvp', team_size: 1, data: { model: 'relational', size_gb: gb }, auth: { mau } }, { constraints: { self_hosting: 'required' } }), { top: 50 }).stacks.find((s) => s.key === 'pocketbase')?.cost.monthly ?? 0;
    expect(price(20, 0.2)).toBeLessThan(price(200_000, 40));
  });
});
