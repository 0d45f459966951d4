import { describe, expect, it } from 'vitest';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { UserError } from '../../../src/errors.js';
import { adviseYaml as run, runCli as cli } from '../../helpers/advise.js';

/** `leaving` / `--leaving --because`: the team runs a platform today and has decided to move off it. */
const weightOf = (a: ReturnType<typeof run>, id: string) => a.stacks[0]?.criteria.find((c) => c.id === id)?.weight;

const BASE = 'data: { model: relational }\nauth: { needed: true, mau: 5000 }\napp: { frontend: react }\n';

describe('advise: moving off a platform that runs today', () => {
  it('staying is the first pick when the team only says what runs today', () => {
    const a = run(`${BASE}current: supabase\n`);
    expect(a.stacks[0]?.roles.database).toBe('supabase');
  });

  it('does not offer the platform being left again for the roles it holds, and says so', () => {
    const a = run(`${BASE}current: supabase\nleaving: supabase\n`);
    for (const s of a.stacks) expect(s.selfHosted.includes('supabase') || !Object.values(s.roles).includes('supabase')).toBe(true);
    expect(a.assumptions.join('\n')).toMatch(/moving off Supabase: not offered again for database, auth, compute/);
    // The move is still weighed: every stack pays the migration off Supabase.
    expect(a.stacks[0]?.criteria.find((c) => c.id === 'migration')?.reasons.map((x) => x.text).join(' ')).toMatch(/off Supabase/);
  });

  it('leaves the roles current does not give the platform open to it', () => {
    const a = run(`${BASE}current: { auth: firebase }\nleaving: { platforms: [firebase] }\n`);
    for (const s of a.stacks) expect(s.roles.auth).not.toBe('firebase');
    // Firebase is only left as the sign-in: its database is still a candidate.
    const all = run(`${BASE}current: { auth: firebase }\nleaving: { platforms: [firebase] }\n`, 700);
    expect(all.stacks.some((s) => s.roles.database === 'firebase')).toBe(true);
  });

  it("moving off a vendor's cloud leaves self-hosting the same software open", () => {
    const a = run(`${BASE}current: nhost\nleaving: nhost\n`, 700);
    expect(a.stacks.some((s) => s.selfHosted.includes('nhost'))).toBe(true);
    expect(a.stacks.some((s) => Object.values(s.roles).includes('nhost') && !s.selfHosted.includes('nhost'))).toBe(false);
  });

  it('weighs the criteria that measure the reasons for leaving more, as advisor-weights.yaml says', () => {
    const plain = run(`${BASE}current: supabase\nleaving: supabase\n`);
    const cost = run(`${BASE}current: supabase\nleaving: { because: [cost] }\n`);
    expect(weightOf(cost, 'cost')).toBe((weightOf(plain, 'cost') ?? 0) * 2);
    const safety = run(`${BASE}stage: growth\ncurrent: supabase\nleaving: { because: [reliability] }\n`);
    const safetyPlain = run(`${BASE}stage: growth\ncurrent: supabase\nleaving: supabase\n`);
    expect(weightOf(safety, 'maturity')).toBe((weightOf(safetyPlain, 'maturity') ?? 0) * 2);
    expect(weightOf(safety, 'data_safety')).toBe((weightOf(safetyPlain, 'data_safety') ?? 0) * 2);
    expect(cost.assumptions.join('\n')).toMatch(/because of cost \(weighs cost x2\)/);
    // A reason no criterion measures is named, and weighs nothing more.
    const limits = run(`${BASE}current: supabase\nleaving: { because: [limits] }\n`);
    expect(limits.stacks[0]?.criteria.map((c) => c.weight)).toEqual(plain.stacks[0]?.criteria.map((c) => c.weight));
    expect(limits.assumptions.join('\n')).toMatch(/because of limits:/);
  });

  it('reads lock-in as a reason for leaving as a low tolerance, unless one is given', () => {
    const a = run(`${BASE}current: firebase\nleaving: { because: [lock_in] }\n`);
    expect(a.requirements.constraints.lock_in_tolerance).toBe('low');
    expect(a.assumptions.join('\n')).toMatch(/low assumed, since lock-in is a reason for leaving/);
    const given = run(`${BASE}current: firebase\nleaving: { because: [lock_in] }\nconstraints: { lock_in_tolerance: high }\n`);
    expect(given.requirements.constraints.lock_in_tolerance).toBe('high');
  });

  it('with --only, moves only the roles being decided off the platform; the others stay on it', () => {
    const a = run(`${BASE}current: supabase\nleaving: supabase\ndecide: [database]\n`);
    // The sign-in stays on Supabase. Supabase Auth is offered on its own (catalog `standalone`),
    // so it stays on the hosted service beside another database, or goes along with the
    // database to the self-hosted copy; never self-hosted beside another database.
    expect(a.stacks.map((s) => s.key)).toContain('supabase:self');
    for (const s of a.stacks) {
      expect(s.roles.auth).toBe('supabase');
      if (s.roles.database === 'supabase') expect(s.key).toBe('supabase:self');
      else expect(s.selfHosted).not.toContain('supabase');
    }
    expect(a.stacks.some((s) => s.roles.database !== 'supabase')).toBe(true);
    expect(a.assumptions.join('\n')).toMatch(/moving off Supabase: not offered again for database;/);
    // Nhost's sign-in works only beside Nhost's database: it can only go along with it.
    const nhost = run(`${BASE}current: nhost\nleaving: nhost\ndecide: [database]\n`);
    expect(nhost.stacks.map((s) => s.key)).toEqual(['nhost:self']);
    // A sign-in that can stay without the platform's database (Clerk) does.
    const clerk = run(`${BASE}current: { database: neon, auth: clerk }\nleaving: neon\ndecide: [database]\n`);
    expect(clerk.stacks.length).toBeGreaterThan(0);
    for (const s of clerk.stacks) {
      expect(s.roles.database).not.toBe('neon');
      expect(s.roles.auth).toBe('clerk');
    }
  });

  it('says so when the platform being left holds none of the roles being decided', () => {
    const a = run(`${BASE}current: { database: supabase }\nleaving: supabase\ndecide: [auth]\n`);
    for (const s of a.stacks) expect(s.roles.database).toBe('supabase');
    expect(a.assumptions.join('\n')).toMatch(/leaving Supabase: it holds none of the roles being decided \(--only auth\), so it stays as it runs today/);
  });

  it('refuses a platform that is not in current, and leaving with nothing current', () => {
    expect(() => run(`${BASE}current: supabase\nleaving: neon\n`)).toThrow(UserError);
    expect(() => run(`${BASE}current: supabase\nleaving: neon\n`)).toThrow(/leaving: neon is not in current \(supabase\)/);
    expect(() => run(`${BASE}leaving: { because: [cost] }\n`)).toThrow(/leaving: nothing in current to move off/);
  });

  it('rejects an unknown reason in a file with the accepted ones', () => {
    let issues: { path: string; message: string }[] = [];
    try {
      parseRequirementsText(`${BASE}current: supabase\nleaving: { because: [bill] }\n`, 'r.yaml');
    } catch (e) {
      issues = (e as { issues: typeof issues }).issues;
    }
    expect(issues[0]?.path).toBe('leaving');
    expect(issues[0]?.message).toMatch(/reasons among cost, lock_in, reliability/);
  });

  it('takes --leaving and --because on the command line; bad input exits 2 with a hint', async () => {
    const ok = await cli(['advise', '--data-model', 'relational', '--mau', '5000', '--current', 'supabase', '--leaving', '--because', 'cost,lock-in', '--json']);
    expect(ok.code).toBe(0);
    const data = JSON.parse(ok.out);
    expect(data.stacks.every((s: { roles: Record<string, string>; selfHosted: string[] }) => s.selfHosted.includes('supabase') || !Object.values(s.roles).includes('supabase'))).toBe(true);
    expect(data.requirements.leaving.because).toEqual(['cost', 'lock_in']);
    const reason = await cli(['advise', '--current', 'supabase', '--leaving', '--because', 'price']);
    expect(reason.code).toBe(2);
    expect(reason.err).toMatch(/--because "price" is not one of cost, lock_in/);
    const alone = await cli(['advise', '--current', 'supabase', '--because', 'cost']);
    expect(alone.code).toBe(2);
    expect(alone.err).toMatch(/--because: give --leaving as well/);
    const stray = await cli(['advise', '--data-model', 'relational', '--current', 'supabase', '--leaving', 'neon']);
    expect(stray.code).toBe(2);
    expect(stray.err).toMatch(/hint: Add neon to --current/);
  });

  it('reads a platform named with :self in current or leaving (the notation of advise\'s stack keys) as the platform itself', () => {
    const r = parseRequirementsText('current: { auth: keycloak:self, database: supabase }\nleaving: { platforms: [keycloak:self], because: [cost] }\n', 'x.yaml');
    expect(r.current).toEqual(expect.arrayContaining([{ id: 'keycloak', roles: ['auth'], self: true }, { id: 'supabase', roles: ['database'] }]));
    expect(r.current).toHaveLength(2);
    expect(r.leaving?.platforms).toEqual(['keycloak']);
    const a = run(`${BASE}current: { auth: keycloak:self }\nleaving: keycloak\n`);
    for (const s of a.stacks) expect(s.roles.auth).not.toBe('keycloak');
  });
});
