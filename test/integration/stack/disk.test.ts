import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { testProject, type TestProject } from '../../helpers/harness.js';
import { unmountScratch } from '../../helpers/mounts.js';

/**
 * Postgres keeps its data on a small tmpfs (runs as root, like the CI), which the test fills to
 * 100 %: `health` and `doctor` must say so, naming the data location.
 */
const mnt = `/tmp/baas-disk-${randomBytes(3).toString('hex')}`;
const filler = path.join(mnt, 'filler');

interface HealthJson {
  healthy: boolean;
  services: { service: string; status: string; detail: string; disk?: { location: string; full: boolean; freeBytes: number } }[];
}

describe('health and doctor with a full data location', () => {
  let p: TestProject;
  beforeAll(async () => {
    mkdirSync(mnt, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', mnt]);
    p = testProject(
      'disk',
      `images: local
services:
  postgres:
    port: auto
    data: ${mnt}/pgdata
  redis:
    enabled: false
  mongo:
    enabled: false
`,
    );
    const up = await p.run(['up', '--quiet']);
    expect(up.code, up.err).toBe(0);
  });
  afterAll(async () => {
    await p?.cleanup();
    await unmountScratch(mnt);
  });

  it('reports the headroom of the data location while there is room', async () => {
    const h = await p.runJson<HealthJson>(['health']);
    expect(h.healthy).toBe(true);
    expect(h.services[0]!.disk).toMatchObject({ location: `${mnt}/pgdata`, full: false });
  });

  it('is not healthy when the Postgres data directory is 100 % full, and doctor fails the data location', async () => {
    // Fill the filesystem: write until ENOSPC.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M'], { stdio: 'ignore' });
    } catch {
      /* dd exits 1 with "No space left on device": that is the point */
    }
    try {
      const r = await p.run(['health', '--json']);
      expect(r.code).toBe(6);
      const h = JSON.parse(r.out) as HealthJson;
      expect(h.healthy).toBe(false);
      expect(h.services[0]).toMatchObject({ service: 'postgres', status: 'unhealthy', disk: { full: true, freeBytes: 0 } });
      expect(h.services[0]!.detail).toContain(`data location full: 0 B free`);
      expect(h.services[0]!.detail).toContain(`${mnt}/pgdata`);

      const d = await p.run(['doctor', '--json']);
      const checks = (JSON.parse(d.out) as { checks: { name: string; status: string; detail: string }[] }).checks;
      expect(checks.find((c) => c.name === 'disk (postgres data)')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`${mnt}/pgdata`) });
    } finally {
      writeFileSync(filler, '');
      rmSync(filler, { force: true });
    }
    const again = await p.runJson<HealthJson>(['health']);
    expect(again.healthy).toBe(true);
  });
});
