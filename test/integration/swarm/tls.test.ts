import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgQuery, saveDiagnosticsWhenATestFails, testProject, type TestProject } from '../../helpers/harness.js';
import { startSwarm, type SwarmFixture } from '../../helpers/swarm-fixture.js';
import { sentinelClient, sentinelWatchRejoins, writeThroughFailover } from '../../helpers/swarm-client.js';
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

type EnvJson = { service: string; env: Record<string, string>; notes: string[] }[];
type CertJson = { name: string; status: string; source: string; sameAsLocal?: boolean; file: string; ips: string[]; detail?: string }[];
interface ExposureJson {
  problems: string[];
  ports: { service: string; address: string; port: number; tls: boolean; plaintext: string; network: boolean; logins: string[] }[];
}

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
  const secrets = () =>
    JSON.parse(readFileSync(path.join(p.dir, '.baas/secrets.json'), 'utf8')) as {
      redis: { password: string; appPassword: string; monitorPassword: string; replicationPassword: string; sentinelPassword: string };
      postgres: { appPassword: string; superuserPassword: string };
    };
  const ca = () => readFileSync(path.join(p.dir, '.baas/tls/ca.crt'), 'utf8');

  beforeAll(async () => {
    swarm = await startSwarm();
    p = testProject('swarmtls', CONFIG);
    env = { DOCKER_HOST: swarm.manager.dockerHost };
    const l = await run(['nodes', 'label', swarm.manager.name, 'postgres']);
    if (l.code !== 0) throw new Error(l.err);
  });
  afterAll(async () => {
    // The project first: on a failure it keeps the nodes' containers' logs before they go.
    await p?.cleanup(swarm?.engines);
    await swarm?.teardown();
  });
  // The tests share one stack and a later one changes it (the last takes it down): keep the evidence when a test fails.
  saveDiagnosticsWhenATestFails(() => p.name, () => swarm.engines);

  it('comes up healthy with TLS: certificates, keys and CA reach the services as Swarm secrets, no PEM in any spec', async () => {
    const up = await runJson<UpJson>(['up']);
    expect(up.services.every((s) => s.health.status === 'healthy'), JSON.stringify(up.services)).toBe(true);
    const health = await runJson<HealthJson>(['health']);
    expect(health.healthy).toBe(true);
    // The CA and one certificate per service, in the swarm's own directory (.baas/tls/swarm/).
    expect(up.certificates.issued.map((i) => i.service)).toEqual(['ca', ...up.services.map((s) => s.service)]);
    // The certificates fit: a second up issues nothing and changes nothing.
    const again = await runJson<UpJson>(['up']);
    expect(again.changed).toBe(false);
    expect(again.certificates).toEqual({ issued: [], adopted: [] });

    const names = up.services.map((s) => `baas-${p.name}-${s.service}`);
    const specs = swarm.docker(swarm.manager, ['service', 'inspect', ...names]);
    expect(specs).not.toMatch(/BEGIN (EC )?PRIVATE KEY|BEGIN CERTIFICATE/);
    const key = readFileSync(path.join(p.dir, '.baas/tls/swarm/redis-1.key'), 'utf8');
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
    const cert = new X509Certificate(readFileSync(path.join(p.dir, '.baas/tls/swarm/sentinel-2.crt')));
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
    const c = await redisClient(r1.host, r1.port, { username: 'monitor', password: secrets().redis.monitorPassword, tls: { ca: ca() } });
    try {
      const info = (await c.info('replication')) as string;
      expect(info).toMatch(/role:(master|slave)/);
    } finally {
      c.disconnect();
    }
    // A client that does not know the CA is refused by its own verification.
    await expect(redisClient(r1.host, r1.port, { username: 'app', password: secrets().redis.appPassword, tls: {} })).rejects.toThrow(/certificate/i);
  });

  it('has the single-host ACL users: default cannot log in, app reads and writes but runs no admin or dangerous command, monitor only looks, replicas are linked as `replication`', async () => {
    const status = await runJson<StatusJson>(['status']);
    const health = await runJson<HealthJson>(['health']);
    const s = secrets().redis;
    const tls = { ca: ca() };
    const as = (service: string, username: string, password: string) => {
      const at = published(status, service);
      return redisClient(at.host, at.port, { username, password, tls });
    };
    const using = async <T>(service: string, username: string, password: string, f: (c: Awaited<ReturnType<typeof redisClient>>) => Promise<T>): Promise<T> => {
      const c = await as(service, username, password);
      try {
        return await f(c);
      } finally {
        c.disconnect();
      }
    };
    const redisNodes = status.services.filter((x) => x.kind === 'redis').map((x) => x.service);
    const sentinels = status.services.filter((x) => x.kind === 'sentinel').map((x) => x.service);
    const master = health.services.find((x) => x.role === 'master')!.service;
    const replicas = redisNodes.filter((n) => n !== master);
    expect(replicas).toHaveLength(2);

    // `default` is off on every node and every Sentinel, whatever the password.
    for (const service of [...redisNodes, ...sentinels]) {
      for (const password of [s.password, s.appPassword]) await expect(as(service, 'default', password), service).rejects.toThrow(/WRONGPASS|disabled/i);
    }
    // `app`: data commands only.
    await using(master, 'app', s.appPassword, async (c) => {
      expect(await c.set('baas:acl', 'ok')).toBe('OK');
      expect(await c.get('baas:acl')).toBe('ok');
      for (const cmd of [['CONFIG', 'GET', 'maxmemory'], ['FLUSHALL'], ['KEYS', '*']]) await expect(c.call(cmd[0]!, ...cmd.slice(1)), cmd.join(' ')).rejects.toThrow(/NOPERM/);
    });
    // `monitor`: INFO, never a write.
    await using(master, 'monitor', s.monitorPassword, async (c) => {
      expect(await c.info('server')).toMatch(/redis_version:/);
      await expect(c.set('baas:acl', 'no')).rejects.toThrow(/NOPERM/);
    });
    // `replication` may only replicate.
    await using(master, 'replication', s.replicationPassword, async (c) => {
      await expect(c.get('baas:acl')).rejects.toThrow(/NOPERM/);
    });
    // The replicas log in to the master as `replication`: their links are up, the write arrived.
    for (const r of replicas) {
      await using(r, 'monitor', s.monitorPassword, async (c) => {
        const info = (await c.info('replication')) as string;
        expect(info, r).toMatch(/^master_link_status:up\r?$/m);
      });
      await using(r, 'app', s.appPassword, async (c) => expect(await c.get('baas:acl')).toBe('ok'));
    }
    // Sentinels: `app` finds the master but changes nothing; `monitor` checks the quorum.
    await using(sentinels[0]!, 'app', s.appPassword, async (c) => {
      expect(((await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'baas')) as string[])[0]).toBe(master);
      await expect(c.call('SENTINEL', 'FAILOVER', 'baas')).rejects.toThrow(/NOPERM/);
    });
    await using(sentinels[0]!, 'monitor', s.monitorPassword, async (c) => expect(await c.call('SENTINEL', 'CKQUORUM', 'baas')).toMatch(/^OK/));
  });

  it('env --target swarm: settings a client connects with (verify-full to Postgres, rediss through the Sentinels), masked unless --show-secrets', async () => {
    const status = await runJson<StatusJson>(['status']);
    const masked = await runJson<EnvJson>(['env', '--target', 'swarm']);
    const pgAt = published(status, 'postgres');
    expect(masked.find((v) => v.service === 'postgres')!.env).toMatchObject({ PGHOST: pgAt.host, PGPORT: String(pgAt.port), PGPASSWORD: '***', PGSSLMODE: 'verify-full', PGSSLROOTCERT: path.join(p.dir, '.baas/tls/ca.crt') });
    const maskedText = JSON.stringify(masked);
    for (const v of [secrets().postgres.appPassword, secrets().postgres.superuserPassword, secrets().redis.password]) expect(maskedText).not.toContain(v);

    const shown = await runJson<EnvJson>(['env', '--target', 'swarm', '--show-secrets']);
    const pg = shown.find((v) => v.service === 'postgres')!.env;
    expect(await pgQuery<{ ssl: boolean }>(pg['DATABASE_URL']!, 'select ssl from pg_stat_ssl where pid = pg_backend_pid()')).toEqual([{ ssl: true }]);
    const r = shown.find((v) => v.service === 'redis')!.env;
    expect(r['REDIS_URL']).toMatch(/^rediss:\/\/app:/);
    expect(r['REDIS_USERNAME']).toBe('app');
    expect(r['REDIS_PASSWORD']).toBe(secrets().redis.appPassword);
    // An app's ioredis client exactly as the printed settings say: Sentinels, master name, NAT map, CA.
    const { Redis } = await import('ioredis');
    const ca = readFileSync(r['REDIS_CA_FILE']!, 'utf8');
    const client = new Redis({
      sentinels: r['REDIS_SENTINELS']!.split(',').map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) })),
      name: r['REDIS_MASTER_NAME']!,
      username: r['REDIS_USERNAME']!,
      password: r['REDIS_PASSWORD']!,
      sentinelUsername: r['REDIS_USERNAME']!,
      sentinelPassword: r['REDIS_PASSWORD']!,
      natMap: JSON.parse(r['REDIS_NAT_MAP']!) as Record<string, { host: string; port: number }>,
      tls: { ca },
      sentinelTLS: { ca },
      enableTLSForSentinelMode: true,
      updateSentinels: false,
      maxRetriesPerRequest: 2,
    });
    client.on('error', () => {});
    try {
      await client.set('baas:env-test', 'ok');
      expect(await client.get('baas:env-test')).toBe('ok');
    } finally {
      client.disconnect();
    }

    const url = await run(['connect', 'postgres', '--url', '--target', 'swarm']);
    expect(url.code, url.err).toBe(0);
    expect(url.out.trim()).toBe(`postgres://app:***@${pgAt.host}:${pgAt.port}/app?sslmode=verify-full&sslrootcert=${encodeURIComponent(path.join(p.dir, '.baas/tls/ca.crt'))}`);
    // Redis as on one host: the app user, through the node that was the first master.
    const redisUrl = await run(['connect', 'redis', '--url', '--target', 'swarm']);
    expect(redisUrl.code, redisUrl.err).toBe(0);
    const r1At = published(status, 'redis-1');
    expect(redisUrl.out.trim()).toBe(`rediss://app:***@${r1At.host}:${r1At.port}/0`);
    // A worker cannot answer for the swarm.
    const worker = await p.run(['env', '--target', 'swarm'], { DOCKER_HOST: swarm.nodes[1]!.dockerHost });
    expect(worker.code).toBe(2);
    expect(worker.err).toMatch(/is a swarm worker/);
  });

  it("certs show --target swarm: the certificate each service serves is the local file, issued by the CA; certs rotate is refused", async () => {
    const status = await runJson<StatusJson>(['status']);
    const rows = await runJson<CertJson>(['certs', 'show', '--target', 'swarm']);
    expect(rows.map((r) => r.name)).toEqual(['ca', ...status.services.map((s) => s.service)]);
    for (const r of rows) expect(r.status, `${r.name}: ${r.detail ?? ''}`).toBe('ok');
    for (const r of rows.slice(1)) {
      const at = published(status, r.name);
      expect(r).toMatchObject({ source: `${at.host}:${at.port}`, sameAsLocal: true, file: path.join(p.dir, `.baas/tls/swarm/${r.name}.crt`) });
      expect(r.ips).toContain(at.host);
    }
    const text = await run(['certs', 'show']);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/SERVED AT/);
    const rotate = await run(['certs', 'rotate']);
    expect(rotate.code).toBe(2);
    expect(rotate.err).toMatch(/does not run on the swarm target/);
  });

  it('doctor --exposure --target swarm: every port on its node speaks TLS only and refuses plaintext', async () => {
    const status = await runJson<StatusJson>(['status']);
    const r = await runJson<ExposureJson>(['doctor', '--exposure', '--target', 'swarm']);
    expect(r.problems).toEqual([]);
    expect(r.ports.map((x) => x.service).sort()).toEqual(status.services.map((s) => s.service).sort());
    for (const x of r.ports) {
      const at = published(status, x.service);
      expect(x).toMatchObject({ address: at.host, port: at.port, tls: true, plaintext: 'refused', network: true });
    }
    expect(r.ports.find((x) => x.service === 'redis-1')!.logins).toEqual(['admin, app (no admin/dangerous commands), monitor (read-only), replication, sentinel: password, over TLS', 'default user disabled']);
  });

  it('a sentinel that follows another master than all its peers stops and comes back following theirs (its watch asks over TLS)', async () => {
    const ms = await sentinelWatchRejoins(swarm, p.name, run, { adminPassword: secrets().redis.password, sentinelPassword: secrets().redis.sentinelPassword, tls: true });
    console.log(`TLS: a sentinel on another master than its peers: stopped and restarted ${ms} ms after it diverged`);
  });

  it('fails over over TLS: the master node is cut off, the Sentinels promote a replica, writes go on', async () => {
    const status = await runJson<StatusJson>(['status']);
    // As the app user, to the Sentinels and the nodes; the Sentinels log in to the nodes and each other as `sentinel`.
    const client = await sentinelClient(status, secrets().redis.appPassword, { ca: ca(), username: 'app' });
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
    // Nothing deployed: the client-side commands say so, with the fix.
    for (const argv of [['env'], ['certs', 'show'], ['doctor', '--exposure']]) {
      const r = await run([...argv, '--target', 'swarm']);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/is not deployed on the swarm at/);
      expect(r.err).toMatch(/hint: Deploy it with `baas up --target swarm`/);
    }
  });
});
