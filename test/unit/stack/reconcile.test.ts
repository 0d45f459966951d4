import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import type { ContainerInfo } from '../../../src/runtime/types.js';
import { desiredServices, resolvePorts, selectServices, servicePorts, validateServiceNames } from '../../../src/stack/desired.js';
import { LABEL } from '../../../src/model/labels.js';
import { configHash, planReconcile, stableStringify, waves } from '../../../src/stack/reconcile.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { makeContext } from '../../../src/stack/context.js';
import type { ServiceDef } from '../../../src/services/types.js';

const secrets = generateSecrets();
function defsFor(yaml: string, masterIp?: string): ServiceDef[] {
  const config = parseConfigText(`project: demo\n${yaml}`);
  const ctx = makeContext({ config, file: undefined, dir: '/tmp/demo' }, '10.210.1.0/24', secrets, {});
  return desiredServices(ctx, resolvePorts(config, [], () => 40000), masterIp);
}
const container = (def: ServiceDef, over: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id: `id-${def.name}`,
  name: def.spec.name,
  image: def.spec.image,
  state: 'running',
  status: 'Up',
  labels: { ...def.spec.labels, [LABEL.configHash]: configHash(def) },
  ports: [],
  ...over,
});

describe('desired stack', () => {
  it('has Postgres, a Redis master with two replicas, three sentinels and MongoDB by default', () => {
    const defs = defsFor('');
    expect(defs.map((d) => d.name)).toEqual(['postgres', 'redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3', 'mongo']);
    expect(defs.find((d) => d.name === 'redis-2')?.spec.env['BAAS_REPLICAOF']).toBe('10.210.1.21');
    expect(defs.find((d) => d.name === 'redis-1')?.spec.env['BAAS_REPLICAOF']).toBe('');
    expect(defs.find((d) => d.name === 'sentinel-1')?.dependsOn).toEqual(['redis-1', 'redis-2', 'redis-3']);
  });

  it('gives fixed addresses and publishes on 127.0.0.1 (0.0.0.0 with the server profile)', () => {
    const local = defsFor('');
    expect(local.map((d) => d.spec.ipv4)).toEqual(['10.210.1.10', '10.210.1.21', '10.210.1.22', '10.210.1.23', '10.210.1.31', '10.210.1.32', '10.210.1.33', '10.210.1.11']);
    expect(local.every((d) => d.spec.ports[0]?.hostIp === '127.0.0.1')).toBe(true);
    expect(defsFor('profile: server\n').every((d) => d.spec.ports[0]?.hostIp === '0.0.0.0' && d.spec.restartPolicy === 'always')).toBe(true);
  });

  it('labels every container for baas and for compose tooling', () => {
    const pg = defsFor('')[0]!;
    expect(pg.spec.labels).toMatchObject({ [LABEL.project]: 'demo', [LABEL.service]: 'postgres', 'com.docker.compose.project': 'demo', 'com.docker.compose.service': 'postgres' });
  });

  it('keeps the live master out of the config hash, so a failover does not recreate anything', () => {
    const before = defsFor('');
    const after = defsFor('', '10.210.1.22');
    expect(after.find((d) => d.name === 'redis-1')?.spec.env['BAAS_REPLICAOF']).toBe('10.210.1.22');
    expect(before.map(configHash)).toEqual(after.map(configHash));
  });

  it('changes the hash of exactly the services a config change touches', () => {
    const a = defsFor('');
    const b = defsFor('services:\n  redis:\n    maxmemory: 128mb\n');
    const changed = a.filter((d, i) => configHash(d) !== configHash(b[i]!)).map((d) => d.name);
    expect(changed).toEqual(['redis-1', 'redis-2', 'redis-3']);
  });

  it('uses consecutive host ports from the configured base, and reuses auto ports from existing containers', () => {
    const config = parseConfigText('services:\n  redis:\n    port: 7000\n  postgres:\n    port: auto\n');
    expect(servicePorts(config).find((p) => p.service === 'redis-3')).toMatchObject({ configured: 7000, offset: 2 });
    const existing = { labels: { [LABEL.service]: 'postgres', [LABEL.hostPort]: '41234' }, ports: [] } as unknown as ContainerInfo;
    const ports = resolvePorts(config, [existing], () => 1);
    expect(ports.get('postgres')).toBe(41234);
    expect(ports.get('redis-2')).toBe(7001);
  });

  it('selects services by section or container name and pulls in what sentinels need', () => {
    const defs = defsFor('');
    const config = parseConfigText('');
    expect(selectServices(defs, ['postgres'], config).map((d) => d.name)).toEqual(['postgres']);
    expect(selectServices(defs, ['sentinel-2'], config).map((d) => d.name)).toEqual(['redis-1', 'redis-2', 'redis-3', 'sentinel-2']);
    expect(() => validateServiceNames(config, ['mysql'])).toThrow(/Unknown service 'mysql'/);
    expect(() => validateServiceNames(parseConfigText('services:\n  mongo:\n    enabled: false\n'), ['mongo'])).toThrow(/disabled/);
  });
});

