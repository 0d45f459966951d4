import { describe, expect, it } from 'vitest';
import { advise, secondAsAlternative, type RankedStack } from '../../../src/planners/advise.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { adviceMarkdown, adviceText } from '../../../src/planners/render.js';

const catalog = loadCatalog();
const weights = loadWeights();
// Weights under which LINGUASPARK's plain #2 keeps #1's database (round 15's cost and MVP vendor
// step, and a pre-release warning that counts in full for a tiny tool too, as before round 87).
const round15 = {
  ...weights,
  ranking: { ...weights.ranking, third_is_alternative: false },
  criteria: { ...weights.criteria, cost: 20 },
  simplicity: { ...weights.simplicity, vendor_step: { ...weights.simplicity.vendor_step, mvp: 0.15 } },
  maturity: { ...weights.maturity, pre_ga_tiny: weights.maturity.pre_ga },
};
const noAlternative = { ...round15, ranking: { ...round15.ranking, second_is_alternative: false } };
const run = (yaml: string, w = weights) => advise(catalog, parseRequirementsText(yaml, 'test.yaml'), { top: 400, weights: w });

// One person moving a React app off Supabase to cut cost, preferring to self-host on $6 a month.
const LINGUASPARK = `app: { kind: web, frontend: react }
features: { realtime: some, file_storage: some }
auth: { needed: true }
constraints: { budget_monthly: 6, self_hosting: preferred }
current: supabase
leaving: { platforms: [supabase], because: [cost, lock_in] }
`;

