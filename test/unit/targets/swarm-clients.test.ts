import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { parseConfigText } from '../../../src/config/load.js';
import { loginsFor } from '../../../src/security/exposure.js';
import { servedCertificate } from '../../../src/security/served.js';
import { caCertPath, ensureCa, issueCert, namesFor, serviceCertPath, summarize } from '../../../src/security/tls.js';
import { maskSecrets } from '../../../src/stack/connection.js';
import { loadOrCreateSecrets } from '../../../src/stack/secrets.js';
import { swarmConnectionInfo } from '../../../src/targets/swarm/connection.js';
import type { SwarmEngine, SwarmNodeInfo, SwarmServiceInfo, SwarmTaskInfo } from '../../../src/targets/swarm/engine.js';
import { reachableEndpoints, swarmEndpoints } from '../../../src/targets/swarm/published.js';
import { servedRow } from '../../../src/targets/swarm/security.js';
import { serviceName } from '../../../src/targets/swarm/spec.js';
import type { SwarmDeps } from '../../../src/targets/swarm/stack.js';
import { viewSwarm } from '../../../src/targets/swarm/stack.js';

/**
 * The client-side commands on the swarm target (env/connect, certs show, doctor --exposure) at
 * their seams: a fake manager that reports nodes, services and tasks as the Engine API does.
 */

const SERVICES = ['postgres', 'redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3'];
const nodes: SwarmNodeInfo[] = ['a', 'b', 'c'].map((h, i) => ({ id: `id-${h}`, hostname: h, addr: `10.9.0.${i + 2}`, role: i === 0 ? 'manager' : 'worker', leader: i === 0, availability: 'active', state: 'ready', labels: {}, version: 1 }));

function fakeSwarm(project: string, o: { deployed?: boolean; stopped?: string[]; manager?: boolean } = {}): SwarmDeps {
  const services: SwarmServiceInfo[] = o.deployed === false ? [] : SERVICES.map((s) => ({ id: `svc-${s}`, name: serviceName(project, s), version: 1, labels: { 'baas.service': s }, constraints: [], createdAt: '', updatedAt: '' }));
  const tasks: SwarmTaskInfo[] = SERVICES.map((s, i) => ({
    id: `task-${s}`,
    serviceId: `svc-${s}`,
    nodeId: nodes[i % 3]!.id,
    slot: 1,
    desiredState: 'running',
    state: o.stopped?.includes(s) ? 'pending' : 'running',
    message: '',
    error: '',
    ports: o.stopped?.includes(s) ? [] : [{ target: s.startsWith('sentinel') ? 26379 : s === 'postgres' ? 5432 : 6379, published: 30000 + i }],
    updatedAt: '2025-01-01T00:00:00Z',
  }));
  const engine = {
    endpoint: 'unix:///fake/manager.sock',
    swarm: async () => ({ localNodeState: 'active', isManager: o.manager ?? true, nodeId: 'id-a', nodeAddr: '10.9.0.2', engineVersion: '27' }),
    nodes: async () => nodes,
    services: async () => services,
    tasks: async (ids: string[]) => tasks.filter((t) => ids.includes(t.serviceId)),
  } as unknown as SwarmEngine;
  return { engine, logger: { child: () => ({}) } as never, env: {} };
}

function projectDir(yaml: string): { dir: string; loaded: { config: ReturnType<typeof parseConfigText>; file: undefined; dir: string }; stateDir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-swarm-clients-'));
  const config = parseConfigText(`project: shop\nimages: local\ntarget: swarm\n${yaml}services:\n  mongo:\n    enabled: false\n`);
  const stateDir = path.join(dir, '.baas');
  loadOrCreateSecrets(stateDir);
  return { dir, loaded: { config, file: undefined, dir }, stateDir };
}

describe('swarmEndpoints', () => {
  it("gives each service its running task's node address and published port, and says why one has none", async () => {
    const { loaded, stateDir } = projectDir('');
    const deps = fakeSwarm('shop', { stopped: ['redis-3'] });
    const { readSecrets } = await import('../../../src/stack/secrets.js');
    const view = await viewSwarm(deps, loaded, readSecrets(stateDir)!);
    const eps = swarmEndpoints(view);
    expect(eps.find((e) => e.def.name === 'postgres')).toMatchObject({ node: 'a', host: '10.9.0.2', port: 30000 });
    expect(eps.find((e) => e.def.name === 'sentinel-2')).toMatchObject({ node: 'c', host: '10.9.0.4', port: 30005 });
    expect(eps.find((e) => e.def.name === 'redis-3')).toMatchObject({ missing: 'task pending' });
    // One Redis node without an address is left out; Postgres without one is an error (exit 6).
    expect(reachableEndpoints(eps).left.map((e) => e.def.name)).toEqual(['redis-3']);
    const noPg = eps.map((e) => (e.def.name === 'postgres' ? { def: e.def, missing: 'task pending' } : e));
    expect(() => reachableEndpoints(noPg)).toThrow(expect.objectContaining({ exitCode: 6, message: expect.stringMatching(/No address for postgres \(task pending\)/) }));
  });
});

