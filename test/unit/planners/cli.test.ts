import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';

const run = async (argv: string[]) => {
  const io = captureIo({ env: { ...process.env, BAAS_LOG_DIR: '' } });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
};
const scenario = (name: string): string => path.resolve('test/fixtures/scenarios', name);

describe('baas advise (CLI)', () => {
  it('ranks stacks from a requirements file as JSON', async () => {
    const r = await run(['advise', '--file', scenario('solo-mvp-realtime.yaml'), '--json']);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out);
    expect(data.stacks[0].key).toBe('supabase+vercel');
    expect(data.stacks[0].criteria.length).toBeGreaterThan(4);
    expect(data.satisfiable).toBe(true);
  });

  it('prints a table with reasons in a terminal, and Markdown on request', async () => {
    const t = await run(['advise', '--file', scenario('mobile-offline-google.yaml')]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/#\s+Stack\s+Score/);
    expect(t.out).toContain('Why #1 Firebase only');
    expect(t.out).toContain('[features.offline_sync]');
    const md = await run(['advise', '--file', scenario('mobile-offline-google.yaml'), '--markdown']);
    expect(md.out).toMatch(/^# Stack advice/);
    expect(md.out).toContain('| # | Stack |');
  });

  it('lets flags override the file', async () => {
    const r = await run(['advise', '--file', scenario('solo-mvp-realtime.yaml'), '--self-host', 'required', '--json']);
    const data = JSON.parse(r.out);
    expect(data.requirements.constraints.self_hosting).toBe('required');
    for (const p of data.stacks[0].cost.plans) expect(p.plan).toBe('self-hosted');
  });

  it('takes --commercial and --no-commercial over the $0-budget default', async () => {
    const base = ['advise', '--frontend', 'react', '--functions', '--budget', '0', '--only', 'compute', '--json'];
    const free = JSON.parse((await run(base)).out);
    expect(free.requirements.app.commercial).toBe(false);
    expect(free.assumptions.join('\n')).toMatch(/non-commercial project assumed/);
    const paid = JSON.parse((await run([...base, '--commercial'])).out);
    expect(paid.requirements.app.commercial).toBe(true);
    expect(paid.assumptions.join('\n')).not.toMatch(/non-commercial/);
    const hobby = JSON.parse((await run([...base, '--no-commercial'])).out);
    expect(hobby.requirements.app.commercial).toBe(false);
    expect(hobby.assumptions.join('\n')).not.toMatch(/non-commercial project assumed/);
  });

  it('refuses requirements no stack can be built for (exit 2), with a hint', async () => {
    const r = await run(['advise', '--current', 'neon', '--leaving', 'neon', '--only', 'database', '--data-model', 'relational', '--mau', '100']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No stack can be built: what stays \(auth on Neon\)/);
    expect(r.err).toMatch(/hint: .*--only database,auth/);
  });

  it('says which constraints conflict', async () => {
    const r = await run(['advise', '--file', scenario('selfhost-offline-contradiction.yaml')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('No stack meets every hard constraint; the stacks below are ranked by least breach.');
    expect(r.out).toMatch(/Offline sync .* self-hosting constraint cannot both be met/);
  });

  it('explains one stack: breaches, warnings, every criterion with weight and points, cost lines', async () => {
    const r = await run(['advise', '--file', scenario('solo-mvp-realtime.yaml'), '--explain', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^#2 of \d+: /);
    expect(r.out).toContain('Breaches (they rank a stack before its score');
    expect(r.out).toMatch(/Criterion\s+Weight\s+Score\s+Points/);
    expect(r.out).toMatch(/Total\s+\d+(\.\d+)?\s+\d+\.\d/);
    expect(r.out).toMatch(/Monthly cost/);
    const j = JSON.parse((await run(['advise', '--file', scenario('budget-zero-hipaa.yaml'), '--explain', '1', '--json'])).out);
    expect(j.stack.rank).toBe(1);
    expect(j.stack.criteria.length).toBeGreaterThan(4);
    expect(j.stack.cost.members.length).toBeGreaterThan(0);
    expect((await run(['advise', '--file', scenario('solo-mvp-realtime.yaml'), '--explain', '0'])).code).toBe(2);
    const far = await run(['advise', '--file', scenario('solo-mvp-realtime.yaml'), '--explain', '99999']);
    expect(far.code).toBe(2);
    expect(far.err).toMatch(/only \d+ stacks were ranked/);
  });

  it('asks in a terminal: the frontend is asked (default none) and each feature gets a level', async () => {
    const { PassThrough } = await import('node:stream');
    const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
    (stdin as { isTTY?: boolean }).isTTY = true;
    // stage, team, kind, frontend (Enter = none), model, size, features, level, sign-in, MAU, SSO, orgs, self-hosting, budget, compliance, lock-in
    stdin.end(['mvp', '2', 'saas', '', 'document', '1', 'realtime', 'core', 'y', '500', 'n', 'n', 'any', '', '', 'medium', ''].join('\n'));
    const io = captureIo({ isTTY: true, stdin, env: { ...process.env, BAAS_LOG_DIR: '' } });
    const code = await main(['advise'], io);
    expect(code).toBe(0);
    expect(io.out()).toContain('Frontend to host (none = nothing to host)');
    expect(io.out()).toContain('How central is realtime');
    expect(io.out()).toMatch(/Requirements: mvp, team 2; saas\/none; document 1 GB; realtime \(core\)/);
  });

  it('takes a capability level on the flag: --realtime core', async () => {
    const r = await run(['advise', '--kind', 'saas', '--data-model', 'document', '--no-auth', '--realtime', 'core', '--json']);
    const data = JSON.parse(r.out);
    expect(data.requirements.features.realtime).toBe('core');
    expect(['convex', 'firebase']).toContain(data.stacks[0].roles.database);
    const bad = await run(['advise', '--realtime', 'central']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--realtime "central" is not one of none, some, core/);
    const plain = JSON.parse((await run(['advise', '--realtime', '--json'])).out);
    expect(plain.requirements.features.realtime).toBe('some');
  });

  it('takes what runs today and the tenants on flags, and shows migration and maturity in --explain', async () => {
    const r = await run(['advise', '--stage', 'growth', '--kind', 'mobile', '--frontend', 'flutter', '--mau', '20000', '--current', 'firebase', '--json']);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out);
    expect(data.requirements.current).toEqual([{ id: 'firebase', roles: 'all' }]);
    expect(data.stacks[0].criteria.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(['migration', 'maturity']));
    const byRole = JSON.parse((await run(['advise', '--current', 'auth=auth0,database=supabase', '--json'])).out);
    expect(byRole.requirements.current).toEqual(expect.arrayContaining([{ id: 'auth0', roles: ['auth'] }]));
    const text = await run(['advise', '--stage', 'growth', '--kind', 'mobile', '--frontend', 'flutter', '--mau', '20000', '--current', 'firebase', '--explain', '1']);
    expect(text.out).toMatch(/Migration/);
    expect(text.out).toMatch(/Maturity/);
    const tenants = JSON.parse((await run(['advise', '--kind', 'content', '--data-model', 'relational', '--tenants', '500', '--tenant-isolation', 'database', '--json'])).out);
    expect(tenants.usage.projects).toBe(500);
    expect(tenants.assumptions).toContain('500 separate databases (one per tenant)');
  });

  it('rejects an unknown current platform, a bad role and a bad tenant isolation (exit 2)', async () => {
    const unknown = await run(['advise', '--current', 'firebas']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/Unknown current platform "firebas" \(did you mean firebase\?\)/);
    const role = await run(['advise', '--current', 'storage=firebase']);
    expect(role.code).toBe(2);
    expect(role.err).toMatch(/--current: "storage=firebase" is not a platform id or role=id/);
    const iso = await run(['advise', '--tenants', '5', '--tenant-isolation', 'schema']);
    expect(iso.code).toBe(2);
    expect(iso.err).toMatch(/--tenant-isolation must be shared or database/);
    expect((await run(['advise', '--tenant-isolation', 'database'])).code).toBe(2);
  });

  it('rejects a malformed requirements file with path and line (exit 3)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baas-req-'));
    const f = path.join(dir, 'req.yaml');
    writeFileSync(f, 'stage: mvp\nauth:\n  mau: lots\n');
    const r = await run(['advise', '--file', f]);
    expect(r.code).toBe(3);
    expect(r.err).toContain('auth.mau (line 3)');
  });

  it('rejects a missing file, a bad enum (with a suggestion) and a negative number (exit 2)', async () => {
    expect((await run(['advise', '--file', '/nope/req.yaml'])).code).toBe(2);
    const stage = await run(['advise', '--stage', 'grwoth']);
    expect(stage.code).toBe(2);
    expect(stage.err).toContain('did you mean growth?');
    const neg = await run(['advise', '--mau', '-5']);
    expect(neg.code).toBe(2);
    expect(neg.err).toContain('--mau cannot be negative');
  });

  it('has help with examples', async () => {
    const r = await run(['advise', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Examples:');
  });
});

describe('baas cost (CLI)', () => {
  it('costs every platform by default, with unknowns flagged', async () => {
    const r = await run(['cost', '--mau', '20000', '--db-gb', '5', '--json']);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out);
    expect(data.platforms.length).toBeGreaterThanOrEqual(13);
    expect(data.warnings.some((w: string) => /left out of the total/.test(w))).toBe(true);
  });

  it('breaks a stack down by component', async () => {
    const r = await run(['cost', '--stack', 'neon,clerk,vercel', '--mau', '60000', '--db-gb', '20', '--compute-hours', '730']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Clerk — Pro');
    expect(r.out).toMatch(/MRU\s+60,000\s+50,000/);
    expect(r.out).toContain('Stack total: $251.35/month');
    // Each part names where its prices come from and their date, so that a stale price shows.
    expect(r.out).toMatch(/Clerk — Pro[\s\S]*· prices from transcript of clerk\.com\/pricing, as of \d{4}-\d{2}-\d{2}\n/);
  });

  it('bills Neon for --active-hours, the hours with traffic, and refuses a negative figure', async () => {
    const half = await run(['cost', '--stack', 'neon,vercel', '--db-gb', '0.5', '--compute-hours', '730', '--active-hours', '365', '--json']);
    expect(half.code).toBe(0);
    const neon = (JSON.parse(half.out) as { stack: { members: { platform: string; plan: { id: string }; knownTotal: number }[] } }).stack.members.find((m) => m.platform === 'neon');
    expect(neon).toMatchObject({ plan: { id: 'free' }, knownTotal: 0 });
    const bad = await run(['cost', '--platform', 'neon', '--active-hours', '-5']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--active-hours cannot be negative/);
    expect((await run(['cost', '--help'])).out).toMatch(/--active-hours <n>\s+hours with traffic, billed by a database that scales/);
  });

  it('projects month by month and shows the plan change', async () => {
    const r = await run(['cost', '--platform', 'supabase', '--mau', '30000', '--db-gb', '0.3', '--months', '12', '--growth', '15%', '--json']);
    const data = JSON.parse(r.out);
    expect(data.projections[0].projection.planChanges).toEqual([{ month: 5, platform: 'supabase', from: 'free', to: 'pro' }]);
  });

  it('suggests the closest platform name', async () => {
    const r = await run(['cost', '--platform', 'supabse']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('did you mean supabase?');
    expect((await run(['cost', '--stack', 'neon,clerkk'])).err).toContain('did you mean clerk?');
  });

  it('rejects negative, non-numeric and absurd usage (exit 2)', async () => {
    expect((await run(['cost', '--db-gb', '-1'])).code).toBe(2);
    expect((await run(['cost', '--mau', 'many'])).code).toBe(2);
    const absurd = await run(['cost', '--db-gb', '1e12']);
    expect(absurd.code).toBe(2);
    expect(absurd.err).toContain('beyond any plausible');
    expect((await run(['cost', '--growth', 'fast'])).code).toBe(2);
  });

  it('lists every price with its source and date', async () => {
    const r = await run(['cost', '--sources', '--json']);
    const recs = JSON.parse(r.out) as { source: string; as_of: string }[];
    expect(recs.every((x) => x.source && x.as_of)).toBe(true);
    // Dates where dates belong: the As-of column never shows a git commit id.
    expect(recs.filter((x) => /commit/.test(x.as_of))).toEqual([]);
    const text = await run(['cost', '--sources']);
    for (const line of text.out.split('\n').slice(2).filter(Boolean)) {
      expect(line, line).toMatch(/\d{4}-\d{2}(-\d{2})?( \((retrieved|assumption)\))?$/);
    }
  });
});

describe('baas plan migration (CLI)', () => {
  it('plans a platform-to-platform move as JSON and Markdown', async () => {
    const r = await run(['plan', 'migration', '--from', 'firebase', '--to', 'supabase', '--data-gb', '12', '--json']);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out);
    expect(data.phases).toHaveLength(5);
    const md = await run(['plan', 'migration', '--from', 'firebase', '--to', 'supabase', '--markdown']);
    expect(md.out).toMatch(/^# Migration plan: Firebase → Supabase/);
  });

  it('rejects unknown platforms and non-Postgres URLs', async () => {
    const r = await run(['plan', 'migration', '--from', 'firebas', '--to', 'supabase']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('did you mean firebase?');
    expect((await run(['plan', 'migration', '--from', 'mysql://u:p@h/db', '--to', 'neon'])).code).toBe(2);
    expect((await run(['plan', 'migration', '--from', 'neon', '--to', 'postgres://u:p@h/db'])).code).toBe(2);
  });

  it('reports an unreachable database without printing its password (exit 7)', async () => {
    const r = await run(['plan', 'migration', '--from', 'postgres://app:hunter2@127.0.0.1:1/app', '--to', 'neon']);
    expect(r.code).toBe(7);
    expect(r.err).toContain('app:***@127.0.0.1:1');
    expect(r.err).not.toContain('hunter2');
  });
});
