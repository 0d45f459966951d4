import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';
import { portInUse } from '../../../src/stack/context.js';
import { TEST_LABEL, countLabelled, pgQuery, removeByLabel } from '../../helpers/harness.js';

/**
 * The newcomer's path, walked as the README tells it on fresh project directories: the
 * Quickstart with the checked-in configuration (default ports), the Redis client example,
 * the sample app next to it, and the XFS recipe with an existing stack's data. Only the project
 * names are changed (so the stacks are this test's own and are removed by label).
 * Needs root (loop mount), like the CI.
 */

const repo = path.resolve(__dirname, '../../..');
const id = randomBytes(3).toString('hex');
const root = mkdtempSync(path.join(os.tmpdir(), 'baas-walk-'));
const qsDir = path.join(root, 'checkout');
const otherDir = path.join(root, 'second-checkout');
const appDir = path.join(root, 'my-app');
const img = path.join(root, 'pg.img');
const mnt = path.join(root, 'pgdata-xfs');
const names = { qs: `t-walk-qs-${id}`, other: `t-walk-two-${id}`, app: `t-walk-app-${id}` };
const DEFAULT_PORTS = [5432, 6379, 6380, 6381, 26379, 26380, 26381];

async function baas(dir: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: dir, env: { ...process.env, BAAS_LABELS: TEST_LABEL } });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}
async function ok(dir: string, argv: string[]): Promise<string> {
  const r = await baas(dir, argv);
  expect(r.code, `baas ${argv.join(' ')}: ${r.err}`).toBe(0);
  return r.out;
}
const json = async <T>(dir: string, argv: string[]): Promise<T> => JSON.parse(await ok(dir, [...argv, '--json'])) as T;

/** The checked-in configuration, as a fresh clone has it, with only the project renamed. */
function checkedInConfig(project: string): string {
  const text = readFileSync(path.join(repo, 'platform.config.yaml'), 'utf8');
  expect(text).toMatch(/^project: baas\b/m);
  return text.replace(/^project: baas\b/m, `project: ${project}`);
}

beforeAll(() => {
  mkdirSync(qsDir);
  writeFileSync(path.join(qsDir, 'platform.config.yaml'), checkedInConfig(names.qs));
  mkdirSync(otherDir);
  writeFileSync(path.join(otherDir, 'platform.config.yaml'), checkedInConfig(names.other));
});

