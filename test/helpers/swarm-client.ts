import { spawnSync } from 'node:child_process';
import type { Redis as RedisClient } from 'ioredis';
import { expect } from 'vitest';
import { CONTAINER_TLS } from '../../src/services/redis-conf.js';
import type { SwarmFixture } from './swarm-fixture.js';
import { healthyWithin90s, type SwarmHealthJson, type SwarmStatusJson } from './swarm-json.js';

/** What the helpers need from `baas status --target swarm --json`. */
export interface SwarmStatusView {
  nodes: { hostname: string; addr: string }[];
  services: { service: string; kind: string; node: string; ports: string[] }[];
}

export interface SentinelClient {
  redis: RedisClient;
  masterName(): Promise<string>;
  close(): Promise<void>;
}

const published = (ports: string[]): number => Number(ports[0]?.split('->')[0]?.split(':').pop());

/**
 * An application's client of the swarm stack from outside it: it asks the Sentinels (on the
 * nodes' published ports) for the master and maps the names they answer (redis-2:6379) to the
 * node address and port that reach it. `failoverDetector` makes it follow +switch-master at once.
 */
export async function sentinelClient(status: SwarmStatusView, password: string, o: { ca?: string; username?: string } = {}): Promise<SentinelClient> {
  // An ACL user logs in to the Sentinels and the nodes alike; without one, the `default` user.
  const username = o.username ? { username: o.username } : {};
  // With TLS the client verifies the chain against the stack's CA, to the Sentinels and the nodes alike.
  const tls = o.ca ? { tls: { ca: o.ca }, sentinelTLS: { ca: o.ca }, enableTLSForSentinelMode: true } : {};
  const { Redis } = await import('ioredis');
  const addr = new Map(status.nodes.map((n) => [n.hostname, n.addr]));
  const natMap: Record<string, { host: string; port: number }> = {};
  const sentinels: { host: string; port: number }[] = [];
  for (const s of status.services) {
    const host = addr.get(s.node);
    if (!host || s.ports.length === 0) continue;
    if (s.kind === 'redis') natMap[`${s.service}:6379`] = { host, port: published(s.ports) };
    if (s.kind === 'sentinel') sentinels.push({ host, port: published(s.ports) });
  }
  const redis = new Redis({
    sentinels,
    name: 'baas',
    ...username,
    password,
    ...(o.username ? { sentinelUsername: o.username } : {}),
    sentinelPassword: password,
    natMap,
    ...tls,
    updateSentinels: false,
    failoverDetector: true,
    // The app user may not run INFO (ioredis' ready check), as the README's client settings say.
    enableReadyCheck: false,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
    sentinelRetryStrategy: () => 200,
    retryStrategy: () => 200,
  });
  redis.on('error', () => {});
  return {
    redis,
    async masterName() {
      for (const s of sentinels) {
        const c = new Redis({ ...s, ...username, password, ...(o.ca ? { tls: { ca: o.ca } } : {}), lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on('error', () => {});
        try {
          await c.connect();
          const r = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'baas')) as string[] | null;
          if (r?.[0]) return r[0];
        } catch {
          /* the next sentinel */
        } finally {
          c.disconnect();
        }
      }
      throw new Error('no sentinel answered');
    },
    async close() {
      redis.disconnect();
    },
  };
}

/**
 * Writes every 100 ms; after a few writes runs `cut` (losing the master's node), then keeps
 * writing until `writes` more have succeeded. failoverMs: from the cut to the first successful
 * write (on the new master).
 */
export async function writeThroughFailover(client: SentinelClient, cut: () => void, o: { writes: number; timeoutMs?: number }): Promise<{ failoverMs: number; writesAfter: number; failures: number }> {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let cutAt = 0;
  let firstAfter = 0;
  let before = 0;
  let after = 0;
  let failures = 0;
  for (let i = 0; Date.now() < deadline; i++) {
    if (before >= 5 && !cutAt) {
      cut();
      cutAt = Date.now();
    }
    try {
      await client.redis.set('baas:failover', String(i));
      if (!cutAt) before++;
      else {
        if (!firstAfter) firstAfter = Date.now();
        after++;
        if (after >= o.writes) break;
      }
    } catch {
      if (cutAt) failures++;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!firstAfter) throw new Error(`no write succeeded within ${o.timeoutMs ?? 60_000} ms after the cut (${failures} failures)`);
  return { failoverMs: firstAfter - cutAt, writesAfter: after, failures };
}

/**
 * Leaves sentinel-2 following another master than its peers, the state Sentinel 7.0 can be left
 * in after a failover whose new master's name did not resolve yet (it keeps the old master and
 * ignores its peers' later announcements of that epoch), and checks that the watch in its start
 * script gets it back. The state is made on purpose: as admin inside its container, sentinel-2 is
 * told to monitor a replica. Before any failover the epochs are all 0, so the peers' announcements
 * do not move it back. Then: Swarm starts a new task for it (within 90 s), the old task's stderr
 * says why it stopped, and the stack is healthy again with the same master. Returns the ms from
 * the change to the new task.
 */
export async function sentinelWatchRejoins(
  swarm: SwarmFixture,
  project: string,
  run: (argv: string[]) => Promise<{ out: string }>,
  o: { adminPassword: string; sentinelPassword: string; tls: boolean },
): Promise<number> {
  const json = async <T>(argv: string[]): Promise<T> => JSON.parse((await run([...argv, '--json'])).out) as T;
  const health = await json<SwarmHealthJson>(['health']);
  const status = await json<SwarmStatusJson>(['status']);
  const master = health.services.find((s) => s.role === 'master')!.service;
  const replica = health.services.find((s) => s.role === 'replica')!.service;
  const node = swarm.nodes.find((n) => n.name === status.services.find((s) => s.service === 'sentinel-2')!.node)!;
  const task = (): string => swarm.docker(node, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=baas-${project}-sentinel-2`]).trim();
  const container = task();
  const tls = o.tls ? ['--tls', '--cacert', CONTAINER_TLS.ca] : [];
  const cli = (...args: string[]): string =>
    swarm.docker(node, ['exec', '-e', `REDISCLI_AUTH=${o.adminPassword}`, container, 'redis-cli', '--no-auth-warning', '--user', 'admin', ...tls, '-p', '26379', ...args]).trim();
  const masterOf = (): string => cli('SENTINEL', 'get-master-addr-by-name', 'baas').split('\n')[0]!;
  expect(masterOf()).toBe(master);
  cli('SENTINEL', 'REMOVE', 'baas');
  cli('SENTINEL', 'MONITOR', 'baas', replica, '6379', '2');
  cli('SENTINEL', 'SET', 'baas', 'auth-user', 'sentinel', 'auth-pass', o.sentinelPassword);
  expect(masterOf()).toBe(replica);
  const t0 = Date.now();
  let next = container;
  while (next === container && Date.now() - t0 < 90_000) {
    await new Promise((r) => setTimeout(r, 1000));
    next = task() || container;
  }
  const ms = Date.now() - t0;
  expect(next, 'a new sentinel-2 task within 90 s').not.toBe(container);
  // `docker logs` keeps the container's stderr apart: the watch writes there.
  const stderr = spawnSync('docker', ['-H', node.dockerHost, 'logs', container], { encoding: 'utf8' }).stderr;
  expect(stderr).toContain(`sentinel-2 follows ${replica} but every other sentinel follows ${master}; stopping it so that it restarts and rejoins them`);
  const again = await healthyWithin90s(run);
  expect(again.healthy, JSON.stringify(again)).toBe(true);
  expect(again.services.find((s) => s.role === 'master')!.service).toBe(master);
  return ms;
}
