import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { clusterContext, clusterDefs } from '../../../src/targets/common.js';
import type { SwarmEngine, SwarmNodeInfo, SwarmServiceInfo } from '../../../src/targets/swarm/engine.js';
import { labelNode } from '../../../src/targets/swarm/nodes.js';
import { pinnedNode, planPlacement } from '../../../src/targets/swarm/placement.js';
import { desiredSwarmServices, planSwarm, requireManager } from '../../../src/targets/swarm/stack.js';
import { withIds } from '../../../src/targets/swarm/spec.js';
import { allSecretValues } from '../../../src/model/secrets.js';
import { nodeAcl, nodeAuthConf, sentinelAuthConf } from '../../../src/services/redis-conf.js';

const node = (hostname: string, o: Partial<SwarmNodeInfo> = {}): SwarmNodeInfo => ({
  id: `id-${hostname}`,
  hostname,
  addr: '10.0.0.1',
  role: 'worker',
  leader: false,
  availability: 'active',
  state: 'ready',
  labels: {},
  version: 1,
  ...o,
});
const three = (): SwarmNodeInfo[] => [node('a', { labels: { 'baas.postgres': 'true' }, role: 'manager' }), node('b'), node('c')];

const secrets = generateSecrets();
function stack(yaml = '') {
  const config = parseConfigText(`project: shop\nimages: local\nservices:\n  mongo:\n    enabled: false\n${yaml}`);
  const ctx = clusterContext({ config, file: undefined, dir: '/tmp' }, secrets, {});
  return { ctx, defs: clusterDefs(ctx) };
}
const where = (plan: ReturnType<typeof planPlacement>, service: string) => plan.placements.find((p) => p.service === service)!;

describe('planPlacement', () => {
  it('pins Postgres by label, spreads Redis nodes and puts each sentinel on its own node', () => {
    const { defs } = stack();
    const plan = planPlacement(three(), defs, new Map());
    expect(where(plan, 'postgres').constraints).toEqual(['node.labels.baas.postgres==true']);
    expect(new Set(['sentinel-1', 'sentinel-2', 'sentinel-3'].map((s) => where(plan, s).node))).toEqual(new Set(['a', 'b', 'c']));
    expect(new Set(['redis-1', 'redis-2', 'redis-3'].map((s) => where(plan, s).node))).toEqual(new Set(['a', 'b', 'c']));
    // The first master avoids the Postgres node.
    expect(where(plan, 'redis-1').node).not.toBe('a');
    expect(where(plan, 'redis-1').constraints).toEqual([`node.id==${where(plan, 'redis-1').nodeId}`]);
    expect(plan.notes).toEqual([]);
  });

  it('says which Redis nodes share a node when there are fewer nodes than Redis nodes', () => {
    const { defs } = stack('  redis:\n    replicas: 3\n');
    const plan = planPlacement(three(), defs, new Map());
    expect(plan.notes).toHaveLength(1);
    expect(plan.notes[0]).toMatch(/share .* \(4 Redis nodes, 3 usable nodes\)/);
  });

  it('keeps a service on the node it runs on (its volume is there), even when that node is down', () => {
    const { defs } = stack();
    const nodes = three();
    nodes[2]!.state = 'down';
    const plan = planPlacement(nodes, defs, new Map([['redis-1', 'id-c'], ['sentinel-1', 'id-c']]));
    expect(where(plan, 'redis-1').node).toBe('c');
    expect(where(plan, 'sentinel-1').node).toBe('c');
  });

  it('refuses with the fix: no Postgres node, two Postgres nodes, too few nodes for the sentinels', () => {
    const { defs } = stack();
    expect(() => planPlacement([node('a'), node('b'), node('c')], defs, new Map())).toThrow(/No swarm node is labelled for Postgres/);
    const two = three();
    two[1]!.labels['baas.postgres'] = 'true';
    expect(() => planPlacement(two, defs, new Map())).toThrow(/2 nodes are labelled baas.postgres=true \(a, b\)/);
    const small = [node('a', { labels: { 'baas.postgres': 'true' } }), node('b')];
    try {
      planPlacement(small, defs, new Map());
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/3 Sentinels need 3 different usable swarm nodes; the swarm has 2/);
      expect((e as { hint: string }).hint).toMatch(/services\.redis\.sentinels to 2 or fewer/);
      expect((e as { exitCode: number }).exitCode).toBe(5);
    }
    // A drained node does not count.
    const drained = three();
    drained[2]!.availability = 'drain';
    expect(() => planPlacement(drained, defs, new Map())).toThrow(/the swarm has 2/);
  });

  it('reads the pinned node back from the constraints', () => {
    expect(pinnedNode(['node.id==abc'])).toBe('abc');
    expect(pinnedNode(['node.labels.baas.postgres==true'])).toBeUndefined();
  });
});

