import { afterAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { countLabelled, testProject, type TestProject } from '../../helpers/harness.js';
import { freePort } from '../../../src/stack/context.js';

/**
 * `up` checks every port, limit and image before it creates anything: a refused `up` leaves
 * no container, network or volume behind (it used to leave some containers running and others
 * only created, and an orphan network).
 */

const projects: TestProject[] = [];
afterAll(async () => {
  for (const p of projects) await p.cleanup();
});

async function consecutiveFreePorts(n: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = await freePort('127.0.0.1');
    if (base + n > 65535) continue;
    let free = true;
    for (let i = 1; i < n && free; i++) {
      free = await new Promise<boolean>((resolve) => {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
      });
    }
    if (free) return base;
  }
  throw new Error('no run of free ports');
}

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('up pre-flight against Docker', () => {
  it('refuses overlapping Redis and Sentinel ports with exit 3 and creates nothing', async () => {
    const base = await consecutiveFreePorts(6);
    const p = testProject('pf-overlap', `images: local
services:
  postgres:
    enabled: false
  redis:
    port: ${base}
    sentinelPort: ${base + 1}
  mongo:
    enabled: false
`);
    projects.push(p);
    const r = await p.run(['up']);
    expect(r.code, r.err).toBe(3);
    // Refused when the config is read (config validate says the same), before anything reaches Docker.
    expect(r.err).toMatch(new RegExp(`services\\.redis\\.sentinelPort \\(line \\d+\\): sentinel-1 would be published on port ${base + 1}, which redis-2 of this stack \\(services\\.redis\\.port\\) already gets`));
    expect(r.err).toMatch(new RegExp(`services\\.redis\\.sentinelPort \\(line \\d+\\): sentinel-2 would be published on port ${base + 2}, which redis-3 of this stack \\(services\\.redis\\.port\\) already gets`));
    expect(await countLabelled(`baas.project=${p.name}`)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it('reports every taken port at once (exit 5), naming the holder, and creates nothing', async () => {
    const base = await consecutiveFreePorts(3);
    const servers = await Promise.all([listen(base), listen(base + 2)]);
    try {
      const p = testProject('pf-taken', `images: local
services:
  postgres:
    port: ${base}
  redis:
    port: ${base + 1}
    replicas: 1
    sentinels: 0
  mongo:
    enabled: false
`);
      projects.push(p);
      const r = await p.run(['up']);
      expect(r.code, r.err).toBe(5);
      expect(r.err).toContain(`error: 2 ports this stack needs are already in use: ${base}, ${base + 2}.`);
      expect(r.err).toContain(`port ${base} for postgres (services.postgres.port): in use by another process`);
      expect(r.err).toContain(`port ${base + 2} for redis-2 (services.redis.port): in use by another process`);
      expect(await countLabelled(`baas.project=${p.name}`)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    } finally {
      for (const s of servers) s.close();
    }
  });

  it('refuses a memory limit of 0 (which Docker reads as no limit) before creating anything', async () => {
    const p = testProject('pf-mem', `images: local
services:
  postgres:
    port: auto
    memory: "0"
  redis:
    enabled: false
  mongo:
    enabled: false
`);
    projects.push(p);
    const r = await p.run(['up']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/services\.postgres\.memory( \(line \d+\))?: '0' is no limit at all/);
    expect(await countLabelled(`baas.project=${p.name}`)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("says no local MongoDB image can be built when images: local is already set and the pull fails", async () => {
    const p = testProject('pf-mongo', `images: local
services:
  postgres:
    enabled: false
  redis:
    enabled: false
  mongo:
    port: auto
`);
    projects.push(p);
    const r = await p.run(['up']);
    expect(r.code).toBe(7);
    expect(r.err).toMatch(/Pulling the image mongo:7 failed/);
    expect(r.err).toMatch(/^hint: No local MongoDB image can be built .*services\.mongo\.enabled: false.*services\.mongo\.image/m);
    expect(r.err).not.toMatch(/set `images: local`/);
    expect(await countLabelled(`baas.project=${p.name}`)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
