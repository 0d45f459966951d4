import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateResult } from '../../../src/backup/create.js';
import type { ListResult } from '../../../src/backup/list.js';
import { pgQuery, postgresOnlyConfig, testProject, type TestProject } from '../../helpers/harness.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/baas.js');

/**
 * Backups when things go wrong (runs as root, like the CI): `kill -9` of `backup create` half-way,
 * a repository that fills up, and one that is read-only. The database must keep serving
 * throughout, and a partial backup must never be listed as complete.
 */
describe('backups when things go wrong', () => {
  let p: TestProject;
  let app: string;
  let admin: string;
  const mnt = `/tmp/baas-bkfull-${randomBytes(3).toString('hex')}`;
  const filler = path.join(mnt, 'filler');
  const ro = `${mnt}-ro`;

  const configWith = (dir: string): string => postgresOnlyConfig({ extra: '' }) + `backups:\n  enabled: true\n  dir: ${dir}\n  archiveTimeout: 5\n`;

  beforeAll(async () => {
    p = testProject('bkfault');
    p.writeConfig(configWith('./backups'));
    const up = await p.run(['up', '--quiet']);
    expect(up.code, up.err).toBe(0);
    const info = await p.runJson<{ env: Record<string, string> }>(['connect', 'postgres', '--show-secrets']);
    admin = info.env['DATABASE_ADMIN_URL']!;
    app = info.env['DATABASE_URL']!;
    // ~150 MB of poorly compressible rows, so the gzipped copy takes a few seconds.
    await pgQuery(admin, 'create table big (id bigint primary key, a text, b text, c text)');
    for (let i = 0; i < 5; i++) {
      await pgQuery(admin, `insert into big select g, md5(g::text), md5((g * 3)::text) || md5((g * 7)::text), md5((g * 11)::text) || md5((g * 13)::text) || md5((g * 17)::text) from generate_series(${i * 250_000 + 1}, ${(i + 1) * 250_000}) g`);
    }
  });

  afterAll(async () => {
    await p?.cleanup();
    for (const dir of [mnt, ro]) {
      const mounted = (): boolean => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);
      for (let i = 0; i < 20 && mounted(); i++) {
        try {
          execFileSync('umount', [dir], { stdio: 'ignore' });
        } catch {
          await new Promise((r) => setTimeout(r, 500)); // a container may still hold it
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kill -9 of `backup create` half-way: the partial backup is never listed, the next create succeeds, connections never refused', async () => {
    const base = path.join(p.dir, 'backups', p.name, 'base');
    let refused = 0;
    let probes = 0;
    let stopProbing = false;
    const prober = (async () => {
      while (!stopProbing) {
        const c = new pg.Client({ connectionString: app, connectionTimeoutMillis: 2000 });
        try {
          await c.connect();
          await c.query('select 1');
          probes++;
        } catch {
          refused++;
        } finally {
          await c.end().catch(() => {});
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const child = spawn(process.execPath, [cli, 'backup', 'create', '--label', 'killed'], { cwd: p.dir, env: p.env, stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      // Kill it once the copy has started writing the archive.
      const deadline = Date.now() + 60_000;
      let partial: string | undefined;
      while (Date.now() < deadline && !partial) {
        const dirs = existsSync(base) ? readdirSync(base).filter((d) => d.endsWith('.partial')) : [];
        const f = dirs.map((d) => path.join(base, d, 'data.tar.gz')).find((x) => existsSync(x) && statSync(x).size > 0);
        if (f) partial = f;
        else await new Promise((r) => setTimeout(r, 20));
      }
      expect(partial, 'the copy never started').toBeDefined();
      child.kill('SIGKILL');
      await exited;

      const l = await p.runJson<ListResult>(['backup', 'list']);
      expect(l.backups).toEqual([]);
      expect(l.partials).toHaveLength(1);
      expect(l.window.ranges).toEqual([]);
      const restore = await p.run(['backup', 'restore', '--at', 'killed', '--to', 'never-made']);
      expect(restore.code).toBe(2);

      const b = await p.runJson<CreateResult>(['backup', 'create', '--label', 'after-kill']);
      expect(b.method).toBe('archive');
      const l2 = await p.runJson<ListResult>(['backup', 'list']);
      expect(l2.backups.map((x) => [x.label, x.usable])).toEqual([['after-kill', true]]);
    } finally {
      stopProbing = true;
      await prober;
    }
    expect(probes).toBeGreaterThan(10);
    expect(refused).toBe(0);
  });

  it('a full repository: create fails naming it, the database keeps serving, health reports the failing archiver', async () => {
    mkdirSync(mnt, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt]);
    p.writeConfig(configWith(mnt));
    const up = await p.run(['up', '--quiet']);
    expect(up.code, up.err).toBe(0);
    // Leave ~20 MB: enough to pass the free-space check, too little for the copy.
    execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', 'count=26'], { stdio: 'ignore' });
    const c1 = await p.run(['backup', 'create']);
    expect(c1.code, c1.err).toBe(7);
    expect(c1.err).toContain(`error: The backup repository ${mnt} is full: copying the data directory failed`);
    expect(c1.err).toMatch(/No space left on device/);
    const l = await p.runJson<ListResult>(['backup', 'list']);
    expect(l.backups).toEqual([]);
    expect(l.partials).toEqual([]);

    // Now nothing is left: the archiver fails.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}.2`, 'bs=1M'], { stdio: 'ignore' });
    } catch {
      /* ENOSPC is the point */
    }
    await pgQuery(admin, 'insert into big select g, md5(g::text), md5(g::text), md5(g::text) from generate_series(2000001, 2100000) g');
    await pgQuery(admin, 'select pg_switch_wal()');
    let health = await p.run(['health', 'postgres', '--json']);
    for (let i = 0; i < 40 && health.code === 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      health = await p.run(['health', 'postgres', '--json']);
    }
    expect(health.code).toBe(6);
    const svc = (JSON.parse(health.out) as { services: { status: string; detail: string }[] }).services[0]!;
    expect(svc.status).toBe('unhealthy');
    expect(svc.detail).toMatch(new RegExp(`WAL archiving failing: \\d+ failure\\(s\\), last [0-9A-F]{24} .*\\(repository: ${mnt}; see \`baas backup list\`\\)`));
    const c2 = await p.run(['backup', 'create']);
    expect(c2.code).toBe(7);
    expect(c2.err).toContain(`error: The backup repository ${mnt} is full`);
    // The database keeps serving, reads and writes.
    expect(await pgQuery(app, 'select 1 as ok')).toEqual([{ ok: 1 }]);
    await pgQuery(admin, 'insert into big values (-1, $1, $1, $1)', ['still writing']);
    // Space again: the archiver catches up at the next segment, and health says so.
    rmSync(`${filler}.2`, { force: true });
    rmSync(filler, { force: true });
    for (let i = 0; i < 60 && health.code !== 0; i++) {
      await pgQuery(admin, 'select txid_current(), pg_switch_wal()');
      await new Promise((r) => setTimeout(r, 500));
      health = await p.run(['health', 'postgres', '--json']);
    }
    expect(health.code, health.out).toBe(0);
  });

  it('a read-only repository: create fails saying so, nothing is written', async () => {
    mkdirSync(ro, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,ro', 'tmpfs', ro]);
    // A long archive_timeout: no segment is due, so the archiver has not failed yet.
    p.writeConfig(configWith(ro).replace('archiveTimeout: 5', 'archiveTimeout: 3600'));
    const up = await p.run(['up', '--quiet']);
    expect(up.code, up.err).toBe(0);
    const r = await p.run(['backup', 'create']);
    expect(r.code, r.err).toBe(7);
    expect(r.err).toContain(`error: The backup repository ${ro} is not writable`);
    expect(r.err).toMatch(/Read-only file system/);
    expect(readdirSync(ro)).toEqual([]);
    expect(await pgQuery(app, 'select 1 as ok')).toEqual([{ ok: 1 }]);
  });
});
