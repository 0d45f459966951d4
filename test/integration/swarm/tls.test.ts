import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgQuery, testProject, type TestProject } from '../../helpers/harness.js';
import { startSwarm, type SwarmFixture } from '../../helpers/swarm-fixture.js';
import { sentinelClient, writeThroughFailover } from '../../helpers/swarm-client.js';
import { healthyWithin90s, swarmConfig, type SwarmHealthJson as HealthJson, type SwarmStatusJson as StatusJson, type SwarmUpJson as UpJson } from '../../helpers/swarm-json.js';
import { probePostgresPlaintext, probeRedisPlaintext } from '../../../src/security/exposure.js';
import { redisClient } from '../../../src/services/redis.js';

/**
 * A `profile: server` stack on a real 3-node Swarm (see swarm-fixture.ts): TLS on every link,
 * the certificates and keys delivered as Swarm secrets, nothing answering plaintext, and a
 * Sentinel failover that still works over TLS.
 */

// Backups stay off: their repository is a directory on the host baas runs on (see README).
const CONFIG = swarmConfig('profile: server\nbackups:\n  enabled: false\n');

const published = (s: StatusJson, service: string): { host: string; port: number } => {
  const row = s.services.find((x) => x.service === service)!;
  const [hostPort] = row.ports[0]!.split('->');
  const i = hostPort!.lastIndexOf(':');
  return { host: hostPort!.slice(0, i), port: Number(hostPort!.slice(i + 1)) };
};

describe('baas on a 3-node Docker Swarm with profile: server (TLS)', () => {
  let swarm: SwarmFixture;
  let p: TestProject;
  let env: NodeJS.ProcessEnv;
  const run = (argv: string[]) => p.run(argv, env);
  const runJson = async <T>(argv: string[]): Promise<T> => {
    const r = await run([...argv, '--json']);
    if (r.code !== 0) throw new Error(`baas ${argv.join(' ')} exited ${r.code}: ${r.err}`);
    return JSON.parse(r.out) as T;
  };
  const secrets = () => JSON.parse(readFileSync(path.join(p.dir, '.baas/secrets.json'), 'utf8')) as { redis: { password: string }; postgres: { appPassword: string; superuserPassword: string } };
  const ca = () => readFileSync(path.join(p.dir, '.baas/tls/ca.crt'), 'utf8');

  beforeAll(async () => {
    swarm = await startSwarm();
    p = testProject('swarmtls', CONFIG);
    env = { DOCKER_HOST: swarm.manager.dockerHost };
    const l = await run(['nodes', 'label', swarm.manager.name, 'postgres']);
    if (l.code !== 0) throw new Error(l.err);
  });
  afterAll(async () => {
    await swarm?.teardown();
    await p?.cleanup();
  });

  it('comes up healthy with TLS: certificates, keys and CA reach the services as Swarm secrets, no PEM in any spec', async () => {
    const up = await runJson<UpJson>(['up']);
    expect(up.services.every((s) => s.health.status === 'healthy'), JSON.stringify(up.services)).toBe(true);
    const health = await runJson<HealthJson>(['health']);
    expect(health.healthy).toBe(true);
    // The certificates fit: a second up issues nothing and changes nothing.
    const again = await runJson<UpJson>(['up']);
    expect(again.changed).toBe(false);

    const names = up.services.map((s) => `baas-${p.name}-${s.service}`);
    const specs = swarm.docker(swarm.manager, ['service', 'inspect', ...names]);
    expect(specs).not.toMatch(/BEGIN (EC )?PRIVATE KEY|BEGIN CERTIFICATE/);
    const key = readFileSync(path.join(p.dir, '.baas/tls/redis-1.key'), 'utf8');
    expect(specs).not.toContain(key.split('\n')[1]!);
    for (const v of [secrets().postgres.superuserPassword, secrets().redis.password]) expect(specs).not.toContain(v);
    const parsed = JSON.parse(specs) as { Spec: { Name: string; TaskTemplate: { ContainerSpec: { Secrets: { File: { Name: string } }[] } } } }[];
    for (const s of parsed) {
      const files = s.Spec.TaskTemplate.ContainerSpec.Secrets.map((x) => x.File.Name);
      expect(files, s.Spec.Name).toEqual(expect.arrayContaining(['ca.crt', 'server.crt', 'server.key']));
    }
    // Each certificate covers the service's names on the overlay network and the nodes' addresses.
    const { X509Certificate } = await import('node:crypto');
    const status = await runJson<StatusJson>(['status']);
    const cert = new X509Certificate(readFileSync(path.join(p.dir, '.baas/tls/sentinel-2.crt')));
    expect(cert.checkHost('sentinel-2')).toBe('sentinel-2');
    for (const n of status.nodes) expect(cert.checkIP(n.addr)).toBe(n.addr);
  });

  it('refuses plaintext on Postgres, every Redis node and every Sentinel; clients that verify the chain get in', async () => {
    const status = await runJson<StatusJson>(['status']);
    for (const s of status.services) {
      const { host, port } = published(status, s.service);
      const plain = s.kind === 'postgres' ? await probePostgresPlaintext(host, port) : await probeRedisPlaintext(host, port);
      expect(plain, `${s.service} answered plaintext`).toBe('refused');
    }
    const pgAt = published(status, 'postgres');
    const caFile = path.join(p.dir, '.baas/tls/ca.crt');
    const url = `postgres://app:${encodeURIComponent(secrets().postgres.appPassword)}@${pgAt.host}:${pgAt.port}/app?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`;
    expect(await pgQuery<{ ssl: boolean }>(url, 'select ssl from pg_stat_ssl where pid = pg_backend_pid()')).toEqual([{ ssl: true }]);
    // The nodes replicate over TLS (tls-replication yes): every replica's link is up.
    const r1 = published(status, 'redis-2');
    const c = await redisClient(r1.host, r1.port, { username: 'default', password: secrets().redis.password, tls: { ca: ca() } });
    try {
      const info = (await c.info('replication')) as string;
      expect(info).toMatch(/role:(master|slave)/);
    } finally {
      c.disconnect();
    }
    // A client that does not know the CA is refused by its own verification.
    await expect(redisClient(r1.host, r1.port, { username: 'default', password: secrets().redis.password, tls: {} })).rejects.toThrow(/certificate/i);
  });

  it('fails over over TLS: the master node is cut off, the Sentinels promote a replica, writes go on', async () => {
    const status = await runJson<StatusJson>(['status']);
    const client = await sentinelClient(status, secrets().redis.password, { ca: ca() });
    const before = await client.masterName();
    const lost = swarm.nodes.find((n) => n.name === status.services.find((s) => s.service === before)!.node)!;
    expect(lost).not.toBe(swarm.manager);
    try {
      const r = await writeThroughFailover(client, () => swarm.cutLink(lost), { writes: 20 });
      console.log(`TLS failover across nodes: first write on the new master ${r.failoverMs} ms after the node was cut`);
      expect(r.writesAfter).toBeGreaterThanOrEqual(20);
      expect(await client.masterName()).not.toBe(before);
    } finally {
      await client.close();
      swarm.restoreLink(lost);
    }
  });

  it('down removes services, secrets (certificates and keys included) and configs', async () => {
    const health = await healthyWithin90s(run);
    expect(health.healthy, JSON.stringify(health)).toBe(true);
    await runJson(['down']);
    const left = ['service', 'secret', 'config'].flatMap((c) => swarm.docker(swarm.manager, [c, 'ls', '-q', '--filter', `label=baas.project=${p.name}`]).split('\n').filter(Boolean));
    expect(left).toEqual([]);
  });
});
