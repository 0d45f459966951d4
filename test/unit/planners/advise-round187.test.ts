import { describe, expect, it } from 'vitest';
import { signInAsAlternative } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { adviceText } from '../../../src/planners/render.js';
import { adviseYaml as run, withWeights } from '../../helpers/advise.js';

/**
 * Round 187: where users sign in is an approach too. When each of the first three keeps its
 * users in the platform that holds its data, the best stack whose sign-in is a product or
 * library of its own comes third (`ranking.sign_in_is_alternative`), if it breaks no more than
 * the stack it passes. Before, a SaaS that only says it needs sign-in got Supabase, Firebase and
 * Nhost, within 2 points of each other, and a team's Clerk beside a database never showed.
 */
describe('advise: round 187', () => {
  const off = withWeights('ranking', { sign_in_is_alternative: false });
  const saas = 'app: { kind: saas }\nauth: { needed: true, mau: 500 }\n';
  const inDataPlatform = (s: { roles: Record<string, string | undefined> }) => s.roles['auth'] === s.roles['database'];

  it('is on in the weights file', () => {
    expect(loadWeights().ranking.sign_in_is_alternative).toBe(true);
  });

  it('puts the best stack with a sign-in of its own third when the first three keep users with their data; #1 and #2 stay', () => {
    const before = run(saas, 10, off).stacks;
    expect(before.slice(0, 3).every(inDataPlatform)).toBe(true);
    const now = run(saas, 10).stacks;
    expect(now.slice(0, 2).map((s) => s.key)).toEqual(before.slice(0, 2).map((s) => s.key));
    const third = now[2]!;
    expect(inDataPlatform(third)).toBe(false);
    expect(third.key).toBe(before.find((s) => s.roles.auth !== undefined && !inDataPlatform(s))!.key);
    expect(third.signInAlternativeTo).toEqual([before[0]!.roles.auth, before[1]!.roles.auth]);
    // The stack it passed comes next, and the rest keep their order.
    expect(now[3]!.key).toBe(before[2]!.key);
    expect(now.slice(3).map((s) => s.key)).toEqual(before.slice(2).filter((s) => s.key !== third.key).slice(0, 7).map((s) => s.key));
    expect(now.map((s) => s.rank)).toEqual(now.map((_, i) => i + 1));
  });

  it('says so under the table', () => {
    const a = run(saas, 4);
    expect(adviceText(a)).toContain(`#3 is the best stack whose users sign in apart from its data (#1 and #2 keep them in ${a.stacks[0]!.roles.auth} and ${a.stacks[1]!.roles.auth}); the stacks after it resume score order.`);
  });

  it('changes nothing when one of the first three already signs users in apart from its data', () => {
    const app = 'app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true }\n';
    const now = run(app, 10).stacks;
    expect(now.slice(0, 3).some((s) => !inDataPlatform(s))).toBe(true);
    expect(now.map((s) => s.key)).toEqual(run(app, 10, off).stacks.map((s) => s.key));
    expect(now.some((s) => s.signInAlternativeTo)).toBe(false);
  });

  it('changes nothing when the sign-in is not being decided, or there is none', () => {
    const onlyData = `${saas}decide: [database]\ncurrent: { auth: supabase }\n`;
    expect(run(onlyData, 10).stacks.map((s) => s.key)).toEqual(run(onlyData, 10, off).stacks.map((s) => s.key));
    const noSignIn = 'app: { kind: saas }\nauth: { needed: false }\n';
    expect(run(noSignIn, 10).stacks.some((s) => s.signInAlternativeTo)).toBe(false);
  });

  it('moves up no stack that breaks more than the one it passes: the next one that breaks no more', () => {
    const { requirements: r, stacks: before } = run(saas, 10, off);
    const separate = before.filter((s) => s.roles.auth !== undefined && !inDataPlatform(s));
    // The best of them misses a capability the others have.
    const worse = before.map((s) => (s === separate[0] ? { ...s, breach: { ...s.breach, capability: 1 } } : s));
    const out = signInAsAlternative(worse, r, loadWeights());
    expect(out[2]!.key).toBe(separate[1]!.key);
    expect(out.find((s) => s.key === separate[0]!.key)!.signInAlternativeTo).toBeUndefined();
  });

});
