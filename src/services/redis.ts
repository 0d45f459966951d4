import path from 'node:path';
import type { Redis as RedisClient } from 'ioredis';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config } from '../config/schema.js';
import { messageOf } from '../errors.js';
import { redisIp, sentinelIp } from '../model/addresses.js';
import { poll } from '../wait.js';
import { baseDef, dataMount, imageFor, limits, restartPolicy, secretsMount } from './common.js';
import { SECRETS_DIR, syncSecretsScript } from '../security/files.js';
import { CREDENTIAL_FILES, nodeConf, nodeCredentialFiles, redisCredentials, sentinelConf, sentinelCredentialFiles, type RedisUser } from './redis-conf.js';
import type { ConnectionInfo, EngineDriver, HealthReport, PortChoice, ServiceDef, StackContext } from './types.js';

/**
 * Redis nodes load the config baas wrote (mounted read-only at /run/secrets, copied for the
 * redis user) through a small file of their own, which Sentinel may rewrite. BAAS_REPLICAOF
 * is the master at creation time; after a failover Sentinel reconfigures nodes.
 */
export const REDIS_START = `set -eu
${syncSecretsScript('redis')}
mkdir -p /data
chown redis:redis /data /etc/baas
{
  echo "include ${SECRETS_DIR}/redis.conf"
  if [ -n "\${BAAS_REPLICAOF:-}" ]; then echo "replicaof $BAAS_REPLICAOF 6379"; fi
} > /etc/baas/redis.conf
chown redis:redis /etc/baas/redis.conf
chmod 600 /etc/baas/redis.conf
exec setpriv --reuid=redis --regid=redis --init-groups redis-server /etc/baas/redis.conf`;

/** Sentinel rewrites its own file, so it is written only once per container: restarts keep what it learned. */
export const SENTINEL_START = `set -eu
${syncSecretsScript('redis')}
mkdir -p /var/lib/baas-sentinel
F=/var/lib/baas-sentinel/sentinel.conf
if [ ! -f "$F" ]; then
  cat ${SECRETS_DIR}/sentinel.conf ${SECRETS_DIR}/${CREDENTIAL_FILES.sentinelAuth} > "$F.new"
  mv "$F.new" "$F"
fi
chown -R redis:redis /var/lib/baas-sentinel
chmod 600 "$F"
exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$F" --sentinel`;

export { redisIp, sentinelIp };

export interface RedisPorts {
  nodes: number[];
  sentinels: number[];
}

/**
 * One master (redis-1 at first), the configured replicas and sentinels. `currentMasterIp` is
 * who is master now (after a failover it may not be redis-1); it is kept out of the config hash.
 */
export function redisDefs(ctx: StackContext, ports: RedisPorts, currentMasterIp?: string): ServiceDef[] {
  return [...redisNodeDefs(ctx, ports.nodes, currentMasterIp), ...sentinelDefs(ctx, ports.sentinels, currentMasterIp)];
}

const nodeNames = (config: Config): string[] => Array.from({ length: 1 + config.services.redis.replicas }, (_, i) => `redis-${i + 1}`);
const sentinelNames = (config: Config): string[] => Array.from({ length: config.services.redis.sentinels }, (_, i) => `sentinel-${i + 1}`);

/** The Redis nodes: redis-1 is the master at first, the others replicate it. */
export function redisNodeDefs(ctx: StackContext, ports: number[], currentMasterIp?: string): ServiceDef[] {
  const cfg = ctx.config.services.redis;
  const image = imageFor(ctx, 'redis');
  const nodeCount = 1 + cfg.replicas;
  const masterIp = currentMasterIp ?? redisIp(ctx.subnet, 1);
  const defs: ServiceDef[] = [];
  const server = ctx.config.profile === 'server';
  for (let i = 1; i <= nodeCount; i++) {
    const name = `redis-${i}`;
    const ip = redisIp(ctx.subnet, i);
    const hostPort = ports[i - 1]!;
    const b = baseDef(ctx, { name, kind: 'redis', group: 'redis', ip, port: 6379, hostPort });
    const data = dataMount(ctx, 'redis', name, '/data');
    const conf = nodeConf(cfg, { ip, tls: ctx.tls.enabled });
    const spec = {
      name: b.containerName,
      image,
      cmd: ['sh', '-c', REDIS_START],
      env: { BAAS_REPLICAOF: ip === masterIp ? '' : masterIp },
      labels: b.labels,
      network: ctx.network,
      ipv4: ip,
      hostname: name,
      ports: [{ container: 6379, host: hostPort, hostIp: ctx.bindAddress }],
      mounts: [data.mount, secretsMount(ctx, name)],
      restartPolicy: restartPolicy(ctx),
      ...limits(ctx, 'redis'),
    };
    // The initial role is part of the identity only through the topology, not the live master.
    const { env: _dynamic, ...stable } = spec;
    defs.push({
      ...b,
      spec,
      hashInput: { ...stable, conf, initialMaster: redisIp(ctx.subnet, 1) },
      dependsOn: [],
      secretFiles: { 'redis.conf': conf, ...nodeCredentialFiles(ctx.secrets.redis, server) },
      runAs: 'redis',
      ...(data.volume ? { volume: data.volume } : {}),
    });
  }
  return defs;
}