describe('swarm service specs', () => {
  it('hold no credential: secrets are Swarm secrets mounted as files, scripts are Swarm configs', () => {
    const { ctx, defs } = stack();
    const { services } = desiredSwarmServices(ctx, defs, three(), []);
    const text = JSON.stringify(services.map((s) => s.spec));
    for (const v of allSecretValues(secrets)) expect(text).not.toContain(v);
    const pg = services.find((s) => s.service === 'postgres')!;
    // The single-host start script reads its secret files from /run/secrets, as on Docker.
    expect(pg.spec.TaskTemplate.ContainerSpec.Secrets.map((s) => s.File.Name)).toEqual(['postgres-password', 'pg_hba.conf']);
    expect(pg.secrets[0]!.data).toBe(`${secrets.postgres.superuserPassword}\n`);
    expect(pg.spec.TaskTemplate.ContainerSpec.Mounts.map((m) => m.Target)).toEqual(['/var/lib/postgresql/data']);
    expect(pg.spec.TaskTemplate.ContainerSpec.Configs[0]!.File.Name).toBe('/baas/start.sh');
    expect(pg.config.data).toMatch(/initdb/);
  });

  it("gives Redis the single-host ACL users: nodes load users.acl and auth.conf (masteruser replication), Sentinels sentinel-auth.conf; the scripts ask as monitor", () => {
    for (const server of [false, true]) {
      // The server profile without TLS here: the certificates have tests of their own below.
      const { ctx: c, defs } = stack(server ? 'profile: server\ntls: false\nbackups:\n  enabled: false\n' : '');
      expect(c.config.profile).toBe(server ? 'server' : 'local');
      const { services } = desiredSwarmServices(c, defs, three(), []);
      const redis = services.find((s) => s.service === 'redis-2')!;
      const files = Object.fromEntries(redis.spec.TaskTemplate.ContainerSpec.Secrets.map((x) => [x.File.Name, redis.secrets.find((b) => b.name === x.SecretName)!.data]));
      // The very files of one host: the same users and rules, from the same definition.
      expect(files).toEqual({ 'baas.REDISCLI_AUTH': secrets.redis.monitorPassword, 'auth.conf': nodeAuthConf(secrets.redis), 'users.acl': nodeAcl(secrets.redis, server) });
      expect(files['users.acl']).toMatch(server ? /^user default off /m : /^user default on /m);
      expect(files['auth.conf']).toMatch(/^masteruser replication$/m);
      const script = redis.config.data;
      expect(script).toContain('echo "include /etc/baas/run/auth.conf"');
      expect(script).toContain('echo "aclfile /etc/baas/run/users.acl"');
      expect(script).not.toMatch(/requirepass|masterauth|REDIS_PASSWORD/);
      expect(script).toMatch(/redis-cli --no-auth-warning --user monitor -h "\$s" -p 26379 SENTINEL get-master-addr-by-name/);
      const sentinel = services.find((s) => s.service === 'sentinel-1')!;
      const sfiles = Object.fromEntries(sentinel.spec.TaskTemplate.ContainerSpec.Secrets.map((x) => [x.File.Name, sentinel.secrets.find((b) => b.name === x.SecretName)!.data]));
      expect(sfiles).toEqual({ 'baas.REDISCLI_AUTH': secrets.redis.monitorPassword, 'sentinel-auth.conf': sentinelAuthConf(c.config.services.redis, secrets.redis, server) });
      expect(sfiles['sentinel-auth.conf']).toMatch(/^sentinel auth-user baas sentinel$/m);
      expect(sfiles['sentinel-auth.conf']).toMatch(/^sentinel sentinel-user sentinel$/m);
      // Appended after the monitor line (auth-user names a monitored master), not echoed with a password.
      const conf = sentinel.config.data;
      expect(conf.indexOf('cat /etc/baas/run/sentinel-auth.conf')).toBeGreaterThan(conf.indexOf('sentinel monitor $SENTINEL_MASTER'));
      expect(conf).not.toMatch(/requirepass|auth-pass|REDIS_PASSWORD/);
    }
  });

  it('address services by name with dnsrr (no IPVS) and publish ports on the node (host mode)', () => {
    const { ctx, defs } = stack();
    const { services } = desiredSwarmServices(ctx, defs, three(), []);
    for (const s of services) {
      expect(s.spec.EndpointSpec.Mode).toBe('dnsrr');
      expect(s.spec.EndpointSpec.Ports.every((p) => p.PublishMode === 'host')).toBe(true);
      expect(s.spec.TaskTemplate.Networks).toEqual([{ Target: 'baas-shop', Aliases: [s.service] }]);
    }
    const s2 = services.find((s) => s.service === 'sentinel-2')!;
    expect(s2.spec.TaskTemplate.ContainerSpec.Env).toEqual(expect.arrayContaining(['BAAS_ME=sentinel-2', 'BAAS_FALLBACK_MASTER=redis-1', 'BAAS_SENTINELS=sentinel-1 sentinel-2 sentinel-3']));
    expect(withIds(s2.spec, new Map([[s2.secrets[0]!.name, 'sid']])).TaskTemplate.ContainerSpec.Secrets[0]!.SecretID).toBe('sid');
  });

  it('a changed setting changes only the hash of the service it touches', () => {
    const a = stack();
    const b = stack('  postgres:\n    settings:\n      work_mem: 8MB\n');
    const ha = desiredSwarmServices(a.ctx, a.defs, three(), []).services;
    const hb = desiredSwarmServices(b.ctx, b.defs, three(), []).services;
    const changed = ha.filter((s, i) => s.hash !== hb[i]!.hash).map((s) => s.service);
    expect(changed).toEqual(['postgres']);
  });
});

