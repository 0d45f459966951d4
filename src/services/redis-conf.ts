import type { RedisConfig } from '../config/schema.js';
import type { Secrets } from '../model/secrets.js';
import { SECRETS_DIR } from '../security/files.js';

/**
 * The Redis and Sentinel configuration files baas writes (pure, unit-tested). Redis has no
 * *_FILE environment variables, so passwords live in files: the nodes load `auth.conf` with
 * `include` and their users with `aclfile`; the Sentinels get theirs appended to the config
 * file they own and rewrite (passwords are rewritten as hashes).
 */

/** ACL users: who may do what. `default` is off in the server profile. */
export const REDIS_USERS = {
  admin: 'admin',
  app: 'app',
  replication: 'replication',
  sentinel: 'sentinel',
  monitor: 'monitor',
} as const;
export type RedisUser = keyof typeof REDIS_USERS;

/** What the monitor user may run on a node: health (PING, INFO, ROLE) and the dashboard's read-only views. */
export const MONITOR_NODE_COMMANDS = ['ping', 'info', 'role', 'hello', 'client|setname', 'dbsize', 'slowlog|get', 'latency|latest', 'scan', 'object|freq', 'config|get', 'monitor'];
/** What Sentinel needs on a node (from the Redis Sentinel documentation). */
export const SENTINEL_NODE_COMMANDS = ['multi', 'slaveof', 'replicaof', 'ping', 'exec', 'subscribe', 'config|rewrite', 'role', 'publish', 'info', 'client|setname', 'client|kill', 'script|kill'];
/** What an application needs from a Sentinel to find the master and follow failovers (ioredis). */
export const APP_SENTINEL_COMMANDS = ['ping', 'hello', 'client|setname', 'client|getname', 'sentinel|get-master-addr-by-name', 'sentinel|sentinels', 'sentinel|replicas', 'sentinel|slaves', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'];
/** Health and the dashboard on a Sentinel. */
export const MONITOR_SENTINEL_COMMANDS = ['ping', 'hello', 'client|setname', 'info', 'role', 'sentinel|ckquorum', 'sentinel|master', 'sentinel|masters', 'sentinel|get-master-addr-by-name', 'sentinel|sentinels', 'sentinel|replicas', 'sentinel|slaves', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'];

const allow = (cmds: string[]): string => cmds.map((c) => `+${c}`).join(' ');

/** The node's users (an ACL file: one `user` line each). */
export function nodeAcl(secrets: Secrets['redis'], server: boolean): string {
  return `${[
    server ? 'user default off resetchannels -@all' : `user default on >${secrets.password} ~* &* +@all`,
    `user ${REDIS_USERS.admin} on >${secrets.password} ~* &* +@all`,
    `user ${REDIS_USERS.app} on >${secrets.appPassword} ~* &* +@all -@admin -@dangerous`,
    `user ${REDIS_USERS.replication} on >${secrets.replicationPassword} resetchannels -@all +psync +replconf +ping`,
    `user ${REDIS_USERS.sentinel} on >${secrets.sentinelPassword} allchannels -@all ${allow(SENTINEL_NODE_COMMANDS)}`,
    `user ${REDIS_USERS.monitor} on >${secrets.monitorPassword} ~* resetchannels -@all ${allow(MONITOR_NODE_COMMANDS)}`,
  ].join('\n')}\n`;
}

export interface TlsPaths {
  cert: string;
  key: string;
  ca: string;
}

export const CONTAINER_TLS: TlsPaths = { cert: `${SECRETS_DIR}/server.crt`, key: `${SECRETS_DIR}/server.key`, ca: `${SECRETS_DIR}/ca.crt` };

/** TLS-only listening (plaintext port 0) and TLS for outgoing links (replication; Sentinel's links to nodes and peers). */
export function tlsLines(port: number, tls: boolean): string[] {
  if (!tls) return [`port ${port}`];
  return [
    'port 0',
    `tls-port ${port}`,
    `tls-cert-file ${CONTAINER_TLS.cert}`,
    `tls-key-file ${CONTAINER_TLS.key}`,
    `tls-ca-cert-file ${CONTAINER_TLS.ca}`,
    // Clients prove who they are with ACL passwords, not certificates.
    'tls-auth-clients no',
    'tls-replication yes',
  ];
}

/** A node's main settings (no secrets: they are in auth.conf and users.acl). */
export function nodeConf(cfg: RedisConfig, args: { ip: string; tls: boolean }): string {
  return `${[
    'bind 0.0.0.0',
    ...tlsLines(6379, args.tls),
    'protected-mode no',
    'dir /data',
    'appendonly yes',
    `appendfsync ${cfg.appendfsync}`,
    `maxmemory ${cfg.maxmemory}`,
    `maxmemory-policy ${cfg.maxmemoryPolicy}`,
    'latency-monitor-threshold 25',
    'repl-diskless-sync-delay 0',
    `replica-announce-ip ${args.ip}`,
    `min-replicas-to-write ${cfg.minReplicasToWrite ?? 0}`,
    `min-replicas-max-lag ${cfg.minReplicasMaxLag ?? 10}`,
    ...nodeCredentialLines(),
  ].join('\n')}\n`;
}

/**
 * The files that carry users and passwords, on every target: one host bind-mounts them at
 * /run/secrets, Swarm delivers them as secrets, Kubernetes from the Secret `baas-credentials`;
 * the start scripts copy them to SECRETS_DIR for the redis user.
 */
export const CREDENTIAL_FILES = { nodeAcl: 'users.acl', nodeAuth: 'auth.conf', sentinelAuth: 'sentinel-auth.conf' } as const;

/** How a node loads its replication login (`masteruser`) and its ACL users. */
export const nodeCredentialLines = (): string[] => [`include ${SECRETS_DIR}/${CREDENTIAL_FILES.nodeAuth}`, `aclfile ${SECRETS_DIR}/${CREDENTIAL_FILES.nodeAcl}`];

/** A node's credential files (file name → content). */
export function nodeCredentialFiles(secrets: Secrets['redis'], server: boolean): Record<string, string> {
  return { [CREDENTIAL_FILES.nodeAuth]: nodeAuthConf(secrets), [CREDENTIAL_FILES.nodeAcl]: nodeAcl(secrets, server) };
}

/** A Sentinel's credential file (file name → content): appended to its config after `sentinel monitor`. */
export function sentinelCredentialFiles(cfg: RedisConfig, secrets: Secrets['redis'], server: boolean): Record<string, string> {
  return { [CREDENTIAL_FILES.sentinelAuth]: sentinelAuthConf(cfg, secrets, server) };
}

/** How a replica authenticates to its master. */
export function nodeAuthConf(secrets: Secrets['redis']): string {
  return `masteruser ${REDIS_USERS.replication}\nmasterauth "${secrets.replicationPassword}"\n`;
}

export interface SentinelConfArgs {
  ip: string;
  tls: boolean;
  masterIp: string;
  myid: string;
  /** known-sentinel / known-replica lines, so quorum is there at once. */
  known: string[];
}

/** A Sentinel's settings at its first start (no secrets). */
export function sentinelConf(cfg: RedisConfig, args: SentinelConfArgs): string {
  const m = cfg.masterName;
  return `${[
    'bind 0.0.0.0',
    ...tlsLines(26379, args.tls),
    'protected-mode no',
    'dir /var/lib/baas-sentinel',
    'sentinel resolve-hostnames no',
    `sentinel announce-ip ${args.ip}`,
    `sentinel monitor ${m} ${args.masterIp} 6379 ${cfg.quorum}`,
    `sentinel down-after-milliseconds ${m} ${cfg.downAfterMilliseconds}`,
    `sentinel failover-timeout ${m} ${cfg.failoverTimeout}`,
    `sentinel parallel-syncs ${m} ${cfg.parallelSyncs}`,
    `sentinel myid ${args.myid}`,
    ...args.known,
  ].join('\n')}\n`;
}

/** A Sentinel's credentials: how it logs in to the nodes and its peers, and its own users. */
export function sentinelAuthConf(cfg: RedisConfig, secrets: Secrets['redis'], server: boolean): string {
  const m = cfg.masterName;
  return `${[
    `sentinel auth-user ${m} ${REDIS_USERS.sentinel}`,
    `sentinel auth-pass ${m} "${secrets.sentinelPassword}"`,
    `sentinel sentinel-user ${REDIS_USERS.sentinel}`,
    `sentinel sentinel-pass "${secrets.sentinelPassword}"`,
    server ? 'user default off resetchannels -@all' : `user default on >${secrets.password} allchannels +@all`,
    `user ${REDIS_USERS.admin} on >${secrets.password} allchannels +@all`,
    `user ${REDIS_USERS.sentinel} on >${secrets.sentinelPassword} allchannels +@all`,
    `user ${REDIS_USERS.app} on >${secrets.appPassword} allchannels -@all ${allow(APP_SENTINEL_COMMANDS)}`,
    `user ${REDIS_USERS.monitor} on >${secrets.monitorPassword} allchannels -@all ${allow(MONITOR_SENTINEL_COMMANDS)}`,
  ].join('\n')}\n`;
}

/** The ACL user and password for a role. */
export function redisCredentials(secrets: Secrets['redis'], user: RedisUser): { username: string; password: string } {
  const password = {
    admin: secrets.password,
    app: secrets.appPassword,
    replication: secrets.replicationPassword,
    sentinel: secrets.sentinelPassword,
    monitor: secrets.monitorPassword,
  }[user];
  return { username: REDIS_USERS[user], password };
}