/** The sentinels, which monitor the master by its fixed address and start after the nodes. */
export function sentinelDefs(ctx: StackContext, ports: number[], currentMasterIp?: string): ServiceDef[] {
  const cfg = ctx.config.services.redis;
  const image = imageFor(ctx, 'redis');
  const masterIp = currentMasterIp ?? redisIp(ctx.subnet, 1);
  const nodes = nodeNames(ctx.config);
  const defs: ServiceDef[] = [];
  // Sentinels are told about each other and the replicas up front (fixed ids, fixed addresses),
  // so quorum is there at once instead of after rounds of hello messages.
  const myid = (i: number): string => createHash('sha1').update(`${ctx.project}/sentinel-${i}`).digest('hex');
  const replicaIps = nodes.map((_, i) => redisIp(ctx.subnet, i + 1)).filter((ip) => ip !== masterIp);
  const server = ctx.config.profile === 'server';
  for (let i = 1; i <= cfg.sentinels; i++) {
    const name = `sentinel-${i}`;
    const ip = sentinelIp(ctx.subnet, i);
    const hostPort = ports[i - 1]!;
    const b = baseDef(ctx, { name, kind: 'sentinel', group: 'redis', ip, port: 26379, hostPort });
    const known = [
      ...Array.from({ length: cfg.sentinels }, (_, k) => k + 1)
        .filter((k) => k !== i)
        .map((k) => `sentinel known-sentinel ${cfg.masterName} ${sentinelIp(ctx.subnet, k)} 26379 ${myid(k)}`),
      ...replicaIps.map((r) => `sentinel known-replica ${cfg.masterName} ${r} 6379`),
    ];
    const conf = sentinelConf(cfg, { ip, tls: ctx.tls.enabled, masterIp, myid: myid(i), known });
    const spec = {
      name: b.containerName,
      image,
      cmd: ['sh', '-c', SENTINEL_START],
      env: {},
      labels: b.labels,
      network: ctx.network,
      ipv4: ip,
      hostname: name,
      ports: [{ container: 26379, host: hostPort, hostIp: ctx.bindAddress }],
      mounts: [secretsMount(ctx, name)],
      restartPolicy: restartPolicy(ctx),
      memoryBytes: 64 * 1024 * 1024,
    };
    // The master it starts with (and so who is a replica) follows failovers: out of the hash.
    const stableConf = sentinelConf(cfg, { ip, tls: ctx.tls.enabled, masterIp: '-', myid: myid(i), known: [] });
    defs.push({
      ...b,
      spec,
      hashInput: { ...spec, conf: stableConf },
      dependsOn: nodes,
      secretFiles: { 'sentinel.conf': conf, ...sentinelCredentialFiles(cfg, ctx.secrets.redis, server) },
      runAs: 'redis',
    });
  }
  return defs;
}

/** Maps container addresses to published host ports, for clients outside the Docker network (ioredis natMap). */
export function natMap(defs: ServiceDef[], host: string): Record<string, { host: string; port: number }> {
  const map: Record<string, { host: string; port: number }> = {};
  for (const d of defs) if (d.kind === 'redis' || d.kind === 'sentinel') map[`${d.internal.ip}:${d.internal.port}`] = { host: d.publishedHost ?? host, port: d.hostPort };
  return map;
}

