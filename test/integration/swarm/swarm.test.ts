import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgQuery, saveDiagnosticsWhenATestFails, testProject, type TestProject } from '../../helpers/harness.js';
import { startSwarm, type SwarmFixture } from '../../helpers/swarm-fixture.js';
import { sentinelClient, sentinelWatchRejoins, writeThroughFailover } from '../../helpers/swarm-client.js';
import { healthyWithin90s, swarmConfig, type SwarmHealthJson as HealthJson, type SwarmStatusJson as StatusJson, type SwarmUpJson as UpJson } from '../../helpers/swarm-json.js';

/**
 * The stack on a real 3-node Swarm (extra dockerd daemons in network namespaces, see
 * swarm-fixture.ts), started once for this file and torn down even when a test fails.
 */

const CONFIG = swarmConfig();

describe('baas on a 3-node Docker Swarm', () => {
  let swarm: SwarmFixture;
  let p: TestProject;
  let env: NodeJS.ProcessEnv;
  const run = (argv: string[], extra: NodeJS.ProcessEnv = {}) => p.run(argv, { ...env, ...extra });
  const runJson = async <T>(argv: string[]): Promise<T> => {
    const r = await run([...argv, '--json']);
    if (r.code !== 0) throw new Error(`baas ${argv.join(' ')} exited ${r.code}: ${r.err}`);
    return JSON.parse(r.out) as T;
  };
  /** What the project has on the swarm, counted by label through the manager. */
  const leftovers = (): string[] =>
    ['service', 'network', 'secret', 'config'].flatMap((c) =>
      swarm
        .docker(swarm.manager, [c, 'ls', '--format', '{{.Name}}', '--filter', `label=baas.project=${p.name}`])
        .split('\n')
        .filter(Boolean)
        .map((n) => `${c} ${n}`),
    );

  beforeAll(async () => {
    const t0 = Date.now();
    swarm = await startSwarm();
    console.log(`swarm fixture up in ${Date.now() - t0} ms`, swarm.timings);
    p = testProject('swarm', CONFIG);
    env = { DOCKER_HOST: swarm.manager.dockerHost };
  });
  afterAll(async () => {
    // The project first: on a failure it keeps the nodes' containers' logs before they go.
    await p?.cleanup(swarm?.engines);
    const ms = await swarm?.teardown();
    console.log(`swarm fixture torn down in ${ms} ms`);
  });
  // The tests share one stack and a later one changes it (the last takes it down): keep the evidence when a test fails.
  saveDiagnosticsWhenATestFails(() => p.name, () => swarm.engines);

  it('refuses an engine that is not a swarm manager, and deploys nothing', async () => {
    const worker = await run(['up'], { DOCKER_HOST: swarm.nodes[1]!.dockerHost });
    expect(worker.code).toBe(2);
    expect(worker.err).toMatch(/is a swarm worker/);
    expect(worker.err).toMatch(/hint: Set DOCKER_HOST to a manager/);
    // The machine's own dockerd is not in a swarm (and is only asked, never changed).
    const single = await run(['status', '--target', 'swarm'], { DOCKER_HOST: '' });
    expect(single.code).toBe(2);
    expect(single.err).toMatch(/is not part of a swarm/);
    expect(leftovers()).toEqual([]);
  });

  it('refuses when no node is labelled for Postgres, and deploys nothing', async () => {
    const r = await run(['up']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No swarm node is labelled for Postgres/);
    expect(r.err).toMatch(/baas nodes label <node> postgres/);
    expect(leftovers()).toEqual([]);
  });

  it('labels a node for Postgres with `baas nodes label`', async () => {
    const r = await runJson<{ node: string; changed: boolean }>(['nodes', 'label', swarm.manager.name, 'postgres']);
    expect(r).toMatchObject({ node: swarm.manager.name, changed: true });
    const nodes = await runJson<{ hostname: string; labels: Record<string, string> }[]>(['nodes']);
    expect(nodes.find((n) => n.hostname === swarm.manager.name)?.labels['baas.postgres']).toBe('true');
    expect(nodes).toHaveLength(3);
  });

  it('refuses more sentinels than there are nodes to spread them on, and deploys nothing', async () => {
    p.writeConfig(`${CONFIG}    sentinels: 5\n    quorum: 3\n`);
    const r = await run(['up']);
    p.writeConfig(CONFIG);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/5 Sentinels need 5 different usable swarm nodes; the swarm has 3/);
    expect(r.err).toMatch(/services\.redis\.sentinels to 3 or fewer/);
    expect(leftovers()).toEqual([]);
  });

  it('deploys the stack: all healthy, sentinels on three nodes, Postgres on the labelled node; a second up changes nothing', async () => {
    const up = await runJson<UpJson>(['up']);
    const by = Object.fromEntries(up.services.map((s) => [s.service, s]));
    expect(up.services.every((s) => s.health.status === 'healthy')).toBe(true);
    expect(by['postgres']!.node).toBe(swarm.manager.name);
    expect(new Set(['sentinel-1', 'sentinel-2', 'sentinel-3'].map((s) => by[s]!.node)).size).toBe(3);
    expect(new Set(['redis-1', 'redis-2', 'redis-3'].map((s) => by[s]!.node)).size).toBe(3);
    // The first master avoids the Postgres node, so one node's loss never takes both primaries.
    expect(by['redis-1']!.node).not.toBe(swarm.manager.name);
    expect(by['redis-1']!.health.role).toBe('master');

    const again = await runJson<UpJson>(['up']);
    expect(again.changed).toBe(false);
    expect(again.services.map((s) => s.action)).toEqual(up.services.map(() => 'keep'));

    // Credentials are Swarm secrets: no value appears in any service spec.
    const secrets = JSON.parse(readFileSync(path.join(p.dir, '.baas/secrets.json'), 'utf8')) as Record<string, Record<string, string>>;
    const specs = swarm.docker(swarm.manager, ['service', 'inspect', ...up.services.map((s) => `baas-${p.name}-${s.service}`)]);
    for (const v of [secrets['postgres']!['superuserPassword']!, secrets['postgres']!['appPassword']!, ...Object.values(secrets['redis']!)]) expect(specs).not.toContain(v);
    // Redis's ACL users arrive as files; the scripts ask as the monitor user.
    expect(specs).toMatch(/"SecretName": "baas-[^"]*-redis-monitor-password-/);
    expect(specs).toMatch(/"SecretName": "baas-[^"]*-redis-2-file-users\.acl-/);
    expect(specs).toMatch(/"Mode": "dnsrr"/);
  });

  it('a changed setting updates only the service it touches', async () => {
    p.writeConfig(`${CONFIG}  postgres:\n    settings:\n      work_mem: 8MB\n`);
    const up = await runJson<UpJson>(['up']);
    const changed = up.services.filter((s) => s.action !== 'keep').map((s) => [s.service, s.action]);
    expect(changed).toEqual([['postgres', 'update']]);
    const health = await runJson<HealthJson>(['health']);
    expect(health.healthy).toBe(true);
  });

  it('a sentinel that follows another master than all its peers stops and comes back following theirs', async () => {
    const secrets = JSON.parse(readFileSync(path.join(p.dir, '.baas/secrets.json'), 'utf8')) as { redis: { password: string; sentinelPassword: string } };
    const ms = await sentinelWatchRejoins(swarm, p.name, run, { adminPassword: secrets.redis.password, sentinelPassword: secrets.redis.sentinelPassword, tls: false });
    console.log(`a sentinel on another master than its peers: stopped and restarted ${ms} ms after it diverged`);
  });

  it('survives losing the node that holds the Redis master: a replica is promoted, writes through the Sentinels go on, Postgres is untouched, status shows the lost node', async () => {
    const status = await runJson<StatusJson>(['status']);
    const secrets = JSON.parse(readFileSync(path.join(p.dir, '.baas/secrets.json'), 'utf8')) as { redis: { password: string }; postgres: { appPassword: string } };
    const client = await sentinelClient(status, secrets.redis.password);
    const before = await client.masterName();
    const lost = swarm.nodes.find((n) => n.name === status.services.find((s) => s.service === before)!.node)!;
    expect(lost).not.toBe(swarm.manager); // the manager must stay to answer status
    const pgNode = status.nodes.find((n) => n.hostname === swarm.manager.name)!;
    const pgPort = status.services.find((s) => s.service === 'postgres')!.ports[0]!.split('->')[0]!.split(':')[1];
    const pgUrl = `postgres://app:${encodeURIComponent(secrets.postgres.appPassword)}@${pgNode.addr}:${pgPort}/app`;

    try {
      const r = await writeThroughFailover(client, () => swarm.cutLink(lost), { writes: 30 });
      console.log(`failover across nodes: first write on the new master ${r.failoverMs} ms after the node was cut`);
      expect(r.failoverMs).toBeLessThan(20_000);
      expect(r.writesAfter).toBeGreaterThanOrEqual(30);
      expect(await client.masterName()).not.toBe(before);
    } finally {
      await client.close();
    }
    // Postgres lives on the labelled node, which stayed: it answers as before.
    expect(await pgQuery(pgUrl, 'select 1 as one')).toEqual([{ one: 1 }]);

    // The manager notices the node is gone after its heartbeats stop.
    let seen: StatusJson | undefined;
    for (let i = 0; i < 60; i++) {
      seen = await runJson<StatusJson>(['status']);
      if (seen.nodes.find((n) => n.hostname === lost.name)?.state === 'down') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(seen!.nodes.find((n) => n.hostname === lost.name)?.state).toBe('down');
    const human = await run(['status']);
    expect(human.out).toMatch(new RegExp(`Node\\(s\\) not ready: ${lost.name} \\(down\\)`));
  });

  it('brings the node back: the old master rejoins as a replica and everything is healthy again', async () => {
    const status = await runJson<StatusJson>(['status']);
    const lost = status.nodes.find((n) => n.state !== 'ready')!;
    swarm.restoreLink(swarm.nodes.find((n) => n.name === lost.hostname)!);
    const health = await healthyWithin90s(run);
    expect(health.healthy, JSON.stringify(health)).toBe(true);
    const onLost = health.services.filter((s) => s.node === lost.hostname && s.service.startsWith('redis-'));
    expect(onLost.map((s) => s.role)).toEqual(['replica']);
    expect(health.services.filter((s) => s.role === 'master')).toHaveLength(1);
  });

  it('down removes the stack from the swarm and keeps the data volumes on their nodes', async () => {
    const r = await runJson<{ services: string[]; keptVolumes: { node: string; volume: string }[] }>(['down']);
    expect(r.services).toHaveLength(7);
    expect(leftovers()).toEqual([]);
    expect(r.keptVolumes.map((v) => v.volume).sort()).toEqual(['postgres', 'redis-1', 'redis-2', 'redis-3'].map((s) => `baas-${p.name}-${s}-data`));
    const onManager = swarm.docker(swarm.manager, ['volume', 'ls', '-q', '--filter', `label=baas.project=${p.name}`]);
    expect(onManager).toContain(`baas-${p.name}-postgres-data`);
  });
});
