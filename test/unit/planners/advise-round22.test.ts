import { describe, expect, it } from 'vitest';
import { advise } from '../../../src/planners/advise.js';
import { hostedSignInService } from '../../../src/planners/advise-candidates.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { adviseYaml as run, runCli } from '../../helpers/advise.js';

/** Round 22: a team moving off a hosted sign-in service is not offered another one. */
describe('advise: round 22', () => {
  const leavingClerk = 'app: { kind: saas, frontend: nextjs }\nauth: { needed: true }\ncurrent: { auth: clerk }\nleaving: { platforms: [clerk], because: [lock_in] }\ndecide: [auth]\n';

  it('knows the hosted sign-in services from the catalog: sign-in only, no self-hosting, not a library', () => {
    const ids = loadCatalog().platforms.filter(hostedSignInService).map((p) => p.id);
    expect(ids.sort()).toEqual(['auth0', 'clerk']);
  });

  it('leaves Auth0 out when the team moves off Clerk, says so, and offers sign-in in its own code first', () => {
    const a = run(leavingClerk);
    expect(a.stacks.some((s) => s.roles.auth === 'auth0' || s.roles.auth === 'clerk')).toBe(false);
    expect(a.stacks[0]?.roles.auth).toBe('authlib');
    expect(a.assumptions.join('\n')).toMatch(/Auth0 not offered for sign-in either: a hosted sign-in service shares what drives teams off another.*run without --leaving to compare it/);
  });

  it('leaves Clerk out when the team moves off Auth0', () => {
    const a = run('auth: { needed: true }\ncurrent: { auth: auth0 }\nleaving: auth0\ndecide: [auth]\n');
    expect(a.stacks.some((s) => s.roles.auth === 'clerk' || s.roles.auth === 'auth0')).toBe(false);
    expect(a.assumptions.join('\n')).toMatch(/Clerk not offered for sign-in either/);
  });

  it('keeps them when what is left is not a hosted sign-in service, or is only staying for another role', () => {
    const offSupabase = run('app: { kind: saas, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true }\ncurrent: supabase\nleaving: supabase\n');
    expect(offSupabase.stacks.some((s) => s.roles.auth === 'clerk')).toBe(true);
    expect(offSupabase.assumptions.join('\n')).not.toMatch(/not offered for sign-in either/);
    // Clerk stays for sign-in while only the database moves: nothing of its kind is left out.
    const dbOnly = run('data: { model: relational }\nauth: { needed: true }\ncurrent: { database: supabase, auth: clerk }\nleaving: [supabase, clerk]\ndecide: [database]\n');
    expect(dbOnly.assumptions.join('\n')).not.toMatch(/not offered for sign-in either/);
  });

  it('is a weight: with leaving.same_kind_sign_in off, Auth0 is offered again', () => {
    const w = { ...loadWeights() };
    w.leaving = { ...w.leaving, same_kind_sign_in: false };
    const a = advise(loadCatalog(), parseRequirementsText(leavingClerk, 'test.yaml'), { top: 50, weights: w });
    expect(a.stacks.some((s) => s.roles.auth === 'auth0')).toBe(true);
    expect(a.assumptions.join('\n')).not.toMatch(/not offered for sign-in either/);
  });

  it('prints the note in the CLI and keeps it in --json', async () => {
    const text = await runCli(['advise', '--kind', 'saas', '--mau', '1000', '--current', 'auth=clerk', '--leaving', 'clerk', '--only', 'auth']);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/Auth0 not offered for sign-in either/);
    const json = await runCli(['advise', '--kind', 'saas', '--mau', '1000', '--current', 'auth=clerk', '--leaving', 'clerk', '--only', 'auth', '--json']);
    expect(json.code, json.err).toBe(0);
    const parsed = JSON.parse(json.out) as { assumptions: string[]; stacks: { roles: { auth?: string } }[] };
    expect(parsed.assumptions.some((x) => /Auth0 not offered/.test(x))).toBe(true);
    expect(parsed.stacks.some((s) => s.roles.auth === 'auth0')).toBe(false);
  });
});

