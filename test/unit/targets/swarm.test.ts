import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { clusterContext, clusterDefs } from '../../../src/targets/common.js';
import type { SwarmEngine, SwarmNodeInfo, SwarmServiceInfo } from '../../../src/targets/swarm/engine.js';
import { labelNode } from '../../../src/targets/swarm/nodes.js';
import { pinnedNode, planPlacement } from '../../../src/targets/swarm/placement.js';
import { desiredSwarmServices, planSwarm, requireManager } from '../../../src/targets/swarm/stack.js';
import { withIds } from '../../../src/targets/swarm/spec.js';

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
    for (const v of [secrets.postgres.superuserPassword, secrets.postgres.appPassword, secrets.redis.password]) expect(text).not.toContain(v);
    const pg = services.find((s) => s.service === 'postgres')!;
    expect(pg.spec.TaskTemplate.ContainerSpec.Secrets.map((s) => s.File.Name)).toEqual(['baas.POSTGRES_PASSWORD']);
    expect(pg.secrets[0]!.data).toBe(secrets.postgres.superuserPassword);
    expect(pg.spec.TaskTemplate.ContainerSpec.Configs[0]!.File.Name).toBe('/baas/start.sh');
    expect(pg.config.data).toMatch(/initdb/);
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