// ---- pure evaluation of what the servers answer (unit-tested) ----

export interface RoleReply {
  role: 'master' | 'slave' | 'sentinel';
  offset?: number;
  replicas?: { ip: string; port: number; offset: number }[];
  masterIp?: string;
  linkState?: string;
}

export function parseRole(reply: unknown[]): RoleReply {
  const role = String(reply[0]) as RoleReply['role'];
  if (role === 'master') {
    const replicas = ((reply[2] as unknown[][]) ?? []).map((r) => ({ ip: String(r[0]), port: Number(r[1]), offset: Number(r[2]) }));
    return { role, offset: Number(reply[1]), replicas };
  }
  if (role === 'slave') return { role, masterIp: String(reply[1]), linkState: String(reply[3]), offset: Number(reply[4]) };
  return { role };
}

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** A master is ready when every expected replica is attached and online. */
export function evaluateMaster(info: Record<string, string>, expectedReplicas: number): { ok: boolean; detail: string; replicas: { ip: string; state: string; lagBytes: number }[] } {
  const replicas: { ip: string; state: string; lagBytes: number }[] = [];
  const masterOffset = Number(info['master_repl_offset'] ?? 0);
  for (const [k, v] of Object.entries(info)) {
    if (!/^slave\d+$/.test(k)) continue;
    const f = Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string]));
    replicas.push({ ip: f['ip'] ?? '?', state: f['state'] ?? '?', lagBytes: Math.max(0, masterOffset - Number(f['offset'] ?? 0)) });
  }
  const online = replicas.filter((r) => r.state === 'online').length;
  const ok = info['role'] === 'master' && online >= expectedReplicas;
  return { ok, detail: `master with ${online}/${expectedReplicas} replica(s) online`, replicas };
}

export function evaluateReplica(info: Record<string, string>): { ok: boolean; detail: string } {
  if (info['role'] === 'master') return { ok: true, detail: 'master (promoted by Sentinel)' };
  const link = info['master_link_status'];
  const syncing = info['master_sync_in_progress'] === '1';
  return {
    ok: link === 'up' && !syncing,
    detail: `replica of ${info['master_host'] ?? '?'}, link ${link ?? '?'}${syncing ? ', syncing' : ''}`,
  };
}

/** What a sentinel says about its peers and the replicas (SENTINEL SENTINELS / REPLICAS), each as field/value pairs. */
export interface SentinelPeers {
  sentinels: Record<string, string>[];
  replicas: Record<string, string>[];
}

/** A peer or replica is up unless the sentinel flags it down or has no link to it. */
export const instanceUp = (i: Record<string, string>): boolean => !/(^|,)(s_down|o_down|disconnected)(,|$)/.test(i['flags'] ?? '');

/**
 * Ready when the quorum can be reached and the sentinel sees every peer and replica up. With
 * `peers` (the sentinel's own lists), counts only those up: a peer that stopped is still known
 * (num-other-sentinels) but flagged s_down, and must not count.
 */
export function evaluateSentinel(
  ckquorum: string | Error,
  master: Record<string, string>,
  expectedSentinels: number,
  expectedReplicas: number,
  peers?: SentinelPeers,
): { ok: boolean; detail: string; sentinelsUp: number; replicasUp: number } {
  const others = peers ? peers.sentinels.filter(instanceUp).length : Number(master['num-other-sentinels'] ?? 0);
  const replicas = peers ? peers.replicas.filter(instanceUp).length : Number(master['num-slaves'] ?? 0);
  const counts = { sentinelsUp: others + 1, replicasUp: replicas };
  if (ckquorum instanceof Error) return { ok: false, detail: `quorum not reachable: ${ckquorum.message}`, ...counts };
  // CKQUORUM notices stopped peers only after down-after-milliseconds; the peers' flags say it sooner.
  const quorum = Number(master['quorum'] ?? 0);
  if (peers && quorum > 0 && others + 1 < quorum) {
    const down = peers.sentinels.filter((p) => !instanceUp(p)).map((p) => `sentinel ${p['ip']}`);
    return { ok: false, detail: `quorum lost: ${others + 1} of ${expectedSentinels} Sentinels up, ${quorum} needed for a failover${down.length ? ` (down: ${down.join(', ')})` : ''}`, ...counts };
  }
  const flags = master['flags'] ?? '';
  const ok = /^OK/.test(ckquorum) && others >= expectedSentinels - 1 && replicas >= expectedReplicas && !/o?_?down/.test(flags);
  const down = peers ? [...peers.sentinels.filter((p) => !instanceUp(p)).map((p) => `sentinel ${p['ip']}`), ...peers.replicas.filter((r) => !instanceUp(r)).map((r) => `replica ${r['ip']}`)] : [];
  return {
    ok,
    detail: `master ${master['ip']}:${master['port']}, sees ${others + 1}/${expectedSentinels} sentinels and ${replicas}/${expectedReplicas} replicas up${down.length ? ` (down: ${down.join(', ')})` : ''}`,
    ...counts,
  };
}