describe('swarmConnectionInfo (baas env --target swarm)', () => {
  it("points every setting at the nodes' addresses and published ports; Sentinels' names map to them for ioredis", async () => {
    const { loaded, stateDir } = projectDir('');
    const infos = await swarmConnectionInfo(fakeSwarm('shop'), loaded, stateDir);
    const pg = infos.find((i) => i.service === 'postgres')!;
    expect(pg.env).toMatchObject({ PGHOST: '10.9.0.2', PGPORT: '30000', PGUSER: 'app' });
    expect(pg.env['DATABASE_URL']).toMatch(/^postgres:\/\/app:[^@]+@10\.9\.0\.2:30000\/app$/);
    expect(maskSecrets(pg)['DATABASE_URL']).toBe('postgres://app:***@10.9.0.2:30000/app');
    const redis = infos.find((i) => i.service === 'redis')!;
    expect(redis.env['REDIS_SENTINELS']).toBe('10.9.0.3:30004,10.9.0.4:30005,10.9.0.2:30006');
    // The app user, as on one host (the same ACL users on the cluster targets).
    expect(redis.env['REDIS_USERNAME']).toBe('app');
    expect(JSON.parse(redis.env['REDIS_NAT_MAP']!)).toMatchObject({ 'redis-1:6379': { host: '10.9.0.3', port: 30001 }, 'redis-2:6379': { host: '10.9.0.4', port: 30002 }, 'redis-3:6379': { host: '10.9.0.2', port: 30003 } });
    expect(redis.env['REDIS_URL']).toMatch(/^redis:\/\/app:[^@]+@10\.9\.0\.3:30001\/0$/);
    expect(redis.notes.join('\n')).toMatch(/may run data commands only/);
    expect(redis.notes.join('\n')).toMatch(/names on the overlay network/);
  });

  it('in the server profile: verify-full against the local CA, rediss, and the superuser from anywhere over TLS', async () => {
    const { loaded, stateDir } = projectDir('profile: server\n');
    const infos = await swarmConnectionInfo(fakeSwarm('shop'), loaded, stateDir);
    const pg = infos.find((i) => i.service === 'postgres')!;
    expect(pg.env).toMatchObject({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: caCertPath(stateDir) });
    expect(pg.notes.join('\n')).toMatch(/superuser may log in from 0\.0\.0\.0\/0, ::\/0, over TLS only/);
    const redis = infos.find((i) => i.service === 'redis')!;
    expect(redis.env['REDIS_URL']).toMatch(/^rediss:\/\//);
    expect(redis.env['REDIS_CA_FILE']).toBe(caCertPath(stateDir));
  });

  it('leaves out a Redis node without a running task, saying so', async () => {
    const { loaded, stateDir } = projectDir('');
    const infos = await swarmConnectionInfo(fakeSwarm('shop', { stopped: ['redis-1', 'sentinel-3'] }), loaded, stateDir);
    const redis = infos.find((i) => i.service === 'redis')!;
    expect(redis.notes[0]).toBe('Left out, no address on the swarm now: redis-1 (task pending), sentinel-3 (task pending).');
    expect(redis.env['REDIS_SENTINELS']!.split(',')).toHaveLength(2);
    expect(redis.env['REDIS_URL']).toMatch(/@10\.9\.0\.4:30002\/0$/);
  });

  it('refuses, with the fix, a stack that is not deployed and an engine that is not a manager (exit 2)', async () => {
    const { loaded, stateDir } = projectDir('');
    await expect(swarmConnectionInfo(fakeSwarm('shop', { deployed: false }), loaded, stateDir)).rejects.toMatchObject({
      exitCode: 2,
      message: "The stack 'shop' is not deployed on the swarm at unix:///fake/manager.sock.",
      hint: expect.stringMatching(/baas up --target swarm/),
    });
    await expect(swarmConnectionInfo(fakeSwarm('shop', { manager: false }), loaded, stateDir)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/is a swarm worker/) });
  });
});

