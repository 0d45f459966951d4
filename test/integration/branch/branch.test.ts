import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testProject, type TestProject } from '../../helpers/harness.js';
import { unmountScratch } from '../../helpers/mounts.js';

/**
 * Branches against a real Postgres 18 whose data directory is bind-mounted from an XFS loop
 * filesystem with reflink=1, so the copy-on-write path is the one exercised (runs as root,
 * like the CI).
 */

const id = randomBytes(3).toString('hex');
const img = `/tmp/baas-branch-${id}.img`;
const mnt = `/tmp/baas-branch-${id}-mnt`;
const repo = path.resolve(__dirname, '../../..');

let p: TestProject;
let adminUrl: string;

function usedBytes(dir: string): number {
  const s = statfsSync(dir);
  return (Number(s.blocks) - Number(s.bfree)) * Number(s.bsize);
}

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

const dbUrl = (db: string): string => {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
};
const q = async <R extends object = Record<string, unknown>>(db: string, sql: string, params: unknown[] = []): Promise<R[]> =>
  withPg(dbUrl(db), async (c) => (await c.query<R>(sql, params)).rows);
const allowConn = async (db: string): Promise<boolean> =>
  (await q<{ a: boolean }>('postgres', 'select datallowconn as a from pg_database where datname = $1', [db]))[0]!.a;
const databases = async (): Promise<string[]> => (await q<{ d: string }>('postgres', 'select datname as d from pg_database order by 1')).map((r) => r.d);

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface CreateJson {
  branch: string;
  database: string;
  choice: { strategy: string; reason: string; fallback?: string };
  pause: { paused: boolean; pauseMs: number; terminated: { pid: number; application: string }[] };
}
interface ListJson {
  branches: { name: string; parent: string | null; expired: boolean; protected: boolean; connections: number; sizeBytes: number }[];
  repaired: string[];
}

beforeAll(async () => {
  execFileSync('truncate', ['-s', '2G', img]);
  execFileSync('mkfs.xfs', ['-q', '-m', 'reflink=1', img]);
  mkdirSync(mnt, { recursive: true });
  execFileSync('mount', ['-o', 'loop', img, mnt]);
  mkdirSync(path.join(mnt, 'pgdata'));
  p = testProject(
    'branch',
    `images: local
services:
  postgres:
    port: auto
    data: ${mnt}/pgdata
    settings:
      max_prepared_transactions: 5
  redis:
    enabled: false
  mongo:
    enabled: false
`,
  );
  const up = await p.run(['up']);
  expect(up.code, up.err).toBe(0);
  const r = await p.run(['branch', 'connstr', 'main', '--admin']);
  expect(r.code, r.err).toBe(0);
  adminUrl = r.out.trim();
});

afterAll(async () => {
  await p?.cleanup();
  await unmountScratch(mnt);
  rmSync(img, { force: true });
});

