import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';
import type { CreateResult } from '../../../src/backup/create.js';
import type { ListResult } from '../../../src/backup/list.js';
import type { RestoreResult } from '../../../src/backup/restore.js';
import type { VerifyResult } from '../../../src/backup/verify.js';
import { countLabelled, pgQuery, removeByLabel, SAMPLE_APP_MIGRATIONS, testProject, type TestProject } from '../../helpers/harness.js';

/**
 * Backups and point-in-time recovery against a real stack (Postgres with the sample multi-tenant
 * schema, Redis with a replica): the accident drill, a backup under a steady writer, bad input,
 * verify and retention. The repository is a host directory of the test.
 */
const CONFIG = `images: local
services:
  postgres:
    port: auto
    data: ./pgdata
  redis:
    port: auto
    sentinelPort: auto
    replicas: 1
    sentinels: 1
    quorum: 1
    downAfterMilliseconds: 1000
    failoverTimeout: 5000
  mongo:
    enabled: false
migrations:
  dir: db/migrations
backups:
  enabled: true
  dir: ./backups
  archiveTimeout: 10
`;

describe('backups and point-in-time recovery', () => {
  let p: TestProject;
  let admin: string;
  let redisPort: number;
  let redisPassword: string;
  const restored: string[] = [];

  /** Runs baas against a restored stack's config file. */
  const runOn = async (configFile: string, argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    const io = captureIo({ cwd: p.dir, env: p.env });
    const code = await main(['-c', configFile, ...argv], io);
    return { code, out: io.out(), err: io.err() };
  };
  const envOf = async (configFile: string): Promise<Record<string, string>> => {
    const r = await runOn(configFile, ['env', '--show-secrets', '--json']);
    expect(r.code, r.err).toBe(0);
    return Object.assign({}, ...(JSON.parse(r.out) as { env: Record<string, string> }[]).map((x) => x.env));
  };
  const portOf = async (configFile: string, service: string): Promise<number> => {
    const st = JSON.parse((await runOn(configFile, ['status', '--json'])).out) as { services: { service: string; ports: string[] }[] };
    return Number(/:(\d+)->/.exec(st.services.find((x) => x.service === service)!.ports[0]!)?.[1]);
  };
  const redis = async (port: number, ...args: string[]): Promise<unknown> => {
    const { Redis } = await import('ioredis');
    const c = new Redis({ host: '127.0.0.1', port, password: redisPassword, lazyConnect: true, maxRetriesPerRequest: 1 });
    await c.connect();
    try {
      return await c.call(args[0]!, ...args.slice(1));
    } finally {
      c.disconnect();
    }
  };

  beforeAll(async () => {
    p = testProject('backup');
    p.writeConfig(CONFIG);
    cpSync(SAMPLE_APP_MIGRATIONS, path.join(p.dir, 'db/migrations'), { recursive: true });
    const up = await p.run(['up', '--quiet']);
    expect(up.code, up.err).toBe(0);
    expect((await p.run(['migrate', 'up'])).code).toBe(0);
    const config = path.join(p.dir, 'platform.config.yaml');
    admin = (await envOf(config))['DATABASE_ADMIN_URL']!;
    redisPassword = (JSON.parse(readFileSync(path.join(p.dir, '.baas/secrets.json'), 'utf8')) as { redis: { password: string } }).redis.password;
    redisPort = await portOf(config, 'redis-1');
    await pgQuery(admin, "select baas_platform.set_active_org(null); insert into baas_platform.organisations (slug, name) values ('acme', 'Acme'), ('globex', 'Globex')");
  });

  afterAll(async () => {
    for (const name of restored) await removeByLabel(`baas.project=${name}`);
    await p?.cleanup();
  });

  it('the accident drill: restore --at T gives every row up to T, none after, and the dropped table', async () => {
    await pgQuery(admin, 'create schema drill; create table drill.events (id int primary key, at timestamptz not null default clock_timestamp())');
    await pgQuery(admin, 'insert into drill.events (id) select generate_series(1, 50)');
    await redis(redisPort, 'SET', 'k', 'before');

    const b = await p.runJson<CreateResult>(['backup', 'create', '--label', 'drill-base']);
    expect(b).toMatchObject({ label: 'drill-base', method: 'archive', redis: { role: 'replica', node: 'redis-2' } });
    expect(b.dataBytes).toBeGreaterThan(1_000_000);

    for (let i = 51; i <= 100; i++) await pgQuery(admin, 'insert into drill.events (id) values ($1)', [i]);
    await new Promise((r) => setTimeout(r, 1100));
    const T = new Date();
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 101; i <= 150; i++) await pgQuery(admin, 'insert into drill.events (id) values ($1)', [i]);
    await pgQuery(admin, 'drop table drill.events');
    await redis(redisPort, 'SET', 'k', 'after');

    const name = `${p.name.slice(0, 30)}-drill`;
    restored.push(name);
    const r = await p.run(['backup', 'restore', '--at', T.toISOString(), '--to', name, '--redis', '--json']);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out) as RestoreResult;
    expect(res).toMatchObject({ mode: 'new-stack', project: name, source: p.name, reached: 'target', backup: { label: 'drill-base' }, redis: 'restored' });
    const env = await envOf(res.configFile!);
    const rows = await pgQuery<{ n: number; max: number; late: number }>(env['DATABASE_ADMIN_URL']!, 'select count(*)::int as n, max(id) as max, count(*) filter (where at > $1)::int as late from drill.events', [T]);
    expect(rows[0]).toEqual({ n: 100, max: 100, late: 0 });
    // Redis came back from the backup's snapshot (taken on the replica), on the new stack.
    expect(await redis(await portOf(res.configFile!, 'redis-1'), 'GET', 'k')).toBe('before');
    // The running stack was not touched.
    expect(await pgQuery(admin, "select to_regclass('drill.events') as t")).toEqual([{ t: null }]);
    expect(await redis(redisPort, 'GET', 'k')).toBe('after');
  });

  it('refuses bad input with a clear error and an exit code, changing nothing', async () => {
    const before = await p.runJson<ListResult>(['backup', 'list']);
    const expectError = async (argv: string[], code: number, message: RegExp): Promise<void> => {
      const r = await p.run(argv);
      expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(code);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/^hint: /m);
    };
    const future = new Date(Date.now() + 3600_000).toISOString();
    await expectError(['backup', 'restore', '--at', future, '--to', 'never-made'], 2, /is in the future/);
    await expectError(['backup', 'restore', '--at', '2001-01-01T00:00:00Z', '--to', 'never-made'], 2, /is outside the recoverable window \(\d{4}-.* to \d{4}-.*\)/);
    await expectError(['backup', 'restore', '--at', 'no-such-label', '--to', 'never-made'], 2, /There is no backup labelled or named 'no-such-label'/);
    await expectError(['backup', 'restore', '--at', 'drill-base', '--to', restored[0]!], 5, /already exists/);
    await expectError(['backup', 'restore', '--at', 'drill-base', '--to', 'Bad_Name'], 2, /not a valid project name/);
    await expectError(['backup', 'restore', '--at', 'drill-base', '--in-place'], 2, /replaces the Postgres data/);
    await expectError(['backup', 'create', '--label', 'bad label!'], 2, /not a valid backup label/);
    await expectError(['backup', 'create', '--label', 'drill-base'], 5, /already exists/);
    const after = await p.runJson<ListResult>(['backup', 'list']);
    expect(after.backups.map((b) => b.id)).toEqual(before.backups.map((b) => b.id));
    expect(after.partials).toEqual([]);
    expect((await countLabelled('baas.project=never-made')).containers).toBe(0);
    expect(existsSync(path.join(p.dir, '.baas/restores/never-made'))).toBe(false);
  });

  it('restores a backup taken under a steady writer to a consistent state that passes rls check', async () => {
    const orgs = (await pgQuery<{ id: string }>(admin, 'select id from baas_platform.organisations order by slug')).map((o) => o.id);
    let stop = false;
    let written = 0;
    const writer = (async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        while (!stop) {
          const org = orgs[written % orgs.length];
          await c.query('begin');
          const pr = await c.query<{ id: string }>('insert into public.projects (org_id, name) values ($1, $2) returning id', [org, `p${written}`]);
          await c.query('insert into public.notes (org_id, project_id, title) values ($1, $2, $3)', [org, pr.rows[0]!.id, `n${written}`]);
          await c.query('commit');
          written++;
        }
      } finally {
        await c.end();
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 300));
      const b = await p.runJson<CreateResult>(['backup', 'create', '--label', 'under-load']);
      expect(b.method).toBe('archive');
    } finally {
      stop = true;
      await writer;
    }
    expect(written).toBeGreaterThan(10);
    const name = `${p.name.slice(0, 30)}-load`;
    restored.push(name);
    const r = await p.run(['backup', 'restore', '--at', 'latest', '--to', name, '--json']);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out) as RestoreResult;
    const env = await envOf(res.configFile!);
    const [counts] = await pgQuery<{ projects: number; notes: number; orphans: number }>(
      env['DATABASE_ADMIN_URL']!,
      'select (select count(*)::int from public.projects) as projects, (select count(*)::int from public.notes) as notes, (select count(*)::int from public.notes n where not exists (select 1 from public.projects p where p.id = n.project_id)) as orphans',
    );
    // Every transaction wrote one project and one note: nothing torn, and everything committed is there.
    expect(counts).toEqual({ projects: written, notes: written, orphans: 0 });
    const check = await runOn(res.configFile!, ['rls', 'check']);
    expect(check.code, check.out + check.err).toBe(0);
  });

  it('verify restores the newest backup into a throwaway server and checks databases and platform rows', async () => {
    const r = await p.run(['backup', 'verify', '--json']);
    expect(r.code, r.err).toBe(0);
    const v = JSON.parse(r.out) as VerifyResult;
    expect(v.ok).toBe(true);
    expect(v.backup.label).toBe('under-load');
    const checks = Object.fromEntries(v.checks.map((c) => [c.check, c]));
    expect(checks['database app']).toMatchObject({ ok: true });
    expect(checks['database postgres']).toMatchObject({ ok: true });
    expect(checks['rows baas_platform.organisations']).toMatchObject({ ok: true, detail: '2 as at the backup' });
    // Nothing of the throwaway server is left.
    expect((await countLabelled(`baas.oneoff=${p.name}`)).containers).toBe(0);
    expect((await countLabelled(`baas.oneoff=${p.name}`)).volumes).toBe(0);
  });

  it('lists the window and prunes to backups.keep without cutting it below the kept backups', async () => {
    const l = await p.runJson<ListResult>(['backup', 'list']);
    expect(l.backups.map((b) => b.label)).toEqual(['drill-base', 'under-load']);
    expect(l.live).toBe(true);
    expect(l.window.earliest).toBe(l.backups[0]!.stoppedAt);
    const dry = await p.runJson<{ removeBackups: { label: string }[]; removeWal: string[] }>(['backup', 'prune', '--keep', '1', '--dry-run']);
    expect(dry.removeBackups.map((b) => b.label)).toEqual(['drill-base']);
    expect((await p.runJson<ListResult>(['backup', 'list'])).backups).toHaveLength(2);
    const pr = await p.runJson<{ removeWal: string[] }>(['backup', 'prune', '--keep', '1']);
    expect(pr.removeWal.length).toBeGreaterThan(0);
    const after = await p.runJson<ListResult>(['backup', 'list']);
    expect(after.backups.map((b) => b.label)).toEqual(['under-load']);
    expect(after.window.earliest).toBe(after.backups[0]!.stoppedAt);
    const tooEarly = await p.run(['backup', 'restore', '--at', l.backups[0]!.stoppedAt, '--to', 'never-made']);
    expect(tooEarly.code).toBe(2);
    expect(tooEarly.err).toMatch(/outside the recoverable window/);
  });

  it('restores in place after confirmation, keeps the replaced data directory, and backs up the new timeline', async () => {
    await pgQuery(admin, "create table public.after_backup (id int primary key); select baas_platform.exempt_table('public.after_backup', 'test')");
    const r = await p.run(['backup', 'restore', '--at', 'under-load', '--in-place', '--yes', '--json']);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out) as RestoreResult;
    expect(res).toMatchObject({ mode: 'in-place', project: p.name, reached: 'target', replacedDataDir: expect.stringMatching(/\/pgdata\.replaced-\d{8}T\d{6}Z$/) });
    // The table created after the backup is gone; the replaced data directory is still there.
    expect(await pgQuery(admin, "select to_regclass('public.after_backup') as t")).toEqual([{ t: null }]);
    expect(existsSync(res.replacedDataDir!)).toBe(true);
    expect((await p.run(['health'])).code).toBe(0);
    // The server now writes timeline 2, archived like the first; a new backup lands on it.
    const b = await p.runJson<CreateResult>(['backup', 'create', '--label', 'after-restore']);
    expect(b.timeline).toBe(2);
    const l = await p.runJson<ListResult>(['backup', 'list']);
    expect(l.window.timeline).toBe(2);
    expect(l.backups.map((x) => [x.label, x.usable])).toEqual([['under-load', true], ['after-restore', true]]);
  });

  it('health reports the archiver', async () => {
    const h = await p.runJson<{ services: { service: string; status: string; detail: string }[] }>(['health', 'postgres']);
    expect(h.services[0]).toMatchObject({ status: 'healthy', detail: expect.stringMatching(/WAL archived up to [0-9A-F]{24}/) });
  });

  it('baas serve runs a scheduled backup and exports the backup age', async () => {
    p.writeConfig(`${CONFIG}schedules:
  - name: every-few-seconds
    job: backup
    every: 3s
`);
    const { startAgent, stopAgent, waitFor } = await import('../serve/agent.js');
    const agent = await startAgent(p);
    try {
      const before = (await runOn(path.join(p.dir, 'platform.config.yaml'), ['backup', 'list', '--json'])).out;
      const count = (JSON.parse(before) as ListResult).backups.length;
      const run = await waitFor('a scheduled backup', async () => {
        const h = (await agent.get('/health')).json() as { schedules: { name: string; lastRun?: { ok: boolean; summary: string } | null }[] };
        return h.schedules.find((x) => x.name === 'every-few-seconds')?.lastRun ?? undefined;
      }, 90_000, 500);
      expect(run.ok, run.summary).toBe(true);
      expect(run.summary).toMatch(/^backup \d{8}T\d{6}Z-/);
      const metrics = await waitFor('the backup age metric', async () => {
        const m = (await agent.authed('/metrics')).body;
        return /^baas_backup_age_seconds\{[^}]*\} \d/m.test(m) ? m : undefined;
      }, 30_000, 500).catch(async (e: unknown) => {
        const m = await agent.authed('/metrics').then((r) => r.body.split('\n').filter((l) => /^baas_/.test(l)).join('\n'), String);
        throw new Error(`${String(e)}; metrics: ${m}; agent log: ${agent.logs.filter((l) => /backup|"level":[45]/i.test(l)).slice(-6).join('\n')}`);
      });
      const age = Number(/^baas_backup_age_seconds\{[^}]*\} (\S+)/m.exec(metrics)![1]);
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(120);
      expect(Number(/^baas_backups\{[^}]*\} (\S+)/m.exec(metrics)![1]), metrics.split('\n').filter((l) => /baas_backup/.test(l)).join('\n')).toBeGreaterThan(0);
      const after = JSON.parse((await runOn(path.join(p.dir, 'platform.config.yaml'), ['backup', 'list', '--json'])).out) as ListResult;
      expect(after.backups.some((b) => b.label?.startsWith('every-few-seconds-'))).toBe(true);
      expect(after.backups.length).toBeGreaterThanOrEqual(Math.min(count + 1, after.keep));
    } finally {
      expect(await stopAgent(agent)).toBe(0);
      p.writeConfig(CONFIG);
    }
  });
});