/**
 * Whether every other sentinel has had a ping answered by `restarted` since `since` (ms, this
 * clock). Until then a peer still waits on a ping the old process never answered, and about
 * down-after-milliseconds after the restart flags the sentinel s_down for a moment although it
 * is back. Undefined once all have; otherwise which peer has not, in words.
 */
export async function sentinelPeersCaughtUp(ctx: StackContext, sentinels: ServiceDef[], restarted: ServiceDef, since: number): Promise<string | undefined> {
  const masterName = ctx.config.services.redis.masterName;
  for (const peer of sentinels.filter((d) => d.name !== restarted.name)) {
    const client = await redisClient(ctx.probeHost, peer.hostPort, redisAccess(ctx, 'monitor'));
    try {
      const asked = Date.now();
      const rows = ((await client.call('SENTINEL', 'SENTINELS', masterName)) as unknown[][]).map((r) => pairsToObject(r));
      const entry = rows.find((r) => r['ip'] === restarted.internal.ip);
      if (!entry) return `${peer.name} does not list ${restarted.name} yet`;
      const answeredAt = asked - Number(entry['last-ok-ping-reply'] ?? Infinity);
      if (!instanceUp(entry) || !(answeredAt > since)) return `${peer.name} has not heard from ${restarted.name} since its restart`;
    } finally {
      closeRedis(client);
    }
  }
  return undefined;
}

export function pairsToObject(reply: unknown[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) o[String(reply[i])] = String(reply[i + 1]);
  return o;
}

// ---- live probes ----

/**
 * Closes a client at once. ioredis' disconnect() only half-closes the socket, and through
 * docker-proxy the other half can take seconds, keeping the process alive after its work is done.
 */
export function closeRedis(client: RedisClient | undefined): void {
  if (!client) return;
  client.disconnect();
  // While still connecting, the socket lives on the connector, not yet on the client.
  const c = client as unknown as { stream?: { destroy(): void }; connector?: { stream?: { destroy(): void } } };
  c.stream?.destroy();
  c.connector?.stream?.destroy();
}

/** How baas logs in to a node or Sentinel: an ACL user, and TLS options when the stack uses TLS. */
export interface RedisAccess {
  username: string;
  password: string;
  /** node:tls options (the CA to verify the chain against); undefined without TLS. */
  tls?: ConnectionOptions;
}

const caCache = new Map<string, string>();
/** The CA the stack's certificates chain to, as ioredis' `tls` option wants it. */
export function redisTlsOptions(ctx: Pick<StackContext, 'tls'>): ConnectionOptions | undefined {
  if (!ctx.tls.enabled) return undefined;
  let ca = caCache.get(ctx.tls.caFile);
  if (ca === undefined) {
    ca = readFileSync(ctx.tls.caFile, 'utf8');
    caCache.set(ctx.tls.caFile, ca);
  }
  return { ca };
}

/** The narrowest user for the job: `monitor` for health and views, `admin` to reconfigure, `app` for data. */
export function redisAccess(ctx: Pick<StackContext, 'tls' | 'secrets'>, user: RedisUser): RedisAccess {
  const tls = redisTlsOptions(ctx);
  return { ...redisLogin(ctx, user), ...(tls ? { tls } : {}) };
}

/** The user and password alone (no file is read). */
export function redisLogin(ctx: Pick<StackContext, 'secrets'>, user: RedisUser): { username: string; password: string } {
  return redisCredentials(ctx.secrets.redis, user);
}