describe('baas branch on XFS with reflink (copy-on-write)', () => {
  it('explains that the clone path applies and why, without doing it', async () => {
    const r = await p.run(['branch', 'create', 'plan', '--explain']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/method\s+clone: .*xfs with reflink/);
    expect(await databases()).not.toContain('br_plan');
  });

  it('branches a ~200 MB database in constant space: used disk nearly unchanged, data all there', async () => {
    await q('app', `create table big (id int primary key, pad text) with (fillfactor = 10);
      insert into big select g, repeat('x', 100) from generate_series(1, 150000) g;`);
    const size = Number((await q<{ s: string }>('app', "select pg_database_size('app')::text as s"))[0]!.s);
    expect(size).toBeGreaterThan(180 * 1024 * 1024);
    await q('app', 'checkpoint');
    const before = usedBytes(mnt);
    const r = await p.run(['branch', 'create', 'big-clone', '--json']);
    expect(r.code, r.err).toBe(0);
    const after = usedBytes(mnt);
    const j = JSON.parse(r.out) as CreateJson;
    expect(j.choice.strategy).toBe('clone');
    expect(j.choice.fallback).toBeUndefined();
    expect(after - before).toBeLessThan(20 * 1024 * 1024);
    const rows = await q<{ n: number; s: string }>('br_big-clone', 'select count(*)::int as n, sum(id)::text as s from big');
    expect(rows[0]).toEqual({ n: 150000, s: String((150000 * 150001) / 2) });
  });

  it('keeps writes apart both ways', async () => {
    expect((await p.run(['branch', 'create', 'iso'])).code).toBe(0);
    await q('br_iso', "insert into big values (-1, 'only on the branch')");
    await q('app', "insert into big values (-2, 'only on main')");
    expect((await q('app', 'select 1 from big where id = -1')).length).toBe(0);
    expect((await q('br_iso', 'select 1 from big where id = -2')).length).toBe(0);
    expect((await q('br_iso', 'select 1 from big where id = -1')).length).toBe(1);
  });

  it('copies database settings whose values hold commas, quotes and backslashes, even with standard_conforming_strings off', async () => {
    await q('app', `alter database app set application_name = 'one, two'`);
    await q('app', `alter database app set search_path = "we,ird", public, "it's"`);
    await q('app', `alter database app set baas_test.note = E'back\\\\slash, and ''quote'''`);
    await q('app', `alter role app in database app set statement_timeout = '5s'`);
    // The superuser's sessions read literals the pre-9.1 way: a hand-written quoter breaks on the backslash.
    await q('postgres', 'alter role postgres set standard_conforming_strings = off');
    try {
      const r = await p.run(['branch', 'create', 'settings']);
      expect(r.code, r.err).toBe(0);
    } finally {
      await q('postgres', 'alter role postgres reset standard_conforming_strings');
    }
    const settings = async (db: string) =>
      q<{ role: string | null; cfg: string[] }>(
        'postgres',
        `select pg_get_userbyid(nullif(s.setrole, 0)) as role, s.setconfig as cfg from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase where d.datname = $1 order by 1 nulls first`,
        [db],
      );
    const main = await settings('app');
    expect(main[0]!.cfg).toContain('application_name=one, two');
    expect(main[0]!.cfg).toContain(`baas_test.note=back\\slash, and 'quote'`);
    expect(await settings('br_settings')).toEqual(main);
    await q('app', 'alter database app reset all');
    await q('app', 'alter role app in database app reset all');
    expect((await p.run(['branch', 'delete', 'settings'])).code).toBe(0);
  });

  it("reset re-creates the branch from the parent's current state, keeping its name", async () => {
    const r = await p.run(['branch', 'reset', 'iso']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("Reset branch 'iso' from 'main'");
    expect((await q('br_iso', 'select 1 from big where id = -1')).length).toBe(0);
    expect((await q('br_iso', 'select 1 from big where id = -2')).length).toBe(1);
    await q('app', 'delete from big where id = -2');
  });

  it('gives a working app-role URL and never writes it to the log', async () => {
    const url = (await p.run(['branch', 'connstr', 'iso'])).out.trim();
    expect(url).toMatch(/^postgres:\/\/app:[^@]+@127\.0\.0\.1:\d+\/br_iso$/);
    const who = await withPg(url, async (c) => (await c.query<{ u: string; n: number }>('select current_user as u, count(*)::int as n from big')).rows[0]);
    expect(who?.u).toBe('app');
    expect(who?.n).toBeGreaterThanOrEqual(150000);
    const password = decodeURIComponent(new URL(url).password);
    const logs = path.join(p.dir, '.baas', 'logs');
    const text = existsSync(logs) ? readdirSync(logs).map((f) => readFileSync(path.join(logs, f), 'utf8')).join('') : '';
    expect(text).not.toContain(password);
  });

  it('diffs schemas: tables, columns, types, indexes, constraints, RLS policies and functions', async () => {
    await q('app', 'create table people (id int primary key, name text)');
    expect((await p.run(['branch', 'create', 'schema'])).code).toBe(0);
    await q('br_schema', `
      create table orders (id serial primary key, total numeric(10,2) not null check (total >= 0));
      alter table people alter column name type varchar(200);
      alter table people add column note text;
      create index people_name_idx on people (name);
      alter table orders enable row level security;
      create policy positive on orders using (total > 0);
      create function add_one(x int) returns int language sql as 'select x + 1';`);
    const r = await p.run(['branch', 'diff', 'main', 'schema']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/\+ table\s+public\.orders/);
    expect(r.out).toMatch(/\+ column\s+public\.people\.note\s+text/);
    expect(r.out).toMatch(/~ column\s+public\.people\.name\s+text\s+→\s+character varying\(200\)/);
    expect(r.out).toMatch(/\+ index\s+public\.people_name_idx/);
    expect(r.out).toMatch(/\+ constraint\s+public\.orders\.orders_total_check\s+CHECK/);
    expect(r.out).toMatch(/\+ rls\s+public\.orders\s+enabled/);
    expect(r.out).toMatch(/\+ policy\s+public\.orders\.positive/);
    expect(r.out).toMatch(/\+ function\s+public\.add_one\(x integer\)/);
    const j = JSON.parse((await p.run(['branch', 'diff', 'schema', 'main', '--json'])).out) as { removed: { key: string }[] };
    expect(j.removed.map((x) => x.key)).toContain('public.orders');
    expect((await p.run(['branch', 'diff', 'main', 'schema', '--exit-code'])).code).toBe(6);
    expect((await p.run(['branch', 'diff', 'big-clone', 'iso', '--exit-code'])).code).toBe(0);
  });

  it('protects branches from delete and reset; refuses main, children and bad names', async () => {
    expect((await p.run(['branch', 'create', 'keep', '--protect'])).code).toBe(0);
    expect((await p.run(['branch', 'create', 'kid', '--from', 'keep'])).code).toBe(0);
    const del = await p.run(['branch', 'delete', 'keep']);
    expect(del.code).toBe(5);
    expect(del.err).toContain('protected');
    expect((await p.run(['branch', 'reset', 'keep'])).code).toBe(5);
    expect((await p.run(['branch', 'delete', 'main'])).code).toBe(2);
    expect((await p.run(['branch', 'create', 'iso'])).code).toBe(5);
    expect((await p.run(['branch', 'create', 'x', '--from', 'nope'])).code).toBe(2);
    const evil = await p.run(['branch', 'create', 'x"; drop database app; --']);
    expect(evil.code).toBe(2);
    expect(await databases()).toContain('app');
    expect((await p.run(['branch', 'unprotect', 'keep'])).code).toBe(0);
    const withKid = await p.run(['branch', 'reset', 'keep']);
    expect(withKid.code).toBe(5);
    expect(withKid.err).toContain('child');
    expect((await p.run(['branch', 'delete', 'kid'])).code).toBe(0);
    expect((await p.run(['branch', 'delete', 'keep'])).code).toBe(0);
    expect(await databases()).not.toContain('br_keep');
  });

  it('flags expired branches in list and deletes them with gc, keeping protected ones', async () => {
    expect((await p.run(['branch', 'create', 'old', '--ttl', '1d'])).code).toBe(0);
    expect((await p.run(['branch', 'create', 'old-kept', '--ttl', '1d', '--protect'])).code).toBe(0);
    // Age both by rewriting their stored expiry, as time passing would.
    for (const db of ['br_old', 'br_old-kept']) {
      const c = (await q<{ c: string }>('postgres', "select shobj_description(oid, 'pg_database') as c from pg_database where datname = $1", [db]))[0]!.c;
      const doc = JSON.parse(c) as { baas: Record<string, unknown> };
      doc.baas['expires_at'] = '2020-01-01T00:00:00.000Z';
      await q('postgres', `comment on database "${db}" is '${JSON.stringify(doc)}'`);
    }
    const list = await p.runJson<ListJson>(['branch', 'list']);
    expect(list.branches.filter((b) => b.expired).map((b) => b.name).sort()).toEqual(['old', 'old-kept']);
    const text = await p.run(['branch', 'list']);
    expect(text.out).toMatch(/old\s+main.*EXPIRED/);
    const gc = await p.run(['branch', 'gc']);
    expect(gc.code, gc.err).toBe(0);
    expect(gc.out).toContain("Deleted 'old'");
    expect(gc.out).toContain("Kept expired 'old-kept': protected");
    expect(await databases()).not.toContain('br_old');
    expect(await databases()).toContain('br_old-kept');
  });

  it('connects from the remembered address without Docker, and asks Docker again when it no longer answers', async () => {
    const cache = path.join(p.dir, '.baas', 'connection-cache.json');
    expect((await p.run(['branch', 'list'])).code).toBe(0);
    const entry = JSON.parse(readFileSync(cache, 'utf8')) as { postgres: { admin: string } };
    expect(entry.postgres.admin).toBe(adminUrl);
    // A Docker that cannot be reached does not matter while the remembered address answers.
    const noDocker = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    expect((await p.run(['branch', 'list'], noDocker)).code).toBe(0);
    // A stale address (the container was recreated on another port): Docker is asked, the entry replaced.
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const stale = new URL(adminUrl);
    stale.port = String(closed);
    writeFileSync(cache, JSON.stringify({ ...entry, postgres: { ...entry.postgres, admin: stale.toString() } }), { mode: 0o600 });
    expect((await p.run(['branch', 'list'], noDocker)).code).toBe(4);
    const r = await p.run(['branch', 'list', '--json']);
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(readFileSync(cache, 'utf8')) as { postgres: { admin: string } }).postgres.admin).toBe(adminUrl);
  });

  it('opens no session on main after a branch change while main has no registry, and looks again once main is written', async () => {
    // Sessions ever opened on main; the server counts them as they end.
    const sessionsOnMain = async (): Promise<number> => {
      await new Promise((r) => setTimeout(r, 1000));
      return Number((await q<{ n: string }>('postgres', "select sessions::text as n from pg_stat_database where datname = 'app'"))[0]!.n);
    };
    await q('app', 'vacuum analyze'); // autovacuum then has nothing to write in main meanwhile
    expect((await p.run(['branch', 'create', 'gate-a'])).code).toBe(0); // looks once, remembers "none"
    const before = await sessionsOnMain();
    expect((await p.run(['branch', 'create', 'gate-b'])).code).toBe(0);
    expect((await p.run(['branch', 'delete', 'gate-b'])).code).toBe(0);
    expect(await sessionsOnMain()).toBe(before);
    await q('app', 'create table gate_touch (id int)'); // one session, and catalog rows written in main
    const touched = await sessionsOnMain();
    expect(touched).toBe(before + 1);
    expect((await p.run(['branch', 'delete', 'gate-a'])).code).toBe(0);
    expect(await sessionsOnMain()).toBe(touched + 1);
    await q('app', 'drop table gate_touch');
  });

  it('keeps the platform database registry (baas_platform.databases) in step once migrations have run', async () => {
    const gate = path.join(p.dir, '.baas', 'branch-registry.json');
    expect(existsSync(gate)).toBe(true); // the test before left "main has no registry" remembered
    const m = await p.run(['migrate', 'up']);
    expect(m.code, m.err).toBe(0);
    expect(existsSync(gate)).toBe(false); // forgotten: the next branch command looks again
    expect((await p.run(['branch', 'create', 'reg-a', '--ttl', '2d'])).code).toBe(0);
    expect((await p.run(['branch', 'create', 'reg-b', '--from', 'reg-a', '--protect'])).code).toBe(0);
    const rows = async () =>
      q<{ name: string; parent: string | null; protected: boolean; expires: boolean }>(
        'app',
        "select name, parent, protected, expires_at is not null as expires from baas_platform.databases where name like 'br_reg%' order by name",
      );
    expect(await rows()).toEqual([
      { name: 'br_reg-a', parent: 'app', protected: false, expires: true },
      { name: 'br_reg-b', parent: 'br_reg-a', protected: true, expires: false },
    ]);
    expect((await p.run(['branch', 'unprotect', 'reg-b'])).code).toBe(0);
    expect((await p.run(['branch', 'delete', 'reg-b'])).code).toBe(0);
    expect((await rows()).map((r) => r.name)).toEqual(['br_reg-a']);
    expect((await p.run(['branch', 'delete', 'reg-a'])).code).toBe(0);
    expect(await rows()).toEqual([]);
  });
});