describe('planReconcile', () => {
  const defs = defsFor('services:\n  mongo:\n    enabled: false\n');

  it('recreates a container whose image tag now points at another image id (rebuilt or pulled), and only that one', () => {
    const ids = new Map(defs.map((d) => [d.spec.image, `sha256:new-${d.spec.image}`]));
    const actual = defs.map((d) => container(d, { imageId: d.kind === 'sentinel' ? 'sha256:old' : `sha256:new-${d.spec.image}` }));
    const plan = planReconcile(defs, actual, { imageIds: ids });
    expect(plan.filter((a) => a.type === 'recreate').map((a) => ('def' in a ? a.def.name : ''))).toEqual(['sentinel-1', 'sentinel-2', 'sentinel-3']);
    expect(plan.find((a) => a.type === 'recreate')).toMatchObject({ reason: expect.stringMatching(/image .* changed \(rebuilt or pulled\)/) });
    // An image id that is not known (image missing, lookup failed) never forces a recreate.
    expect(planReconcile(defs, actual).every((a) => a.type === 'keep')).toBe(true);
  });

  it('creates everything on an empty engine', () => {
    expect(planReconcile(defs, []).map((a) => a.type)).toEqual(Array(7).fill('create'));
  });

  it('keeps running containers whose hash matches, and starts stopped ones', () => {
    const actual = defs.map((d) => container(d, d.name === 'redis-2' ? { state: 'exited' } : {}));
    const plan = planReconcile(defs, actual);
    expect(plan.filter((a) => a.type === 'keep')).toHaveLength(6);
    expect(plan.find((a) => a.type === 'start')).toMatchObject({ def: { name: 'redis-2' } });
  });

  it('recreates containers whose hash differs and removes ones no longer configured', () => {
    const actual = defs.map((d) => container(d, d.name === 'postgres' ? { labels: { ...d.spec.labels, [LABEL.configHash]: 'old' } } : {}));
    const stray = { ...container(defs[1]!), id: 'stray', name: 'baas-demo-redis-9', labels: { ...defs[1]!.spec.labels, [LABEL.service]: 'redis-9' } };
    const plan = planReconcile(defs, [...actual, stray]);
    expect(plan.find((a) => a.type === 'recreate')).toMatchObject({ def: { name: 'postgres' } });
    expect(plan.find((a) => a.type === 'remove')).toMatchObject({ container: { id: 'stray' } });
    expect(planReconcile(defs, [...actual, stray], { partial: true }).some((a) => a.type === 'remove')).toBe(false);
  });

  it('removes a duplicate container claiming the same service', () => {
    const dup = { ...container(defs[0]!), id: 'dup', name: 'something-else' };
    const plan = planReconcile(defs, [container(defs[0]!), dup]);
    expect(plan.filter((a) => a.type === 'remove').map((a) => (a.type === 'remove' ? a.container.id : ''))).toEqual(['dup']);
  });

  it('starts sentinels in a wave after the Redis nodes', () => {
    expect(waves(defs).map((w) => w.map((d) => d.name))).toEqual([
      ['postgres', 'redis-1', 'redis-2', 'redis-3'],
      ['sentinel-1', 'sentinel-2', 'sentinel-3'],
    ]);
  });

  it('hashes independently of key order', () => {
    expect(stableStringify({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe(stableStringify({ a: [2, { c: 2, d: 1 }], b: 1 }));
  });
});