export async function redisClient(host: string, port: number, access: RedisAccess): Promise<RedisClient> {
  const { Redis } = await import('ioredis');
  const client = new Redis({
    host,
    port,
    username: access.username,
    password: access.password,
    ...(access.tls ? { tls: access.tls } : {}),
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (e: Error) => void (lastError = e));
  try {
    await client.connect();
  } catch (e) {
    closeRedis(client); // a failed connect can leave its socket open
    // A refused AUTH or a failed TLS verification surfaces as an 'error' event; the connect only says "Connection is closed".
    throw lastError ?? e;
  }
  return client;
}

export async function redisHealth(ctx: StackContext, def: ServiceDef, host = ctx.probeHost): Promise<HealthReport> {
  const cfg = ctx.config.services.redis;
  const started = Date.now();
  let client: RedisClient | undefined;
  try {
    client = await redisClient(host, def.hostPort, redisAccess(ctx, 'monitor'));
    if (def.kind === 'sentinel') {
      const ck = await client.call('SENTINEL', 'CKQUORUM', cfg.masterName).then(String, (e: Error) => e);
      const master = pairsToObject((await client.call('SENTINEL', 'MASTER', cfg.masterName)) as unknown[]);
      const list = async (what: 'SENTINELS' | 'REPLICAS'): Promise<Record<string, string>[]> =>
        ((await client!.call('SENTINEL', what, cfg.masterName)) as unknown[][]).map((r) => pairsToObject(r));
      const peers: SentinelPeers = { sentinels: await list('SENTINELS'), replicas: await list('REPLICAS') };
      const ev = evaluateSentinel(ck, master, cfg.sentinels, cfg.replicas, peers);
      return {
        service: def.name,
        kind: 'sentinel',
        status: ev.ok ? 'healthy' : 'starting',
        latencyMs: Date.now() - started,
        role: 'sentinel',
        detail: ev.detail,
        details: {
          master: `${master['ip']}:${master['port']}`,
          quorum: typeof ck === 'string' ? ck : ck.message,
          sentinels: ev.sentinelsUp,
          replicas: ev.replicasUp,
          known: { sentinels: Number(master['num-other-sentinels'] ?? 0) + 1, replicas: Number(master['num-slaves'] ?? 0) },
          flags: master['flags'],
        },
      };
    }
    await client.ping();
    const info = parseInfo(await client.info('replication'));
    if (info['role'] === 'master') {
      const ev = evaluateMaster(info, cfg.replicas);
      return { service: def.name, kind: 'redis', status: ev.ok ? 'healthy' : 'starting', latencyMs: Date.now() - started, role: 'master', detail: ev.detail, details: { replicas: ev.replicas, offset: Number(info['master_repl_offset'] ?? 0) } };
    }
    const ev = evaluateReplica(info);
    return { service: def.name, kind: 'redis', status: ev.ok ? 'healthy' : 'starting', latencyMs: Date.now() - started, role: 'replica', detail: ev.detail, details: { master: info['master_host'], link: info['master_link_status'], lastIoSecondsAgo: Number(info['master_last_io_seconds_ago'] ?? -1) } };
  } catch (e) {
    return { service: def.name, kind: def.kind, status: 'unhealthy', detail: e instanceof Error ? e.message : String(e) };
  } finally {
    closeRedis(client);
  }
}

/** Asks the sentinels (then the nodes) who the master is now; undefined when nothing answers. */
export async function currentMaster(ctx: StackContext, defs: ServiceDef[], host: string): Promise<string | undefined> {
  const cfg = ctx.config.services.redis;
  for (const d of defs.filter((x) => x.kind === 'sentinel')) {
    let c: RedisClient | undefined;
    try {
      c = await redisClient(host, d.hostPort, redisAccess(ctx, 'monitor'));
      const r = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', cfg.masterName)) as string[] | null;
      if (r?.[0]) return r[0];
    } catch {
      /* try the next one */
    } finally {
      closeRedis(c);
    }
  }
  for (const d of defs.filter((x) => x.kind === 'redis')) {
    let c: RedisClient | undefined;
    try {
      c = await redisClient(host, d.hostPort, redisAccess(ctx, 'monitor'));
      const info = parseInfo(await c.info('replication'));
      if (info['role'] === 'master' && Number(info['connected_slaves'] ?? 0) > 0) return d.internal.ip;
    } catch {
      /* not running */
    } finally {
      closeRedis(c);
    }
  }
  return undefined;
}

/** Makes a node follow the live master now, instead of waiting for Sentinel's next round (up to 10 s). */
export async function rejoinAsReplica(ctx: StackContext, def: ServiceDef, masterIp: string): Promise<void> {
  const client = await redisClient(ctx.probeHost, def.hostPort, redisAccess(ctx, 'admin'));
  try {
    await client.call('REPLICAOF', masterIp, '6379');
  } finally {
    closeRedis(client);
  }
}

/**
 * ioredis settings that follow a failover within about 100 ms: ask the Sentinels again almost
 * at once instead of ioredis' growing back-off, reconnect quickly, treat READONLY (a demoted
 * master) as a reason to reconnect, and listen for +switch-master (failoverDetector).
 * `baas env` prints them as a snippet; baas's own long-lived clients use them.
 */
export const FAILOVER_CLIENT_SETTINGS = {
  sentinelRetryStrategy: 'attempt => Math.min(attempt * 20, 200)',
  retryStrategy: 'attempt => Math.min(attempt * 20, 200)',
  reconnectOnError: "err => /READONLY|NOREPLICAS|LOADING/.test(err.message) ? 2 : false",
  failoverDetector: true,
  enableAutoPipelining: false,
} as const;

/**
 * The two ioredis 5 races `keepFollowing` repairs in baas's own clients, as lines an app can
 * paste (`baas env` prints them; the README explains them).
 */
export const IOREDIS_WORKAROUNDS = [
  "ioredis 5 can end such a client for good when +switch-master arrives mid-reconnect: add client.on('end', () => setTimeout(() => client.status === 'end' && client.connect().catch(() => {}), 10)) unless you closed it yourself.",
  "With enableReadyCheck: false, a connection that closed during its first commands can stay 'ready' and refuse every command ('Stream isn't writeable'): add client.on('ready', () => { if (!client.stream?.destroyed) return; if (client.reconnectTimeout) client.status = 'reconnecting'; else { client.status = 'close'; client.connect().catch(() => {}); } }).",
] as const;

export const fastRetry = (attempt: number): number => Math.min(attempt * 20, 200);
export const reconnectOnRoleError = (err: Error): false | 2 => (/READONLY|NOREPLICAS|LOADING/.test(err.message) ? 2 : false);

/** Connection settings of the Redis section: the app user, the sentinels (to follow failovers), TLS and the NAT map for host clients. */
export function redisConnection(ctx: StackContext, defs: ServiceDef[], host: string): ConnectionInfo {
  const cfg = ctx.config.services.redis;
  const { username, password } = redisLogin(ctx, 'app');
  const redis = defs.filter((d) => d.kind === 'redis' || d.kind === 'sentinel');
  const sentinels = redis.filter((d) => d.kind === 'sentinel').map((d) => `${d.publishedHost ?? host}:${d.hostPort}`);
  // redis-1 is the initial master; another node when redis-1 is left out (not running on a cluster).
  const first = redis.find((d) => d.name === 'redis-1') ?? redis.find((d) => d.kind === 'redis')!;
  const cluster = redis.some((d) => d.publishedHost !== undefined);
  const tls = ctx.tls.enabled;
  const env: Record<string, string> = {
    REDIS_USERNAME: username,
    REDIS_PASSWORD: password,
    REDIS_MASTER_NAME: cfg.masterName,
    REDIS_URL: `${tls ? 'rediss' : 'redis'}://${username}:${encodeURIComponent(password)}@${first.publishedHost ?? host}:${first.hostPort}/0`,
  };
  if (tls) env['REDIS_CA_FILE'] = ctx.tls.caFile;
  if (sentinels.length > 0) {
    env['REDIS_SENTINELS'] = sentinels.join(',');
    // Exactly what ioredis' `natMap` option takes: JSON.parse(REDIS_NAT_MAP) and pass it on.
    env['REDIS_NAT_MAP'] = JSON.stringify(natMap(redis, host));
  }
  const tlsOpts = tls ? ' tls: { ca }, sentinelTLS: { ca }, enableTLSForSentinelMode: true,' : '';
  return {
    service: 'redis',
    env,
    secretKeys: ['REDIS_PASSWORD', 'REDIS_URL'],
    urlKey: 'REDIS_URL',
    notes: [
      `REDIS_USERNAME '${username}' may run data commands only (no admin or dangerous ones such as CONFIG, KEYS, FLUSHALL).`,
      ...(tls ? [`TLS only: verify the chain with REDIS_CA_FILE (redis-cli --tls --cacert "$REDIS_CA_FILE").`] : []),
      ...(sentinels.length > 0
        ? [
            'Connect through the sentinels (REDIS_SENTINELS, REDIS_MASTER_NAME) to follow failovers; the sentinels take the same user and password.',
            cluster
              ? "Sentinels answer with the nodes' names on the overlay network (redis-2:6379): pass JSON.parse(REDIS_NAT_MAP) as ioredis natMap; it maps each to its swarm node's address and published port."
              : 'From the host, sentinels answer with container addresses: pass JSON.parse(REDIS_NAT_MAP) as ioredis natMap.',
            `ioredis, following a failover within ~100 ms: new Redis({ sentinels, name: REDIS_MASTER_NAME, username, password, sentinelUsername: username, sentinelPassword: password, natMap, updateSentinels: false,${tlsOpts} enableReadyCheck: false, failoverDetector: true, sentinelRetryStrategy: ${FAILOVER_CLIENT_SETTINGS.sentinelRetryStrategy}, retryStrategy: ${FAILOVER_CLIENT_SETTINGS.retryStrategy}, reconnectOnError: ${FAILOVER_CLIENT_SETTINGS.reconnectOnError} })`,
            ...IOREDIS_WORKAROUNDS,
            'Writes that must survive a failover: follow them with WAIT 1 <ms> and treat a reply of 0 as not durable.',
            `REDIS_URL points at ${first.name}${first.name === 'redis-1' ? ', the initial master' : ''}: fine for quick checks, not for failover.`,
          ]
        : []),
    ],
  };
}

const redisPorts = (config: Config, names: string[], configured: number | 'auto', key: string): PortChoice[] =>
  config.services.redis.enabled ? names.map((service, i) => ({ service, configured, offset: i, key })) : [];

/** Redis nodes: ready when the master sees every replica online, or a replica's link is up. */
export const redisDriver: EngineDriver = {
  kind: 'redis',
  group: 'redis',
  ports: (config) => redisPorts(config, nodeNames(config), config.services.redis.port, 'services.redis.port'),
  defs: (ctx, port, live) => redisNodeDefs(ctx, nodeNames(ctx.config).map(port), live.masterIp),
  // Each node has its own subdirectory <data>/redis-N (see dataMount).
  ownedData: (source) => ({ dir: path.dirname(source), entries: [path.basename(source)] }),
  readiness(def, env) {
    const { ctx, liveMasterIp } = env;
    return poll<HealthReport>(
      def.name,
      async () => {
        const h = await redisHealth(ctx, def);
        // A node that was down during a failover comes back as a master (or following the old one): point it at the live one.
        const follows = h.role === 'replica' ? String(h.details?.['master'] ?? '') : undefined;
        if (liveMasterIp && liveMasterIp !== def.internal.ip && (h.role === 'master' || (follows !== undefined && follows !== liveMasterIp))) {
          await rejoinAsReplica(ctx, def, liveMasterIp).catch((e: unknown) => {
            throw new Error(`could not re-point ${def.name} at the live master ${liveMasterIp}: ${messageOf(e)}`);
          });
          return { ok: false, detail: `re-pointed at the live master ${liveMasterIp}` };
        }
        if (h.status !== 'healthy') await env.assertRunning(new Error(h.detail));
        return { ok: h.status === 'healthy', detail: h.detail, value: h };
      },
      { intervalMs: 200 },
    );
  },
  health: (ctx, def) => redisHealth(ctx, def),
  connection: redisConnection,
};

/** Sentinels: ready when the quorum can be reached and every peer and replica is up in their view. */
export const sentinelDriver: EngineDriver = {
  kind: 'sentinel',
  group: 'redis',
  ports: (config) => redisPorts(config, sentinelNames(config), config.services.redis.sentinelPort, 'services.redis.sentinelPort'),
  defs: (ctx, port, live) => sentinelDefs(ctx, sentinelNames(ctx.config).map(port), live.masterIp),
  readiness(def, env) {
    return poll<HealthReport>(
      def.name,
      async () => {
        const h = await redisHealth(env.ctx, def);
        if (h.status !== 'healthy') await env.assertRunning(new Error(h.detail));
        return { ok: h.status === 'healthy', detail: h.detail, value: h };
      },
      { intervalMs: 200 },
    );
  },
  health: (ctx, def) => redisHealth(ctx, def),
};

/**
 * ioredis options for a client that follows the master through the Sentinels: the given ACL
 * user on nodes and Sentinels, TLS when on, the NAT map for host clients, and the fast
 * reconnect settings baas recommends (FAILOVER_CLIENT_SETTINGS).
 */
export function sentinelClientOptions(ctx: StackContext, defs: ServiceDef[], host: string, user: RedisUser): import('ioredis').RedisOptions {
  const access = redisAccess(ctx, user);
  const sentinels = defs.filter((d) => d.kind === 'sentinel').map((d) => ({ host: d.publishedHost ?? host, port: d.hostPort }));
  return {
    sentinels,
    name: ctx.config.services.redis.masterName,
    username: access.username,
    password: access.password,
    sentinelUsername: access.username,
    sentinelPassword: access.password,
    natMap: natMap(defs, host),
    ...(access.tls ? { tls: access.tls, sentinelTLS: access.tls, enableTLSForSentinelMode: true } : {}),
    failoverDetector: true,
    // Host clients reach Sentinels through their published ports only (not the addresses they announce).
    updateSentinels: false,
    sentinelRetryStrategy: fastRetry,
    retryStrategy: fastRetry,
    reconnectOnError: reconnectOnRoleError,
    enableReadyCheck: false,
    connectTimeout: 1000,
    sentinelMaxConnections: 10,
  };
}

/**
 * ioredis gives the Sentinel connections of its failover detector no 'error' listener, so a
 * Sentinel that is down prints "[ioredis] Unhandled error event" on stderr. baas's own clients
 * listen on every Sentinel connection the connector makes (the errors are handled by its
 * reconnect logic anyway).
 */
export function quietSentinelErrors(client: RedisClient): void {
  const connector = (client as unknown as { connector?: { connectToSentinel?: (...a: unknown[]) => { on(e: string, f: () => void): void } } }).connector;
  const original = connector?.connectToSentinel;
  if (!connector || !original) return;
  connector.connectToSentinel = (...args: unknown[]) => {
    const c = original.apply(connector, args);
    c.on('error', () => {});
    return c;
  };
}

/** Exported for tests: a client marked 'ready' on a stream that is already closed. */
export function repairDeadReady(client: RedisClient): boolean {
  const c = client as unknown as { status: string; stream?: { destroyed?: boolean; writable?: boolean }; reconnectTimeout?: unknown; connect(): Promise<void> };
  if (c.status !== 'ready' || !c.stream || (!c.stream.destroyed && c.stream.writable !== false)) return false;
  if (c.reconnectTimeout) {
    c.status = 'reconnecting';
  } else {
    c.status = 'close';
    c.connect().catch(() => {});
  }
  return true;
}

/**
 * Two ways ioredis (5.x) stops following a failover, both repaired here:
 * - it ends a Sentinel client for good when its failover detector sees +switch-master while
 *   the client is still reconnecting (the detector closes the connector mid-connect, and the
 *   connect fails with "Connection is closed"): the client reconnects;
 * - with `enableReadyCheck: false` it marks a connection 'ready' after the connection's first
 *   commands settle, even when the connection closed meanwhile (a killed master's published
 *   port accepts, then closes: EPIPE). The reconnect it already scheduled then refuses to run
 *   ("already connected") and every command fails with "Stream isn't writeable" for good. A
 *   'ready' on a closed stream is put back to 'reconnecting', so the scheduled reconnect runs.
 * `stop()` is how its owner ends it.
 */
export function keepFollowing(client: RedisClient): { stop(): void } {
  let stopped = false;
  client.on('end', () => {
    if (stopped) return;
    setTimeout(() => {
      if (!stopped && client.status === 'end') client.connect().catch(() => {});
    }, 10);
  });
  client.on('ready', () => repairDeadReady(client));
  return {
    stop() {
      stopped = true;
    },
  };
}
