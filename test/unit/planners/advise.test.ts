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
        expect(r.expect?.any_of, f).toContain(top?.key);
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
    const a = advise(catalog, resolveRequirements({ app: { kind: 'mobile', frontend: 'flutter' }, data: { model: 'document' } }, { features: { offline_sync: true }, constraints: { self_hosting: 'required' } }));
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
