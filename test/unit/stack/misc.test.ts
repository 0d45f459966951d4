import { mkdtempSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { candidateSubnets, pickSubnet, subnetsOverlap } from '../../../src/stack/network.js';
import { loadOrCreateSecrets, readSecrets } from '../../../src/stack/secrets.js';
import { waitFor, type Clock } from '../../../src/wait.js';
import { extraLabelsFromEnv } from '../../../src/model/labels.js';
import { UnhealthyError, TimeoutError, ExitCode } from '../../../src/errors.js';
import { translateDockerError, demuxBuffer, dockerOptionsFromEnv } from '../../../src/runtime/docker.js';
import { createLogger, redactUrl } from '../../../src/log.js';

function fakeClock(): Clock & { t: number } {
  const c = { t: 0, now: () => c.t, sleep: async (ms: number) => void (c.t += ms) };
  return c;
}

describe('network', () => {
  it('derives the same subnet for the same project and skips ones in use', () => {
    const first = candidateSubnets('shop')[0]!;
    expect(candidateSubnets('shop')[0]).toBe(first);
    expect(pickSubnet('shop', [])).toBe(first);
    expect(pickSubnet('shop', ['10.0.0.0/8'])).toBeUndefined();
    expect(pickSubnet('shop', [first])).not.toBe(first);
    expect(subnetsOverlap('10.200.1.0/24', '10.200.0.0/16')).toBe(true);
    expect(subnetsOverlap('10.200.1.0/24', '10.200.2.0/24')).toBe(false);
  });
});

describe('secrets', () => {
  it('are generated once, stored 0600 in a git-ignored directory, and reused', () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'baas-sec-')), '.baas');
    const a = loadOrCreateSecrets(dir);
    expect(a.created).toBe(true);
    expect(statSync(path.join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    const b = loadOrCreateSecrets(dir);
    expect(b.created).toBe(false);
    expect(b.secrets).toEqual(a.secrets);
    expect(a.secrets.postgres.appPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.secrets.postgres.appPassword).not.toBe(a.secrets.postgres.superuserPassword);
  });

  it('refuses a corrupt secrets file with a hint instead of overwriting it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-sec-'));
    writeFileSync(path.join(dir, 'secrets.json'), '{not json');
    expect(() => readSecrets(dir)).toThrow(/is not valid JSON/);
  });
});

describe('waitFor', () => {
  it('returns once the probe is ok, without real sleeping', async () => {
    const clock = fakeClock();
    let n = 0;
    const r = await waitFor('x', async () => ({ ok: ++n >= 3, detail: `try ${n}` }), { timeoutMs: 10_000, intervalMs: 100, clock });
    expect(r.detail).toBe('try 3');
    expect(clock.t).toBe(200);
  });

  it('times out saying what was last seen', async () => {
    const clock = fakeClock();
    await expect(waitFor('postgres', async () => { throw new Error('connection refused'); }, { timeoutMs: 1000, intervalMs: 100, clock })).rejects.toThrow(
      new TimeoutError('postgres was not ready after 1 s (last seen: connection refused).'),
    );
  });

  it('stops at once when the probe throws a typed error (the container died)', async () => {
    const clock = fakeClock();
    await expect(waitFor('x', async () => { throw new UnhealthyError('x keeps exiting'); }, { timeoutMs: 10_000, clock })).rejects.toThrow('x keeps exiting');
    expect(clock.t).toBe(0);
  });
});

describe('Docker errors in the user\'s words', () => {
  it('says Docker is not reachable when the socket is missing or refuses', () => {
    const e = translateDockerError(Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT', address: '/var/run/docker.sock' }), 'listing');
    expect(e.message).toBe('Docker is not reachable: there is no Docker socket at /var/run/docker.sock.');
    expect((e as { exitCode: number }).exitCode).toBe(ExitCode.dockerUnavailable);
  });

  it('turns a port clash into a conflict naming the port', () => {
    const e = translateDockerError({ statusCode: 500, json: { message: 'driver failed: Bind for 127.0.0.1:5432 failed: port is already allocated' } }, 'starting');
    expect(e.message).toMatch(/^Port 5432 is already in use/);
    expect((e as { exitCode: number }).exitCode).toBe(ExitCode.conflict);
  });

  it('reads DOCKER_HOST like the docker CLI', () => {
    expect(dockerOptionsFromEnv({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(dockerOptionsFromEnv({ DOCKER_HOST: 'tcp://10.0.0.5:2375' })).toMatchObject({ host: '10.0.0.5', port: 2375 });
  });

  it('demultiplexes log frames', () => {
    const frame = (s: string) => Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, s.length]), Buffer.from(s)]);
    expect(demuxBuffer(Buffer.concat([frame('a\n'), frame('bc\n')])).toString()).toBe('a\nbc\n');
  });
});

describe('logging never shows secrets', () => {
  it('redacts passwords, URLs and env in log lines', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-log-'));
    const { logger } = createLogger({ stateDir: dir });
    logger.info({ password: 'hunter2', url: 'postgres://u:hunter2@h/db', service: { env: { X: 'hunter2' } } }, 'x');
    const line = readFileSync(path.join(dir, 'logs', 'baas.log'), 'utf8');
    expect(line).not.toContain('hunter2');
    expect(line).toContain('runId');
    expect(redactUrl('postgres://u:hunter2@h:5432/db')).toBe('postgres://u:***@h:5432/db');
  });

  it('reads extra labels from BAAS_LABELS', () => {
    expect(extraLabelsFromEnv({ BAAS_LABELS: 'a=1, team=ops' })).toEqual({ a: '1', team: 'ops' });
  });
});