describe('planSwarm', () => {
  it('creates what is missing, updates what changed, keeps the rest and removes strays', () => {
    const { ctx, defs } = stack();
    const { services } = desiredSwarmServices(ctx, defs, three(), []);
    const existing = (name: string, hash: string): SwarmServiceInfo => ({ id: name, name, version: 3, labels: { 'baas.config-hash': hash }, constraints: [], createdAt: '', updatedAt: '' });
    const pg = services.find((s) => s.service === 'postgres')!;
    const r1 = services.find((s) => s.service === 'redis-1')!;
    const plan = planSwarm(services, [existing(pg.spec.Name, pg.hash), existing(r1.spec.Name, 'old'), existing('baas-shop-redis-9', 'x')]);
    const summary = plan.map((a) => `${a.type}:${'desired' in a ? a.desired.service : a.existing.name}`);
    expect(summary).toEqual(['keep:postgres', 'update:redis-1', 'create:redis-2', 'create:redis-3', 'create:sentinel-1', 'create:sentinel-2', 'create:sentinel-3', 'remove:baas-shop-redis-9']);
  });
});

function fakeEngine(state: Partial<Awaited<ReturnType<SwarmEngine['swarm']>>>, nodes: SwarmNodeInfo[] = three()): SwarmEngine & { labelled: [string, Record<string, string>][] } {
  const labelled: [string, Record<string, string>][] = [];
  const none = async () => [];
  return {
    endpoint: 'unix:///fake.sock',
    labelled,
    swarm: async () => ({ localNodeState: 'active', isManager: true, nodeId: 'id-a', nodeAddr: '', engineVersion: '20.10', ...state }),
    nodes: async () => nodes,
    setNodeLabels: async (id, _v, labels) => void labelled.push([id, labels]),
    services: none,
    tasks: none,
    networks: none,
    secrets: none,
    configs: none,
    localVolumes: none,
  } as unknown as SwarmEngine & { labelled: [string, Record<string, string>][] };
}

