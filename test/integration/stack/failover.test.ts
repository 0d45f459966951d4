import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { testProject, type TestProject } from '../../helpers/harness.js';

interface HealthJson {
  healthy: boolean;
  services: { service: string; status: string; role?: string; details?: Record<string, unknown> }[];
}

describe('a failover while the stack runs', () => {
  let p: TestProject;
  beforeAll(async () => {
    p = testProject('fo');
    const r = await p.run(['up', '--quiet']);
    expect(r.code, r.err).toBe(0);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('lets the sentinels promote a replica, and the next up brings the old master back as a replica without recreating anything', async () => {
    const rt = new DockerRuntime();
    const [master] = await rt.listContainers({ 'baas.project': p.name, 'baas.service': 'redis-1' });
    await rt.killContainer(master!.id);

    // Sentinels (down-after 1000 ms in test stacks) elect a new master within a few seconds.
    let health: HealthJson | undefined;
    for (let i = 0; i < 60; i++) {
      health = JSON.parse((await p.run(['health', '--json'])).out) as HealthJson;
      const s1 = health.services.find((s) => s.service === 'sentinel-1');
      if (s1?.details?.['master'] && !String(s1.details['master']).endsWith('.21:6379')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const newMaster = String(health!.services.find((s) => s.service === 'sentinel-1')!.details!['master']);
    expect(newMaster).not.toMatch(/\.21:6379$/);
    expect(health!.services.find((s) => s.service === 'redis-1')?.status).toBe('stopped');

    const up = await p.runJson<{ services: { service: string; action: string; health: { role?: string; status: string } }[] }>(['up']);
    const byName = Object.fromEntries(up.services.map((s) => [s.service, s]));
    expect(byName['redis-1']).toMatchObject({ action: 'start', health: { role: 'replica', status: 'healthy' } });
    expect(up.services.filter((s) => s.action === 'recreate' || s.action === 'create')).toEqual([]);

    const after = await settledHealth(p);
    const masters = after.services.filter((s) => s.role === 'master').map((s) => s.service);
    expect(masters).toHaveLength(1);
    expect(masters[0]).not.toBe('redis-1');
  });

  it("reports the sentinels' real view: a stopped peer is no longer counted as seen", async () => {
    const rt = new DockerRuntime();
    const [s3] = await rt.listContainers({ 'baas.project': p.name, 'baas.service': 'sentinel-3' });
    await rt.stopContainer(s3!.id, 1);
    try {
      // The peers flag it s_down after down-after-milliseconds (1000 ms in test stacks).
      let s1: HealthJson['services'][number] & { detail?: string } = { service: 'sentinel-1', status: '?' };
      for (let i = 0; i < 40; i++) {
        s1 = (JSON.parse((await p.run(['health', 'sentinel-1', '--json'])).out) as HealthJson).services.find((x) => x.service === 'sentinel-1')!;
        if (s1.details?.['sentinels'] === 2) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(s1.details?.['sentinels'], JSON.stringify(s1)).toBe(2);
      expect(s1.status).not.toBe('healthy');
      expect(s1.detail).toMatch(/sees 2\/3 sentinels/);
    } finally {
      const up = await p.run(['up', 'redis', '--quiet']);
      expect(up.code, up.err).toBe(0);
    }
    await settledHealth(p);
  });
});

/**
 * Health is a snapshot: right after a node rejoins, a sentinel under load may flag it s_down for a
 * moment (down-after is 1000 ms in test stacks) before its link settles. Waits for the settled view.
 */
async function settledHealth(p: TestProject): Promise<HealthJson> {
  let h: HealthJson | undefined;
  for (let i = 0; i < 40; i++) {
    h = JSON.parse((await p.run(['health', '--json'])).out) as HealthJson;
    if (h.healthy) return h;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(h?.healthy, JSON.stringify(h?.services.filter((s) => s.status !== 'healthy'))).toBe(true);
  return h!;
}