afterAll(async () => {
  for (const p of Object.values(names)) await removeByLabel(`baas.project=${p}`);
  for (let i = 0; i < 20 && existsSync(mnt); i++) {
    try {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  rmSync(root, { recursive: true, force: true });
});

describe('Quickstart', () => {
  it('`baas up` with the checked-in config shows what it does from the first moment and brings the stack up on the default ports', async () => {
    const taken = [];
    for (const port of DEFAULT_PORTS) if (await portInUse('127.0.0.1', port)) taken.push(port);
    expect(taken, 'the Quickstart uses the default ports; something on this machine holds these').toEqual([]);
    const r = await baas(qsDir, ['up']);
    expect(r.code, r.err).toBe(0);
    const lines = r.err.trim().split('\n');
    // Progress starts before anything slow: Docker, then the plan, images and network, then services.
    expect(lines[0]).toMatch(/^\s*0\.\ds\s+docker\s+check/);
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    const firstCreate = at(/\b(postgres|redis-1)\s+create\b/);
    expect(at(/images\s+check/)).toBeGreaterThan(0);
    expect(at(/network\s+create/)).toBeGreaterThan(0);
    expect(at(/images\s+check/)).toBeLessThan(firstCreate);
    expect(at(/network\s+create/)).toBeLessThan(firstCreate);
    const status = await json<{ services: { service: string; ports: string[] }[] }>(qsDir, ['status']);
    expect(status.services.find((s) => s.service === 'postgres')?.ports[0]).toMatch(/^127\.0\.0\.1:5432/);
  });

  it('`baas env --show-secrets > .env` and the README\'s ioredis example write and read through the Sentinels', async () => {
    const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
    const example = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('natMap: JSON.parse(process.env.REDIS_NAT_MAP)'));
    expect(example, 'the README shows the ioredis example').toBeDefined();
    writeFileSync(path.join(qsDir, 'redis-example.mjs'), example!);
    symlinkSync(path.join(repo, 'node_modules'), path.join(qsDir, 'node_modules')); // as after `npm install ioredis`
    writeFileSync(path.join(qsDir, '.env'), await ok(qsDir, ['env', '--show-secrets']));
    const run = spawnSync('bash', ['-c', 'set -a; . ./.env; set +a; exec node redis-example.mjs'], { cwd: qsDir, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('hello');
  });

  it('a second stack on the same ports is refused before anything is created, naming every port at once', async () => {
    const r = await baas(otherDir, ['up']);
    expect(r.code).toBe(5);
    expect(r.err).toContain(`error: 7 ports this stack needs are already in use: ${DEFAULT_PORTS.join(', ')}.`);
    for (const p of DEFAULT_PORTS) expect(r.err).toMatch(new RegExp(`port ${p} for \\S+ \\(services\\.[a-z.A-Z]+\\): in use by container baas-${names.qs}-`));
    expect(r.err).toMatch(/^hint: Set services\.postgres\.port, services\.redis\.port, services\.redis\.sentinelPort to 'auto'/m);
    expect(await countLabelled(`baas.project=${names.other}`)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});

describe('the sample app, next to the running Quickstart stack', () => {
  it('cp -r templates/sample-app my-app && cd my-app && baas up && baas migrate up && baas rls check', async () => {
    cpSync(path.join(repo, 'templates/sample-app'), appDir, { recursive: true });
    const cfg = path.join(appDir, 'platform.config.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^project: sample-app$/m, `project: ${names.app}`));
    await ok(appDir, ['up']);
    const m = await ok(appDir, ['migrate', 'up']);
    expect(m).toMatch(/applied app +0001_projects_and_notes/);
    const check = await ok(appDir, ['rls', 'check']);
    expect(check).toMatch(/isolation holds/);
  });

  it('`baas migrate new` numbers after the app\'s own files and writes an example that applies as is and passes rls check', async () => {
    const r = await ok(appDir, ['migrate', 'new', 'add_tags']);
    expect(r).toMatch(/Created migrations\/0002_add_tags\.sql: an example tenant table 'tags'/);
    await ok(appDir, ['migrate', 'up']);
    const status = await json<{ tables: { table: string; mode: string }[] }>(appDir, ['rls', 'status']);
    expect(status.tables.find((t) => t.table === 'public.tags')?.mode).toBe('enforce');
    await ok(appDir, ['rls', 'check']);
  });

  it('`baas tenant member add|list|remove` manages members with roles, and refuses bad input', async () => {
    await ok(appDir, ['tenant', 'create', 'acme']);
    expect(await ok(appDir, ['tenant', 'member', 'add', 'acme', 'user-42', '--role', 'owner'])).toBe('Added user-42 to acme as owner.\n');
    await ok(appDir, ['tenant', 'member', 'add', 'acme', 'ana@example.com']);
    expect(await ok(appDir, ['tenant', 'member', 'add', 'acme', 'ana@example.com', '--role', 'admin'])).toBe('ana@example.com is now admin of acme (was member).\n');
    const list = await json<{ userId: string; role: string }[]>(appDir, ['tenant', 'member', 'list', 'acme']);
    expect(list.map((m) => `${m.userId}:${m.role}`)).toEqual(['user-42:owner', 'ana@example.com:admin']);
    const tenants = await json<{ slug: string; members: number }[]>(appDir, ['tenant', 'list']);
    expect(tenants.find((t) => t.slug === 'acme')?.members).toBe(2);
    expect(await ok(appDir, ['tenant', 'member', 'remove', 'acme', 'ana@example.com'])).toBe('Removed ana@example.com (admin) from acme.\n');
    const bad = await baas(appDir, ['tenant', 'member', 'add', 'acme', 'bob', '--role', 'boss']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^hint: Use one of owner, admin, member, viewer\.$/m);
    const unknown = await baas(appDir, ['tenant', 'member', 'list', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("No tenant with the slug 'nobody'.");
    const missing = await baas(appDir, ['tenant', 'member', 'remove', 'acme', 'ana@example.com']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("ana@example.com is not a member of 'acme'.");
  });

  it('`baas rls check --schema billing` says the app role has no access and prints the GRANT; `rls status` lists the table; `rls enable --grant` fixes it', async () => {
    const admin = (await json<{ env: Record<string, string> }>(appDir, ['connect', 'postgres', '--show-secrets'])).env['DATABASE_ADMIN_URL']!;
    await pgQuery(admin, `create schema billing;
      create table billing.invoices (id uuid primary key default gen_random_uuid(),
        org_id uuid not null default baas_platform.current_org() references baas_platform.organisations (id) on delete cascade, amount int);
      select baas_platform.enable_tenant_rls('billing.invoices', 'org_id', 'enforce');`);
    const status = await json<{ tables: { table: string; mode: string }[] }>(appDir, ['rls', 'status']);
    expect(status.tables.find((t) => t.table === 'billing.invoices')?.mode).toBe('enforce');
    const check = await baas(appDir, ['rls', 'check', '--schema', 'billing']);
    expect(check.code).toBe(6);
    expect(check.out).not.toMatch(/permission denied/);
    expect(check.out).toMatch(/billing\.invoices: app access: the application role app cannot use this table \(no USAGE on schema billing; no SELECT, INSERT, UPDATE, DELETE on the table\)/);
    expect(check.out).toContain('GRANT USAGE ON SCHEMA "billing" TO "app";');
    expect(check.out).toContain('GRANT SELECT, INSERT, UPDATE, DELETE ON "billing"."invoices" TO "app";');
    expect(check.out).toContain('baas rls enable <table> --grant');
    await ok(appDir, ['rls', 'enable', 'billing.invoices', '--grant']);
    expect(await ok(appDir, ['rls', 'check', '--schema', 'billing'])).toMatch(/1 table\(s\) checked as role app with a live probe: isolation holds/);
  });

  it('baas_platform.databases and `baas branch list` agree on whether main is protected', async () => {
    const admin = (await json<{ env: Record<string, string> }>(appDir, ['connect', 'postgres', '--show-secrets'])).env['DATABASE_ADMIN_URL']!;
    const inSql = async (): Promise<boolean> => (await pgQuery<{ p: boolean }>(admin, "select protected as p from baas_platform.databases where name = 'app'"))[0]!.p;
    const inList = async (): Promise<boolean> => (await json<{ branches: { name: string; protected: boolean }[] }>(appDir, ['branch', 'list'])).branches.find((b) => b.name === 'main')!.protected;
    expect(await inSql()).toBe(await inList());
    expect(await inList()).toBe(false);
    await ok(appDir, ['branch', 'protect', 'main']);
    expect([await inSql(), await inList()]).toEqual([true, true]);
    await ok(appDir, ['branch', 'unprotect', 'main']);
    expect([await inSql(), await inList()]).toEqual([false, false]);
  });

  it('`baas down --volumes` removes the sample app and leaves the Quickstart stack running', async () => {
    await ok(appDir, ['down', '--volumes']);
    expect(await countLabelled(`baas.project=${names.app}`)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect((await json<{ healthy: boolean }>(qsDir, ['health'])).healthy).toBe(true);
  });
});

describe('the XFS recipe, with the Quickstart stack\'s data', () => {
  let admin: string;
  beforeAll(async () => {
    await ok(qsDir, ['migrate', 'up']);
    await ok(qsDir, ['tenant', 'create', 'keep-me']);
    admin = (await json<{ env: Record<string, string> }>(qsDir, ['connect', 'postgres', '--show-secrets'])).env['DATABASE_ADMIN_URL']!;
    // truncate -s … pg.img && mkfs.xfs -m reflink=1 pg.img && mount -o loop pg.img <dir>
    execFileSync('truncate', ['-s', '1G', img]);
    execFileSync('mkfs.xfs', ['-q', '-m', 'reflink=1', img]);
    mkdirSync(mnt);
    execFileSync('mount', ['-o', 'loop', img, mnt]);
  });
  const tenants = async (): Promise<string[]> => (await pgQuery<{ slug: string }>(admin, 'select slug from baas_platform.organisations order by slug')).map((r) => r.slug);

  it('`baas up` refuses to start Postgres empty on the new data path, naming both places and the ways forward', async () => {
    const cfg = path.join(qsDir, 'platform.config.yaml');
    const text = readFileSync(cfg, 'utf8');
    expect(text).toMatch(/^ {4}data: volume /m);
    writeFileSync(cfg, text.replace(/^ {4}data: volume /m, `    data: ${mnt} `));
    const r = await baas(qsDir, ['up']);
    expect(r.code).toBe(5);
    expect(r.err).toContain(`postgres: data is in volume baas-${names.qs}-postgres-data; the configuration now says ${mnt} (empty)`);
    expect(r.err).toContain(`\`baas data move postgres ${mnt}\``);
    expect(r.err).toContain('`baas up --force`');
    expect(readdirSync(mnt)).toEqual([]);
    expect(await tenants()).toContain('keep-me'); // nothing was recreated
  });

  it('`baas data move postgres <path>` copies, verifies and switches; the data is all there and branches are clones', async () => {
    const r = await ok(qsDir, ['data', 'move', 'postgres', mnt]);
    expect(r).toMatch(new RegExp(`Copied postgres: volume baas-${names.qs}-postgres-data -> ${mnt} \\(\\d+ files, .*\\), verified\\.`));
    expect(r).toContain(`services.postgres.data: ${mnt}`);
    expect(r).toMatch(/still in volume baas-.*-postgres-data/);
    expect(readFileSync(path.join(qsDir, 'platform.config.yaml'), 'utf8')).toMatch(new RegExp(`^ {4}data: ${mnt}`, 'm'));
    expect(readFileSync(path.join(qsDir, 'platform.config.yaml'), 'utf8')).toContain('# names containers (baas-<project>-<service>)'); // comments kept
    expect(await tenants()).toContain('keep-me');
    const again = await json<{ changed: boolean }>(qsDir, ['up']);
    expect(again.changed).toBe(false);
    const b = await json<{ choice: { strategy: string }; pause: { paused: boolean; pauseMs: number } }>(qsDir, ['branch', 'create', 'feature-x']);
    expect(b.choice.strategy).toBe('clone');
    expect(b.pause.pauseMs).toBeGreaterThan(0);
  });

  it('`baas down` says where the bind-mounted data was kept; `down --volumes` deletes it and says so', async () => {
    const kept = await ok(qsDir, ['down']);
    expect(kept).toContain(`Kept ${mnt}: postgres's data (bind mount); \`baas down --volumes\` deletes it.`);
    expect(existsSync(path.join(mnt, 'pgdata'))).toBe(true);
    const gone = await ok(qsDir, ['down', '--volumes']);
    expect(gone).toContain(`Deleted the data in ${path.join(mnt, 'pgdata')}`);
    expect(existsSync(path.join(mnt, 'pgdata'))).toBe(false);
    expect(existsSync(mnt)).toBe(true);
    expect(await countLabelled(`baas.project=${names.qs}`)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