describe('advise: the second pick is another approach', () => {
  it('moves the best stack on another database up to second when #2 only swaps a part of #1', () => {
    const plain = run(LINGUASPARK, noAlternative);
    expect(plain.stacks[1]?.roles.database).toBe(plain.stacks[0]?.roles.database);
    const a = run(LINGUASPARK, round15);
    expect(a.stacks[0]?.key).toBe(plain.stacks[0]?.key);
    const second = a.stacks[1]!;
    expect(second.roles.database).not.toBe(a.stacks[0]?.roles.database);
    expect(second.alternativeTo).toEqual({ role: 'database', platform: a.stacks[0]?.roles.database });
    // It is the best-ranked such stack, and everything else keeps its order.
    const firstOther = plain.stacks.find((s) => s.roles.database !== plain.stacks[0]?.roles.database)!;
    expect(second.key).toBe(firstOther.key);
    const rest = plain.stacks.filter((s) => s.key !== firstOther.key).map((s) => s.key);
    expect(a.stacks.filter((s) => s.key !== firstOther.key).map((s) => s.key)).toEqual(rest);
    expect(a.stacks.map((s) => s.rank)).toEqual(a.stacks.map((_, i) => i + 1));
    expect(adviceText({ ...a, stacks: a.stacks.slice(0, 5) })).toContain(`#2 is the best stack on another database platform than ${a.stacks[0]?.roles.database}`);
  });

  it('never passes a stack that breaks more than the one it passes', () => {
    const r = parseRequirementsText('data: { model: relational }\n', 'test.yaml') as never;
    const clean = { policy: 0, capability: 0, budget: 0, warnings: 0 };
    const stack = (key: string, database: string, breach = clean) => ({ key, roles: { database, compute: 'x' }, breach }) as unknown as RankedStack;
    const over = { ...clean, budget: 2 };
    // Ranked by breach first: the only other database breaks the budget, #2 does not.
    const list = [stack('a', 'supabase'), stack('b', 'supabase'), stack('c', 'supabase', over), stack('d', 'neon', over)];
    expect(secondAsAlternative(list, r, weights).map((s) => s.key)).toEqual(['a', 'b', 'c', 'd']);
    const fair = [stack('a', 'supabase'), stack('b', 'supabase'), stack('c', 'supabase'), stack('d', 'neon')];
    expect(secondAsAlternative(fair, r, weights).map((s) => s.key)).toEqual(['a', 'd', 'b', 'c']);
    expect(secondAsAlternative(fair, r, noAlternative).map((s) => s.key)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('where #2 had to be moved up, moves a third platform up to #3 too (third_is_alternative), never past a stack that breaks less', () => {
    const r = parseRequirementsText('data: { model: relational }\n', 'test.yaml') as never;
    const clean = { policy: 0, capability: 0, budget: 0, warnings: 0 };
    const stack = (key: string, database: string, breach = clean) => ({ key, roles: { database, compute: 'x' }, breach }) as unknown as RankedStack;
    const list = [stack('a', 'supabase'), stack('b', 'supabase'), stack('c', 'supabase'), stack('d', 'neon'), stack('e', 'neon'), stack('f', 'convex')];
    const out = secondAsAlternative(list, r, weights);
    expect(out.map((s) => s.key)).toEqual(['a', 'd', 'f', 'b', 'c', 'e']);
    expect(out[2]?.alternativeTo).toEqual({ role: 'database', platform: 'supabase', also: 'neon' });
    const secondOnly = { ...weights, ranking: { ...weights.ranking, third_is_alternative: false } };
    expect(secondAsAlternative(list, r, secondOnly).map((s) => s.key)).toEqual(['a', 'd', 'b', 'c', 'e', 'f']);
    // #2 already on another platform: the order is the ranking's own.
    const mixed = [stack('a', 'supabase'), stack('d', 'neon'), stack('b', 'supabase'), stack('f', 'convex')];
    expect(secondAsAlternative(mixed, r, weights).map((s) => s.key)).toEqual(['a', 'd', 'b', 'f']);
    // A third platform that breaks more than #3 stays where it is.
    const over = [stack('a', 'supabase'), stack('b', 'supabase'), stack('c', 'supabase'), stack('d', 'neon'), stack('f', 'convex', { ...clean, budget: 2 })];
    expect(secondAsAlternative(over, r, weights).map((s) => s.key)).toEqual(['a', 'd', 'b', 'c', 'f']);
    // And the line under the table says both.
    // Pinned to the weights before round 92 (a database billed through its host) and round 176
    // (a Node-server host's credit), under which this fixture's #3 is the best on neither platform.
    const a = run('app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nfeatures: { realtime: some }\nauth: { needed: true, mau: 2000 }\nconstraints: { budget_monthly: 50 }\n', { ...weights, simplicity: { ...weights.simplicity, billed_through_host: 0 }, ecosystem: { ...weights.ecosystem, node_server_host: 0.5 } });
    expect(a.stacks[2]?.alternativeTo?.also).toBeDefined();
    expect(adviceText({ ...a, stacks: a.stacks.slice(0, 5) })).toMatch(/#3 the best on neither \S+ nor \S+; the stacks after them resume score order/);
    // The markdown report says it too, under its table.
    expect(adviceMarkdown({ ...a, stacks: a.stacks.slice(0, 3) })).toMatch(/\| 3 \|[^\n]*\n\n#2 is the best stack on another database platform/);
  });

  it('with decide, the alternative differs in the role being decided', () => {
    const a = run(`app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true, mau: 5000 }\ncurrent: { database: neon, compute: vercel }\ndecide: [auth]\n`);
    expect(a.stacks[1]?.roles.auth).not.toBe(a.stacks[0]?.roles.auth);
    expect(a.stacks.slice(0, 5).every((s) => s.roles.database === 'neon')).toBe(true);
  });

  it('leaves the order alone when #2 already differs', () => {
    const plain = run('app: { kind: api }\ndata: { model: document }\nauth: { needed: false }\n', noAlternative);
    const a = run('app: { kind: api }\ndata: { model: document }\nauth: { needed: false }\n', round15);
    if (plain.stacks[1]?.roles.database !== plain.stacks[0]?.roles.database) {
      expect(a.stacks.map((s) => s.key)).toEqual(plain.stacks.map((s) => s.key));
      expect(a.stacks[1]?.alternativeTo).toBeUndefined();
    }
  });
});
