import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { testProject, pgQuery, type TestProject } from '../../helpers/harness.js';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { probePostgresPlaintext, probeRedisPlaintext } from '../../../src/security/exposure.js';
import { connectPg } from '../../../src/pg/client.js';
import { redisClient } from '../../../src/services/redis.js';
import type { Secrets } from '../../../src/model/secrets.js';
import { allSecretValues } from '../../../src/model/secrets.js';

const run = promisify(execFile);

/** A server-profile stack (TLS on, default user off), published on 127.0.0.1 only. */
const SERVER_CONFIG = `images: local
profile: server
bindAddress: 127.0.0.1
services:
  postgres:
    port: auto
  redis:
    port: auto
    sentinelPort: auto
    downAfterMilliseconds: 1000
    failoverTimeout: 5000
  mongo:
    enabled: false
`;

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });

interface EnvJson {
  service: string;
  env: Record<string, string>;
}

describe('a server-profile stack: TLS everywhere, least privilege, secrets out of sight', () => {
  let p: TestProject;
  let secrets: Secrets;
  const psSamples: string[] = [];
  let env: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    p = testProject('sec', SERVER_CONFIG);
    // `ps` output while `up` runs (the engines start, baas issues certificates, bootstraps roles).
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        psSamples.push((await run('ps', ['-eo', 'args'], { maxBuffer: 16 * 1024 * 1024 })).stdout);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const r = await p.run(['up', '--quiet']);
    sampling = false;
    await sampler;
    expect(r.code, r.err).toBe(0);
    secrets = JSON.parse(readFileSync(path.join(p.dir, '.baas', 'secrets.json'), 'utf8')) as Secrets;
    const infos = await p.runJson<EnvJson[]>(['env', '--show-secrets']);
    env = Object.fromEntries(infos.map((i) => [i.service, i.env]));
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('shows no generated password in docker inspect (env, cmd, labels), in ps during up, or in .baas/logs', async () => {
    const values = allSecretValues(secrets);
    expect(values.length).toBeGreaterThanOrEqual(10);
    const ids = (await new DockerRuntime().listContainers({ 'baas.project': p.name })).map((c) => c.id);
    expect(ids).toHaveLength(7);
    const inspected = JSON.parse((await run('docker', ['inspect', ...ids], { maxBuffer: 16 * 1024 * 1024 })).stdout) as { Config: { Env: string[]; Cmd: string[]; Labels: Record<string, string> }; Args: string[]; Path: string }[];
    const visible = JSON.stringify(inspected.map((c) => ({ env: c.Config.Env, cmd: c.Config.Cmd, labels: c.Config.Labels, args: c.Args, path: c.Path })));
    expect(psSamples.length).toBeGreaterThan(3);
    const logs = filesUnder(path.join(p.dir, '.baas', 'logs')).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const v of values) {
      expect(visible.includes(v), 'a password is visible in docker inspect').toBe(false);
      expect(psSamples.some((s) => s.includes(v)), 'a password is visible in ps').toBe(false);
      expect(logs.includes(v), 'a password is in .baas/logs').toBe(false);
    }
    expect(statSync(path.join(p.dir, '.baas')).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(p.dir, '.baas', 'tls', 'ca.key')).mode & 0o777).toBe(0o600);
  });

  it('refuses plaintext on Postgres, Redis and every Sentinel; clients that verify the chain get in', async () => {
    const status = await p.runJson<{ services: { service: string; ports: string[] }[] }>(['status']);
    for (const s of status.services) {
      const port = Number(s.ports[0]!.split(':')[1]!.split('-')[0]);
      const plain = s.service === 'postgres' ? await probePostgresPlaintext('127.0.0.1', port) : await probeRedisPlaintext('127.0.0.1', port);
      expect(plain, `${s.service} answered plaintext`).toBe('refused');
    }
    const pg = env['postgres']!;
    expect(pg['DATABASE_URL']).toMatch(/sslmode=verify-full&sslrootcert=/);
    const [row] = await pgQuery<{ ssl: boolean }>(pg['DATABASE_URL']!, 'select ssl from pg_stat_ssl where pid = pg_backend_pid()');
    expect(row!.ssl).toBe(true);
    const r = env['redis']!;
    expect(r['REDIS_URL']).toMatch(/^rediss:\/\/app:/);
    const ca = readFileSync(r['REDIS_CA_FILE']!, 'utf8');
    const natMap = JSON.parse(r['REDIS_NAT_MAP']!) as Record<string, { host: string; port: number }>;
    const client = new Redis({
      sentinels: r['REDIS_SENTINELS']!.split(',').map((s) => ({ host: s.split(':')[0]!, port: Number(s.split(':')[1]) })),
      name: r['REDIS_MASTER_NAME']!,
      username: r['REDIS_USERNAME']!,
      password: r['REDIS_PASSWORD']!,
      sentinelUsername: r['REDIS_USERNAME']!,
      sentinelPassword: r['REDIS_PASSWORD']!,
      natMap,
      tls: { ca },
      sentinelTLS: { ca },
      enableTLSForSentinelMode: true,
      enableReadyCheck: false,
      updateSentinels: false,
      lazyConnect: true,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      expect(await client.set('sec:k', 'v')).toBe('OK');
      await expect(client.call('CONFIG', 'SET', 'maxmemory', '1')).rejects.toThrow(/NOPERM/);
      await expect(client.call('KEYS', '*')).rejects.toThrow(/NOPERM/);
    } finally {
      client.disconnect();
    }
    // A client that does not know the CA is refused by its own verification.
    const port = Number(r['REDIS_URL']!.split(':').pop()!.split('/')[0]);
    await expect(redisClient('127.0.0.1', port, { username: 'app', password: r['REDIS_PASSWORD']!, tls: {} })).rejects.toThrow(/certificate/i);
  });

  it('passes the exposure check with nothing in plaintext', async () => {
    const r = await p.run(['doctor', '--exposure', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { problems: string[]; ports: { plaintext: string; tls: boolean }[] };
    expect(report.problems).toEqual([]);
    expect(report.ports).toHaveLength(7);
    expect(report.ports.every((x) => x.tls && x.plaintext === 'refused')).toBe(true);
  });

  it('answers a wrong password with an authentication error at once, not a timeout', async () => {
    const r = env['redis']!;
    const port = Number(r['REDIS_URL']!.split(':').pop()!.split('/')[0]);
    const ca = readFileSync(r['REDIS_CA_FILE']!, 'utf8');
    const t0 = Date.now();
    await expect(redisClient('127.0.0.1', port, { username: 'app', password: 'wrong', tls: { ca } })).rejects.toThrow(/WRONGPASS/);
    const url = env['postgres']!['DATABASE_URL']!.replace(/:\/\/app:[^@]+@/, '://app:wrong@');
    await expect(connectPg(url, { connectTimeoutMs: 5000 })).rejects.toThrow(/password/i);
    expect(Date.now() - t0).toBeLessThan(3000);
    // The default user is off in the server profile.
    await expect(redisClient('127.0.0.1', port, { username: 'default', password: secrets.redis.password, tls: { ca } })).rejects.toThrow(/WRONGPASS|disabled/);
  });

  it('rotates the certificates live: Postgres and Redis serve the new ones without a restart', async () => {
    const before = await p.runJson<{ name: string; serialNumber: string }[]>(['certs', 'show']);
    const startedAt = async (service: string): Promise<string> => (await run('docker', ['inspect', '-f', '{{.State.StartedAt}}', `baas-${p.name}-${service}`])).stdout.trim();
    const pgStarted = await startedAt('postgres');
    const rot = await p.runJson<{ applied: { service: string; ok: boolean }[] }>(['certs', 'rotate']);
    expect(rot.applied.every((a) => a.ok)).toBe(true);
    const after = await p.runJson<{ name: string; serialNumber: string }[]>(['certs', 'show']);
    const serial = (rows: { name: string; serialNumber: string }[], n: string) => rows.find((x) => x.name === n)!.serialNumber;
    expect(serial(after, 'postgres')).not.toBe(serial(before, 'postgres'));
    expect(serial(after, 'ca')).toBe(serial(before, 'ca'));
    expect(await startedAt('postgres')).toBe(pgStarted);
    // What the servers present now.
    const { stdout } = await run('sh', ['-c', `echo | openssl s_client -starttls postgres -connect 127.0.0.1:${env['postgres']!['PGPORT']} 2>/dev/null | openssl x509 -noout -serial`]);
    expect(stdout.trim().replace('serial=', '').toUpperCase()).toBe(serial(after, 'postgres').toUpperCase());
    const h = await p.run(['health']);
    expect(h.code, h.out + h.err).toBe(0);
  });
});

describe('bad TLS inputs stop `up` before any container changes (exit 3, naming the file)', () => {
  let p: TestProject;
  beforeAll(() => {
    p = testProject('badtls');
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('names a missing file', async () => {
    p.writeConfig(`${SERVER_CONFIG}tls:\n  caFile: ca.pem\n  certFile: cert.pem\n  keyFile: key.pem\n`);
    const r = await p.run(['up']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/tls\.caFile .*ca\.pem does not exist/);
    expect((await new DockerRuntime().listContainers({ 'baas.project': p.name })).length).toBe(0);
  });

  it('names a certificate that does not cover the address clients use', async () => {
    const dir = p.dir;
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${dir}/ca.key`, '-out', `${dir}/ca.pem`, '-days', '30', '-subj', '/CN=t']);
    await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/c.csr`, '-subj', '/CN=elsewhere']);
    writeFileSync(`${dir}/ext`, 'subjectAltName=DNS:elsewhere.example\n');
    await run('openssl', ['x509', '-req', '-in', `${dir}/c.csr`, '-CA', `${dir}/ca.pem`, '-CAkey', `${dir}/ca.key`, '-set_serial', '7', '-days', '30', '-extfile', `${dir}/ext`, '-out', `${dir}/cert.pem`]);
    const r = await p.run(['up']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/tls\.certFile .*cert\.pem does not cover 127\.0\.0\.1/);
    expect((await new DockerRuntime().listContainers({ 'baas.project': p.name })).length).toBe(0);
  });
});


