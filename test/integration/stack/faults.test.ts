import net from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countLabelled, postgresOnlyConfig, testProject, type TestProject } from '../../helpers/harness.js';
import { DockerRuntime } from '../../../src/runtime/docker.js';

const projects: TestProject[] = [];
const project = (slug: string, body?: string): TestProject => {
  const p = testProject(slug, body);
  projects.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

const BIN = path.resolve('bin/baas.js');

describe('bad input and faults', () => {
  it('says Docker is not reachable, in one sentence with a hint, exit 4', async () => {
    const p = project('nodock');
    const r = await p.run(['up'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/^error: Docker is not reachable: there is no Docker socket at \/nonexistent\/docker.sock\.\n/m); // after the progress line "docker check"
    expect(r.err).toMatch(/hint: Start the Docker daemon/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('names the port, who holds it and how to change it when a port is taken, exit 5', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const p = project('port', postgresOnlyConfig({ port }));
      const r = await p.run(['up']);
      expect(r.code).toBe(5);
      expect(r.err).toContain(`Port ${port} for postgres is already in use by another process`);
      expect(r.err).toContain('services.postgres.port');
      expect((await countLabelled(`baas.project=${p.name}`)).containers).toBe(0);
    } finally {
      blocker.close();
    }
  });

  it('reports another baas stack holding a port by its container and project', async () => {
    const a = project('holda', postgresOnlyConfig());
    const ra = await a.run(['up']);
    expect(ra.code, ra.err).toBe(0);
    const held = (await a.runJson<{ services: { ports: string[] }[] }>(['status'])).services[0]!.ports[0]!;
    const port = Number(/:(\d+)->/.exec(held)![1]);
    const b = project('holdb', postgresOnlyConfig({ port }));
    const r = await b.run(['up']);
    expect(r.code).toBe(5);
    expect(r.err).toContain(`container baas-${a.name}-postgres (baas project ${a.name})`);
  });

  it('rejects an unknown service name before touching Docker, exit 2', async () => {
    const p = project('unknown');
    const r = await p.run(['up', 'postgress']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Unknown service 'postgress'");
    expect(r.err).toMatch(/Valid names: postgres, redis/);
  });

  it('lists every config problem with its key path and line, exit 3', async () => {
    const p = project('badcfg');
    p.writeConfig(`profile: cloud
services:
  redis:
    replicas: -1
    sentinals: 3
`);
    const r = await p.run(['up']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/has 3 problems/);
    expect(r.err).toMatch(/profile \(line 2\)/);
    expect(r.err).toMatch(/services\.redis\.replicas \(line 5\)/);
    expect(r.err).toMatch(/services\.redis\.sentinals \(line 6\): unknown key/);
  });

  it('names a service that never becomes healthy, shows its last log lines, and leaves the rest running, exit 6', async () => {
    const p = project('sick', `images: local
services:
  postgres:
    port: auto
    settings:
      shared_buffers: lots
  redis:
    port: auto
    sentinelPort: auto
    replicas: 0
    sentinels: 0
  mongo:
    enabled: false
`);
    const r = await p.run(['up', '--timeout', '20']);
    expect(r.code, r.err).toBe(6);
    expect(r.err).toMatch(/error: postgres did not become healthy and was stopped; the other services were left running\./);
    expect(r.err).toMatch(/last log lines of postgres:/);
    expect(r.err).toMatch(/shared_buffers/);
    const s = await p.runJson<{ services: { service: string; state: string }[] }>(['status']);
    expect(s.services.find((x) => x.service === 'redis-1')?.state).toBe('running');
  });

  it('converges after an interrupted up, with no duplicate or orphaned containers', async () => {
    const p = project('intr');
    const child = spawn(process.execPath, [BIN, 'up', '--quiet'], { cwd: p.dir, env: p.env, stdio: 'ignore' });
    // Kill it once it has created some containers but before it finished.
    const rt = new DockerRuntime();
    for (let i = 0; i < 200; i++) {
      if ((await rt.listContainers({ 'baas.project': p.name })).length >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const r = await p.run(['up', '--json']);
    expect(r.code, r.err).toBe(0);
    const containers = await rt.listContainers({ 'baas.project': p.name });
    const names = containers.map((c) => c.labels['baas.service']);
    expect(new Set(names).size).toBe(names.length);
    expect(containers).toHaveLength(7);
    expect(containers.every((c) => c.state === 'running')).toBe(true);
  });
});

describe('images', () => {
  it('says a pull failed and names baas images build and the config key, leaving nothing behind, exit 7', async () => {
    const p = project('pull', postgresOnlyConfig({ image: 'baas-test/does-not-exist:0' }));
    const r = await p.run(['up']);
    expect(r.code).toBe(7);
    expect(r.err).toMatch(/error: Pulling the image baas-test\/does-not-exist:0 failed/);
    expect(r.err).toMatch(/hint: .*baas images build.*images: local.*services\.postgres\.image/);
    expect(await countLabelled(`baas.project=${p.name}`)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