/** Round 23: Vercel Blob stores a Vercel-hosted app's files. */
describe('advise: round 23', () => {
  it('lets a Neon + Vercel stack keep its files in Vercel Blob, so it lacks nothing', () => {
    const a = run('app: { kind: saas, frontend: nextjs }\ndata: { model: relational }\nfeatures: { file_storage: some }\nauth: { needed: true }\n');
    const neonVercel = a.stacks.find((s) => s.roles.database === 'neon' && s.roles.compute === 'vercel');
    expect(neonVercel).toBeDefined();
    expect(neonVercel?.violations).toEqual([]);
    expect(neonVercel?.criteria.find((c) => c.id === 'capabilities')?.reasons.map((r) => r.text).join('\n')).toMatch(/file storage: Vercel/);
  });

  it('bills Blob storage past the plan allowance, with its source', async () => {
    const out = await runCli(['cost', '--stack', 'vercel', '--storage-gb', '25', '--json']);
    expect(out.code, out.err).toBe(0);
    const parsed = JSON.parse(out.out) as { stack: { roles: { roles: string[] }[]; members: { lines: { component: string; quantity: number; included: number | null; monthly: number; source?: string }[] }[] } };
    expect(parsed.stack.roles[0]?.roles).toEqual(['compute', 'storage']);
    const line = parsed.stack.members[0]?.lines.find((l) => l.component === 'storage_gb');
    expect(line).toMatchObject({ quantity: 25, included: 5 });
    expect(line?.monthly).toBeCloseTo(20 * 0.023, 2);
    expect(line?.source).toMatch(/Vercel Blob Pricing/);
  });
});

/** Round 24: a role kept as it runs today keeps running where it runs, on the team's own servers included. */
describe('advise: round 24', () => {
  it('keeps a self-hosted database self-hosted when only the sign-in is decided', () => {
    const a = run('auth: { needed: true }\nconstraints: { self_hosting: required }\ncurrent: { database: supabase:self, auth: supabase:self }\ndecide: [auth]\n');
    expect(a.stacks[0]?.key).toBe('supabase:self');
    expect(a.stacks.every((s) => s.roles.database === 'supabase' && s.key.includes('supabase:self'))).toBe(true);
    // Named without `:self`, the vendor's hosted service is what runs today.
    const hosted = run('auth: { needed: true }\ncurrent: { database: supabase }\ndecide: [auth]\n');
    expect(hosted.stacks.every((s) => s.roles.database === 'supabase' && !s.key.includes('supabase:self'))).toBe(true);
  });

  it('reads :self in every form of current, and keeps it when the parsed form is parsed again', () => {
    const forms = ['current: supabase:self\n', 'current: [supabase:self]\n', 'current: { database: supabase:self }\n'];
    for (const f of forms) {
      const r = parseRequirementsText(`data: { model: relational }\n${f}`, 'test.yaml');
      expect(r.current?.[0], f).toMatchObject({ id: 'supabase', self: true });
    }
    const again = parseRequirementsText(`current: [{ id: supabase, roles: [database], self: true }]\n`, 'test.yaml');
    expect(again.current?.[0]).toMatchObject({ id: 'supabase', roles: ['database'], self: true });
  });

  it('takes --current database=supabase:self on the command line', async () => {
    const out = await runCli(['advise', '--mau', '1000', '--self-host', 'required', '--current', 'database=supabase:self', '--only', 'auth', '--json']);
    expect(out.code, out.err).toBe(0);
    const parsed = JSON.parse(out.out) as { stacks: { key: string }[] };
    expect(parsed.stacks[0]?.key).toMatch(/supabase:self/);
  });
});

describe('cost: a credit line', () => {
  it('prints a negative amount as -$x, not $-x', async () => {
    const out = await runCli(['cost', '--stack', 'vercel', '--storage-gb', '20']);
    expect(out.code, out.err).toBe(0);
    expect(out.out).toMatch(/usage credit .* -\$0\.3\d/);
    expect(out.out).not.toMatch(/\$-/);
  });
});