describe('certificates served on the swarm', () => {
  let dir: string;
  let server: tls.Server;
  let pgServer: net.Server;
  const ports = { redis: 0, postgres: 0 };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'baas-served-'));
    await ensureCa(dir, 'unit', 365);
    await issueCert(dir, 'redis-1', namesFor({ service: 'redis-1', containerName: 'baas-unit-redis-1', ip: '127.0.0.1', bindAddress: '127.0.0.1', hosts: [] }), 365);
    const cert = readFileSync(serviceCertPath(dir, 'redis-1'));
    const key = readFileSync(serviceCertPath(dir, 'redis-1').replace(/\.crt$/, '.key'));
    server = tls.createServer({ cert, key }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ports.redis = (server.address() as net.AddressInfo).port;
    // Postgres: an SSLRequest answered 'S', then the TLS handshake on the same connection.
    pgServer = net.createServer((sock) => {
      sock.once('data', () => {
        sock.write('S');
        const t = new tls.TLSSocket(sock, { isServer: true, cert, key });
        t.on('error', () => {});
      });
    });
    await new Promise<void>((r) => pgServer.listen(0, '127.0.0.1', r));
    ports.postgres = (pgServer.address() as net.AddressInfo).port;
  });
  afterAll(() => {
    server?.close();
    pgServer?.close();
  });

  it('reads the certificate a Redis (TLS from the first byte) and a Postgres (after SSLRequest) server presents', async () => {
    const local = new X509Certificate(readFileSync(serviceCertPath(dir, 'redis-1')));
    expect((await servedCertificate('redis', '127.0.0.1', ports.redis)).fingerprint256).toBe(local.fingerprint256);
    expect((await servedCertificate('postgres', '127.0.0.1', ports.postgres)).fingerprint256).toBe(local.fingerprint256);
    // A closed port on 127.0.0.1.
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    closed.close();
    await expect(servedCertificate('redis', '127.0.0.1', port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rows: trusted and the same as the local file, unreachable with why, untrusted when another CA issued it', async () => {
    const def = { name: 'redis-1', kind: 'redis' } as never;
    const servedCert = new X509Certificate(readFileSync(serviceCertPath(dir, 'redis-1')));
    const ca = { cert: new X509Certificate(readFileSync(caCertPath(dir))), file: caCertPath(dir) };
    const local = { name: 'redis-1', file: serviceCertPath(dir, 'redis-1'), status: 'ok' as const, ...summarize(readFileSync(serviceCertPath(dir, 'redis-1'))) };
    const ep = { def, node: 'b', host: '10.9.0.3', port: 30001 };
    expect(servedRow(ep, local, servedCert, ca)).toMatchObject({ name: 'redis-1', status: 'ok', source: '10.9.0.3:30001', node: 'b', sameAsLocal: true });
    expect(servedRow({ def, missing: 'task pending' }, local, new Error('task pending'), ca)).toMatchObject({ status: 'unreachable', detail: 'task pending', source: '' });
    // Another CA: a certificate that is its own issuer.
    const other = mkdtempSync(path.join(os.tmpdir(), 'baas-served-other-'));
    await ensureCa(other, 'other', 30);
    const foreign = new X509Certificate(readFileSync(caCertPath(other)));
    expect(servedRow(ep, local, foreign, ca)).toMatchObject({ status: 'untrusted', sameAsLocal: false, detail: expect.stringMatching(/not issued by the CA in/) });
    // Expiry within 30 days, as on one host.
    expect(servedRow(ep, local, servedCert, ca, new Date(Date.now() + 350 * 86_400_000))).toMatchObject({ status: 'expiring' });
  });
});

describe('loginsFor on a cluster target', () => {
  it('says the superuser may log in from anywhere (over TLS) and Redis has the ACL users of one host', () => {
    const config = parseConfigText('profile: server\n');
    const access = { superuserFrom: ['0.0.0.0/0', '::/0'] };
    expect(loginsFor('postgres', config, access)[0]).toBe('postgres (superuser): 0.0.0.0/0, ::/0, over TLS');
    expect(loginsFor('redis', config, access)).toEqual(['admin, app (no admin/dangerous commands), monitor (read-only), replication, sentinel: password, over TLS', 'default user disabled']);
    expect(loginsFor('sentinel', config, access)).toEqual(['admin, sentinel, app (master discovery only), monitor: password, over TLS']);
    expect(loginsFor('postgres', config)[0]).toMatch(/this host only/);
  });
});

describe('the CLI on the swarm target', () => {
  it('says which certificates `up` issued and which it kept from where an older baas put them', async () => {
    const { certificateNotes } = await import('../../../src/cli/swarm.js');
    expect(certificateNotes({ issued: [], adopted: [] })).toEqual([]);
    expect(
      certificateNotes({
        issued: [{ service: 'redis-2', reason: 'does not cover 10.9.0.14' }],
        adopted: ['postgres', 'redis-1'].map((s) => ({ service: s, from: `/p/.baas/tls/${s}.crt`, to: `/p/.baas/tls/swarm/${s}.crt` })),
      }),
    ).toEqual([
      'the swarm keeps its certificates in /p/.baas/tls/swarm now; those of postgres, redis-1 still fit and were copied there from /p/.baas/tls (nothing reissued).',
      'issued TLS certificate(s): redis-2 (does not cover 10.9.0.14).',
    ]);
  });

  it('refuses `certs rotate --target swarm` (exit 2) and names what renews the certificates', async () => {
    const { dir } = projectDir('profile: server\n');
    writeFileSync(path.join(dir, 'platform.config.yaml'), 'project: shop\nprofile: server\nservices:\n  mongo:\n    enabled: false\n');
    const io = captureIo({ cwd: dir });
    expect(await main(['certs', 'rotate', '--target', 'swarm'], io)).toBe(2);
    expect(io.err()).toMatch(/does not run on the swarm target/);
    expect(io.err()).toMatch(/hint: `baas up --target swarm` renews the certificates/);
    const io2 = captureIo({ cwd: dir });
    expect(await main(['doctor', '--target', 'swarm'], io2)).toBe(2);
    expect(io2.err()).toMatch(/goes with --exposure only/);
  });
});
