import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresOnlyConfig, testProject, type TestProject } from '../../helpers/harness.js';
import { unmountScratch } from '../../helpers/mounts.js';

/**
 * A real full disk: Postgres's data directory on a 96 MB tmpfs (root, as in CI). The filler
 * table is UNLOGGED so the data file, not the WAL, hits the wall (a WAL write that fails is a
 * PANIC, which is another test).
 */
describe('a full disk under Postgres', () => {
  const mnt = `/tmp/baas-full-${randomBytes(3).toString('hex')}`;
  let p: TestProject;

  beforeAll(async () => {
    mkdirSync(mnt, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', mnt]);
    p = testProject('full', postgresOnlyConfig({ extra: `    data: ${mnt}/pgdata\n` }) + 'migrations:\n  dir: db/migrations\n');
    const up = await p.run(['up']);
    expect(up.code, up.err).toBe(0);
    mkdirSync(path.join(p.dir, 'db/migrations'), { recursive: true });
    writeFileSync(
      path.join(p.dir, 'db/migrations/0001_fill.sql'),
      "create unlogged table filler as\n  select g, repeat(md5(g::text), 30) as pad from generate_series(1, 2000000) g;\n",
    );
  });

  afterAll(async () => {
    await p?.cleanup();
    await unmountScratch(mnt);
  });

  it('says the disk holding the data location is full, names it, and keeps where in the file it happened', async () => {
    const r = await p.run(['migrate', 'up']);
    expect(r.code).toBe(7);
    expect(r.err).toContain(`error: Postgres ran out of disk space in ${mnt}/pgdata: the disk is full (No space left on device).`);
    expect(r.err).toMatch(/0001_fill\.sql failed/);
    expect(r.err).toMatch(/the server said: could not extend file .*No space left on device/);
    expect(r.err).toMatch(/hint: Free space on the disk that holds/);
    expect(r.err).not.toMatch(/unexpected problem/);
  });

  it('gives scripts the code disk_full under --json', async () => {
    const r = await p.run(['migrate', 'up', '--json']);
    expect(r.code).toBe(7);
    const lines = r.out.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!).error).toMatchObject({ code: 'disk_full', exitCode: 7 });
  });
});
