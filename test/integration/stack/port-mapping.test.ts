import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresOnlyConfig, testProject, type TestProject } from '../../helpers/harness.js';

/**
 * The CI flake's signature: a Postgres container Docker lists as running while its published port
 * refuses connections (ECONNREFUSED) for the whole 90 s wait. A running container always has
 * Docker's proxy on that port, so the mapping itself was gone; here it is taken away on purpose
 * by ending this test's own container's docker-proxy (by its pid).
 */
describe('a running container whose port mapping is gone', () => {
  let p: TestProject;
  beforeAll(async () => {
    p = testProject('portmap', postgresOnlyConfig());
    const up = await p.run(['up']);
    expect(up.code, up.err).toBe(0);
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it('is noticed within seconds and repaired by restarting the container, instead of waiting out the timeout', async () => {
    const container = `baas-${p.name}-postgres`;
    const port = execFileSync('docker', ['inspect', '-f', '{{(index (index .NetworkSettings.Ports "5432/tcp") 0).HostPort}}', container], { encoding: 'utf8' }).trim();
    const pids = execFileSync('sh', ['-c', `ps -eo pid,args | grep '[d]ocker-proxy.*-host-port ${port} ' | awk '{print $1}'`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    expect(pids.length).toBe(1);
    process.kill(Number(pids[0]), 'SIGKILL');
    expect(execFileSync('docker', ['inspect', '-f', '{{.State.Status}}', container], { encoding: 'utf8' }).trim()).toBe('running');

    const r = await p.run(['up', '--timeout', '30']);
    expect(r.code, r.err).toBe(0);
    const health = await p.run(['health']);
    expect(health.code, health.out + health.err).toBe(0);
  });
});
