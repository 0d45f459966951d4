import type { Redis as RedisClient } from 'ioredis';

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