describe('requireManager', () => {
  it('refuses an engine outside a swarm, and a worker, each with the fix', async () => {
    await expect(requireManager(fakeEngine({ localNodeState: 'inactive' }))).rejects.toThrow(/unix:\/\/\/fake.sock is not part of a swarm/);
    await expect(requireManager(fakeEngine({ isManager: false }))).rejects.toMatchObject({ hint: expect.stringMatching(/Set DOCKER_HOST to a manager/) });
    await expect(requireManager(fakeEngine({}))).resolves.toMatchObject({ isManager: true });
  });
});

describe('labelNode', () => {
  it('puts baas.postgres=true on one node and takes it off the others', async () => {
    const e = fakeEngine({});
    const r = await labelNode(e, 'b', 'postgres');
    expect(r).toMatchObject({ node: 'b', removedFrom: ['a'], changed: true });
    expect(e.labelled).toEqual([['id-a', {}], ['id-b', { 'baas.postgres': 'true' }]]);
  });

  it('refuses an unknown node or role with the choices', async () => {
    await expect(labelNode(fakeEngine({}), 'zz', 'postgres')).rejects.toThrow(/No swarm node is called 'zz'/);
    await expect(labelNode(fakeEngine({}), 'b', 'redis')).rejects.toThrow(/Unknown node role 'redis'/);
  });
});