describe('a parent in use', () => {
  it('--no-disrupt fails with exit 5 listing the sessions; the default ends them and reports the pause', async () => {
    const holder = new pg.Client({ connectionString: dbUrl('app'), application_name: 'busy-app' });
    holder.on('error', () => {});
    await holder.connect();
    const pid = (await holder.query<{ p: number }>('select pg_backend_pid() as p')).rows[0]!.p;
    const refused = await p.run(['branch', 'create', 'polite', '--no-disrupt']);
    expect(refused.code).toBe(5);
    expect(refused.err).toContain(`pid ${pid}: busy-app`);
    expect(await databases()).not.toContain('br_polite');

    const r = await p.run(['branch', 'create', 'rude', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as CreateJson;
    expect(j.pause.paused).toBe(true);
    expect(j.pause.terminated.map((t) => t.pid)).toContain(pid);
    expect(j.pause.pauseMs).toBeLessThan(5000);
    await expect(holder.query('select 1')).rejects.toThrow();
    await holder.end().catch(() => {});
    expect(await allowConn('app')).toBe(true);
  });

  it('never disrupts a protected parent without --force', async () => {
    expect((await p.run(['branch', 'protect', 'main'])).code).toBe(0);
    const holder = new pg.Client({ connectionString: dbUrl('app'), application_name: 'precious' });
    holder.on('error', () => {});
    await holder.connect();
    const r = await p.run(['branch', 'create', 'nope']);
    expect(r.code).toBe(5);
    expect(r.err).toContain('protected');
    expect((await holder.query('select 1 as x')).rows[0]).toEqual({ x: 1 });
    const forced = await p.run(['branch', 'create', 'forced', '--force']);
    expect(forced.code, forced.err).toBe(0);
    await holder.end().catch(() => {});
    expect((await p.run(['branch', 'unprotect', 'main'])).code).toBe(0);
  });

  it('a copy that fails midway leaves no branch and re-allows connections to the parent', async () => {
    // A prepared transaction keeps the parent "in use" in a way no session can be ended for.
    const c = new pg.Client({ connectionString: dbUrl('app') });
    await c.connect();
    await c.query('begin');
    await c.query("insert into big values (-3, 'prepared')");
    await c.query("prepare transaction 'baas_branch_test'");
    await c.end();
    try {
      const r = await p.run(['branch', 'create', 'halfway']);
      expect(r.code).toBe(5);
      expect(r.err).toMatch(/prepared transaction/);
      const dbs = await databases();
      expect(dbs.filter((d) => d.startsWith('br_halfway') || d.startsWith('br__tmp'))).toEqual([]);
      expect(await allowConn('app')).toBe(true);
    } finally {
      await q('app', "rollback prepared 'baas_branch_test'");
    }
  });
});

describe('an interrupted create', () => {
  const cli = path.join(repo, 'bin', 'baas.js');

  /** Starts `baas branch create` in a child process, stalled on a lock another session holds on the parent. */
  async function stalledCreate(name: string): Promise<{ child: ReturnType<typeof spawn>; release: () => Promise<void>; exit: Promise<number | null>; stderr: () => string }> {
    expect(existsSync(path.join(repo, 'dist', 'cli', 'branch.js')), 'run `npm run build` first').toBe(true);
    const lock = new pg.Client({ connectionString: dbUrl('postgres') });
    await lock.connect();
    await lock.query('begin');
    await lock.query('comment on database app is null'); // holds a lock CREATE DATABASE … TEMPLATE app waits for
    const child = spawn(process.execPath, [cli, 'branch', 'create', name], { cwd: p.dir, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    await waitFor('the copy to wait for the lock', async () =>
      (await q('postgres', "select 1 from pg_stat_activity where query like 'CREATE DATABASE%' and wait_event_type = 'Lock'")).length > 0,
    );
    expect(await allowConn('app')).toBe(false);
    return {
      child,
      exit,
      stderr: () => err,
      release: async () => {
        await lock.query('rollback').catch(() => {});
        await lock.end();
      },
    };
  }

  it('Ctrl-C cancels the copy and re-allows connections to the parent (exit 130)', async () => {
    const s = await stalledCreate('ctrl-c');
    try {
      s.child.kill('SIGINT');
      expect(await s.exit).toBe(130);
      expect(s.stderr()).toContain('Interrupted');
      expect(await allowConn('app')).toBe(true);
    } finally {
      await s.release();
    }
    const dbs = await databases();
    expect(dbs.filter((d) => d.startsWith('br_ctrl') || d.startsWith('br__tmp'))).toEqual([]);
  });

  it('after a kill -9 the next `branch list` repairs the parent and removes the unfinished copy, and says so', async () => {
    const s = await stalledCreate('killed');
    const copier = (await q<{ pid: number }>('postgres', "select pid from pg_stat_activity where query like 'CREATE DATABASE%'"))[0]!.pid;
    s.child.kill('SIGKILL');
    await s.exit;
    await s.release(); // the orphaned server session finishes its copy, then notices its client is gone
    await waitFor('the orphaned session to end', async () => (await q('postgres', 'select 1 from pg_stat_activity where pid = $1', [copier])).length === 0);
    expect(await allowConn('app')).toBe(false);
    const list = await p.run(['branch', 'list']);
    expect(list.code, list.err).toBe(0);
    expect(list.err).toMatch(/'main' was left refusing connections .* connections are allowed again/);
    expect(await allowConn('app')).toBe(true);
    expect((await databases()).filter((d) => d.startsWith('br__tmp') || d === 'br_killed')).toEqual([]);
  });

  /** A `branch create` killed with SIGKILL while it copies: main is left refusing connections. */
  async function killedCreate(name: string): Promise<void> {
    const s = await stalledCreate(name);
    const copier = (await q<{ pid: number }>('postgres', "select pid from pg_stat_activity where query like 'CREATE DATABASE%'"))[0]!.pid;
    s.child.kill('SIGKILL');
    await s.exit;
    await s.release();
    await waitFor('the orphaned session to end', async () => (await q('postgres', 'select 1 from pg_stat_activity where pid = $1', [copier])).length === 0);
    expect(await allowConn('app')).toBe(false);
  }

  it('after a kill -9, `baas health` runs the same repair before judging Postgres, and says so', async () => {
    await killedCreate('killed-health');
    const h = await p.run(['health', 'postgres', '--json']);
    expect(h.code, h.err + h.out).toBe(0);
    const j = JSON.parse(h.out) as { services: { service: string; status: string; repaired?: string[] }[] };
    expect(j.services[0]).toMatchObject({ service: 'postgres', status: 'healthy' });
    expect(j.services[0]!.repaired?.join(' ')).toMatch(/'main' was left refusing connections/);
    expect(await allowConn('app')).toBe(true);
  });

  it('after a kill -9, `baas up` repairs main instead of judging Postgres unhealthy and stopping it', async () => {
    await killedCreate('killed-up');
    const up = await p.run(['up', '--timeout', '20']);
    expect(up.code, up.err).toBe(0);
    expect(await allowConn('app')).toBe(true);
    const st = await p.runJson<{ services: { service: string; state: string }[] }>(['status']);
    expect(st.services.find((x) => x.service === 'postgres')?.state).toBe('running');
    expect((await databases()).filter((d) => d.startsWith('br__tmp'))).toEqual([]);
  });

  it('`baas up` never stops Postgres when only a database refuses connections (a copy holds it)', async () => {
    // A live copy holds its lock: the repair must leave main alone, and up must not stop the server.
    const holder = new pg.Client({ connectionString: dbUrl('postgres') });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock(1650549107, hashtext('copy:app'))");
      await holder.query('alter database app allow_connections false');
      const up = await p.run(['up', '--timeout', '3']);
      expect(up.code).toBe(6);
      expect(up.err).toMatch(/postgres did not become healthy and was left running: the server runs; only a database refuses connections/);
      const st = await p.runJson<{ services: { service: string; state: string }[] }>(['status']);
      expect(st.services.find((x) => x.service === 'postgres')?.state).toBe('running');
    } finally {
      await holder.query('alter database app allow_connections true').catch(() => {});
      await holder.end();
    }
    expect(await allowConn('app')).toBe(true);
  });
});