describe('swarm service specs with TLS (profile: server)', () => {
  const serverStack = async () => {
    const { mkdtempSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-swarm-tls-'));
    const config = parseConfigText('project: shop\nimages: local\nprofile: server\nbackups:\n  enabled: false\nservices:\n  mongo:\n    enabled: false\n');
    const nodes = [node('a', { addr: '10.9.0.11', labels: { 'baas.postgres': 'true' }, role: 'manager' }), node('b', { addr: '10.9.0.12' }), node('c', { addr: '10.9.0.13' })];
    const ctx = clusterContext({ config, file: undefined, dir }, secrets, {}, nodes.map((n) => n.addr));
    const defs = clusterDefs(ctx);
    const { ensureCertificates, serviceFiles } = await import('../../../src/security/service-files.js');
    const issued = await ensureCertificates(ctx, defs);
    return { dir, ctx, defs, nodes, issued, services: desiredSwarmServices(ctx, defs, nodes, [], (d) => serviceFiles(ctx, d)).services };
  };

  it('delivers the CA, certificate and key of each service as Swarm secret files; no PEM or password in any spec, label or env', async () => {
    const { services, ctx } = await serverStack();
    expect(ctx.tls.enabled).toBe(true);
    const text = JSON.stringify(services.map((s) => s.spec));
    expect(text).not.toMatch(/BEGIN|PRIVATE KEY/);
    for (const v of allSecretValues(secrets)) expect(text).not.toContain(v);
    for (const s of services) {
      const files = s.spec.TaskTemplate.ContainerSpec.Secrets.map((x) => x.File.Name);
      expect(files, s.service).toEqual(expect.arrayContaining(['ca.crt', 'server.crt', 'server.key']));
      expect(files).not.toContain('server.pem');
      const key = s.secrets.find((b) => b.key === `${s.service}-file-server.key`)!;
      expect(key.data).toMatch(/PRIVATE KEY/);
      // The secret's name carries a hash of the content, never the content.
      expect(key.name).toMatch(new RegExp(`^baas-shop-${s.service}-file-server.key-[0-9a-f]{10}$`));
    }
    // Redis nodes get their users and replication login as files and the scripts' monitor password in baas.REDISCLI_AUTH; Postgres its files.
    expect(services.find((s) => s.service === 'redis-1')!.spec.TaskTemplate.ContainerSpec.Secrets.map((x) => x.File.Name).sort()).toEqual(['auth.conf', 'baas.REDISCLI_AUTH', 'ca.crt', 'server.crt', 'server.key', 'users.acl']);
    expect(services.find((s) => s.service === 'sentinel-1')!.spec.TaskTemplate.ContainerSpec.Secrets.map((x) => x.File.Name).sort()).toEqual(['baas.REDISCLI_AUTH', 'ca.crt', 'sentinel-auth.conf', 'server.crt', 'server.key']);
    expect(services.find((s) => s.service === 'postgres')!.spec.TaskTemplate.ContainerSpec.Secrets.map((x) => x.File.Name).sort()).toEqual(['ca.crt', 'pg_hba.conf', 'postgres-password', 'server.crt', 'server.key']);
  });

  it('writes the single-host TLS settings: Redis port 0 + tls-port + tls-replication, Sentinels the same, Postgres ssl=on with hostssl rules', async () => {
    const { services } = await serverStack();
    const redis = services.find((s) => s.service === 'redis-2')!.config.data;
    for (const line of ['port 0', 'tls-port 6379', 'tls-replication yes', 'tls-auth-clients no', 'tls-ca-cert-file /etc/baas/run/ca.crt']) expect(redis).toContain(`echo "${line}"`);
    expect(redis).not.toContain('echo "port 6379"');
    // The start script asks the Sentinels who the master is over TLS too.
    expect(redis).toMatch(/redis-cli --no-auth-warning --user monitor --tls --cacert \/etc\/baas\/run\/ca.crt -h "\$s" -p 26379/);
    const sentinel = services.find((s) => s.service === 'sentinel-1')!.config.data;
    for (const line of ['port 0', 'tls-port 26379', 'tls-replication yes']) expect(sentinel).toContain(`echo "${line}"`);
    const pg = services.find((s) => s.service === 'postgres')!;
    const cmd = pg.spec.TaskTemplate.ContainerSpec.Command.join(' ');
    for (const s of ['ssl=on', 'ssl_cert_file=/etc/baas/run/server.crt', 'ssl_min_protocol_version=TLSv1.2']) expect(cmd).toContain(s);
    const hba = pg.secrets.find((b) => b.key === 'postgres-file-pg_hba.conf')!.data;
    expect(hba).toMatch(/^hostssl all postgres 0\.0\.0\.0\/0 scram-sha-256$/m);
    expect(hba).toMatch(/^hostssl all all 0\.0\.0\.0\/0 scram-sha-256$/m);
    expect(hba).toMatch(/^hostnossl all all 0\.0\.0\.0\/0 reject$/m);
    expect(hba).not.toMatch(/^host all all/m);
  });

  it("issues each service a certificate for its names on the overlay network and every node's address; a second run issues nothing", async () => {
    const { dir, ctx, defs, nodes, issued } = await serverStack();
    expect(issued.issued.map((i) => i.service)).toEqual(['ca', ...defs.map((d) => d.name)]);
    const { readFileSync } = await import('node:fs');
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(readFileSync(`${dir}/.baas/tls/swarm/redis-3.crt`));
    for (const n of ['redis-3', 'baas-shop-redis-3', 'localhost']) expect(cert.checkHost(n)).toBe(n);
    for (const ip of [...nodes.map((n) => n.addr), '127.0.0.1']) expect(cert.checkIP(ip)).toBe(ip);
    const { ensureCertificates } = await import('../../../src/security/service-files.js');
    expect((await ensureCertificates(ctx, defs)).issued).toEqual([]);
    // A node joins: the certificates no longer cover it and are issued again.
    const more = { ...ctx, clusterHosts: [...ctx.clusterHosts!, '10.9.0.14'] };
    expect((await ensureCertificates(more, defs)).issued.map((i) => i.reason)).toEqual(defs.map(() => 'does not cover 10.9.0.14'));
  });

  it('keeps its certificates in .baas/tls/swarm/ beside one host\'s: using both targets from one directory reissues nothing back and forth; one CA', async () => {
    const { dir, ctx: swarmCtx, defs: swarmDefs } = await serverStack();
    const { readFileSync, readdirSync } = await import('node:fs');
    const { makeContext } = await import('../../../src/stack/context.js');
    const { desiredServices, resolvePorts } = await import('../../../src/stack/desired.js');
    const { ensureCertificates } = await import('../../../src/security/service-files.js');
    // One host's stack (`baas up`) in the same project directory: the same service names, other addresses.
    const dockerCtx = makeContext({ config: swarmCtx.config, file: undefined, dir }, '10.250.9.0/24', secrets, {});
    const dockerDefs = desiredServices(dockerCtx, resolvePorts(dockerCtx.config, [], () => 0));
    expect((await ensureCertificates(dockerCtx, dockerDefs)).issued.map((i) => i.service)).toEqual(dockerDefs.map((d) => d.name));
    // Each target keeps what it has (they used to overwrite each other's `.baas/tls/<service>.crt`).
    for (let round = 0; round < 2; round++) {
      expect((await ensureCertificates(swarmCtx, swarmDefs)).issued).toEqual([]);
      expect((await ensureCertificates(dockerCtx, dockerDefs)).issued).toEqual([]);
    }
    const swarmFiles = readdirSync(`${dir}/.baas/tls/swarm`).sort();
    expect(swarmFiles).toContain('redis-1.key');
    // One CA for both: it stays at .baas/tls/ca.crt, the file clients verify with on either target.
    expect(readdirSync(`${dir}/.baas/tls/swarm`).some((f) => f.startsWith('ca.'))).toBe(false);
    expect(swarmCtx.tls.caFile).toBe(dockerCtx.tls.caFile);
    const { statSync } = await import('node:fs');
    expect(statSync(`${dir}/.baas/tls/swarm`).mode & 0o777).toBe(0o700);
    expect(statSync(`${dir}/.baas/tls/swarm/redis-1.key`).mode & 0o777).toBe(0o600);
  });

  it('after an upgrade keeps the certificates an older baas issued for the swarm in .baas/tls/ (copied, byte for byte, and said); one host\'s there are not taken', async () => {
    const { dir, ctx, defs } = await serverStack();
    const { copyFileSync, readFileSync, rmSync, existsSync } = await import('node:fs');
    const { ensureCertificates, serviceFiles } = await import('../../../src/security/service-files.js');
    // As an older baas left them: the swarm's certificates at .baas/tls/<service>.crt.
    for (const d of defs) for (const ext of ['crt', 'key']) copyFileSync(`${dir}/.baas/tls/swarm/${d.name}.${ext}`, `${dir}/.baas/tls/${d.name}.${ext}`);
    const specsBefore = desiredSwarmServices(ctx, defs, three(), [], (d) => serviceFiles(ctx, d)).services.map((x) => x.hash);
    rmSync(`${dir}/.baas/tls/swarm`, { recursive: true });
    const r = await ensureCertificates(ctx, defs);
    expect(r.issued).toEqual([]);
    expect(r.adopted.map((a) => a.service)).toEqual(defs.map((d) => d.name));
    expect(r.adopted[0]).toEqual({ service: defs[0]!.name, from: `${dir}/.baas/tls/${defs[0]!.name}.crt`, to: `${dir}/.baas/tls/swarm/${defs[0]!.name}.crt` });
    for (const d of defs) expect(readFileSync(`${dir}/.baas/tls/swarm/${d.name}.key`, 'utf8')).toBe(readFileSync(`${dir}/.baas/tls/${d.name}.key`, 'utf8'));
    // The services get the same files, so their specs (and Swarm secrets) stay: nothing restarts.
    expect(desiredSwarmServices(ctx, defs, three(), [], (d) => serviceFiles(ctx, d)).services.map((x) => x.hash)).toEqual(specsBefore);
    expect((await ensureCertificates(ctx, defs)).adopted).toEqual([]);

    // One host's certificates at the top (other addresses) do not fit the swarm: issued anew, never taken.
    rmSync(`${dir}/.baas/tls/swarm`, { recursive: true });
    const { makeContext } = await import('../../../src/stack/context.js');
    const { desiredServices, resolvePorts } = await import('../../../src/stack/desired.js');
    const dockerCtx = makeContext({ config: ctx.config, file: undefined, dir }, '10.250.9.0/24', secrets, {});
    const dockerDefs = desiredServices(dockerCtx, resolvePorts(dockerCtx.config, [], () => 0));
    await ensureCertificates(dockerCtx, dockerDefs);
    const dockerKey = readFileSync(`${dir}/.baas/tls/redis-1.key`, 'utf8');
    const again = await ensureCertificates(ctx, defs);
    expect(again.adopted).toEqual([]);
    expect(again.issued.map((i) => [i.service, i.reason])).toEqual(defs.map((d) => [d.name, 'no certificate yet']));
    expect(readFileSync(`${dir}/.baas/tls/swarm/redis-1.key`, 'utf8')).not.toBe(dockerKey);
    expect(existsSync(`${dir}/.baas/tls/redis-1.key`)).toBe(true);
  });

  it('without TLS (profile: local) the scripts listen plaintext and no certificate is mounted', () => {
    const { ctx, defs } = stack();
    expect(ctx.tls.enabled).toBe(false);
    const { services } = desiredSwarmServices(ctx, defs, three(), []);
    const redis = services.find((s) => s.service === 'redis-1')!;
    expect(redis.config.data).toContain('echo "port 6379"');
    expect(redis.config.data).not.toMatch(/--tls|tls-port/);
    expect(redis.spec.TaskTemplate.ContainerSpec.Secrets.map((x) => x.File.Name)).toEqual(['baas.REDISCLI_AUTH', 'auth.conf', 'users.acl']);
  });
});

describe('Swarm object names', () => {
  it("stay within Swarm's 64 characters for long project and file names, distinct and stable (the TLS files of every service)", async () => {
    const { secretName, configName } = await import('../../../src/targets/swarm/spec.js');
    const project = 't-swarmtls-4bcefa-with-a-long-name';
    const names = ['postgres', 'redis-1', 'sentinel-3'].flatMap((svc) => ['ca.crt', 'server.key', 'postgres-password'].map((f) => secretName(project, { key: `${svc}-file-${f}`, value: 'same content', group: 'redis' })));
    for (const n of names) expect(n).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9]$/);
    expect(new Set(names).size).toBe(names.length);
    expect(secretName(project, { key: 'redis-1-file-ca.crt', value: 'same content', group: 'redis' })).toBe(names[3]);
    expect(configName(project, 'sentinel', 'x'.repeat(100)).length).toBeLessThanOrEqual(64);
    // Short names keep the readable form.
    expect(secretName('shop', { key: 'redis-password', value: 'v', group: 'redis' })).toMatch(/^baas-shop-redis-password-[0-9a-f]{10}$/);
  });
});
