/**
 * The seams of the dashboard: the few things it asks of Redis, Sentinel, Postgres, MongoDB and
 * the disk, and the snapshot it produces. Collectors take these interfaces, so unit tests pass
 * small fakes and only src/dashboard/adapters.ts knows about ioredis, pg and mongodb.
 */

export interface Address {
  host: string;
  port: number;
}

/** One Redis (or Sentinel) connection. `call` rejects on a server error or a timeout. */
export interface RedisLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** Several commands in one round trip; each entry is the reply or the Error it produced. */
  pipeline(commands: (string | number)[][]): Promise<unknown[]>;
  close(): void;
}

/** A MONITOR connection: calls back for every command the server runs until closed. */
export interface MonitorLike {
  onCommand(handler: (args: string[], source: string) => void): void;
  close(): void;
}

/** A pattern subscription that reconnects by itself (Sentinel restarts must not end the stream). */
export interface SubscriberLike {
  onMessage(handler: (channel: string, message: string) => void): void;
  /** True while the connection is up. */
  connected(): boolean;
  close(): void;
}

export interface RedisConnector {
  connect(addr: Address): Promise<RedisLike>;
  monitor(addr: Address): Promise<MonitorLike>;
  subscribe(addr: Address, pattern: string): SubscriberLike;
}

export interface MongoLike {
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Where the alert history lives (.baas/alerts.jsonl); a fake in unit tests. */
export interface AlertLog {
  append(entries: AlertRecord[]): void;
  recent(limit: number): AlertRecord[];
}

// ---- what the stack looks like (from the config and the running containers) ----

export interface NodeTarget {
  /** Service name: redis-1, redis-2 ... */
  name: string;
  /** Address inside the Docker network (what Sentinel answers with). */
  internal: { ip: string; port: number };
  /** Published address on the host (what we connect to). */
  host: Address;
}

export interface Topology {
  project: string;
  masterName: string;
  nodes: NodeTarget[];
  sentinels: NodeTarget[];
  expectedReplicas: number;
  expectedSentinels: number;
  quorum: number;
}

// ---- the snapshot ----

export type HotKeyMethod = 'hotkeys' | 'lfu' | 'monitor' | 'off';

export interface HotKey {
  key: string;
  /** LFU: the logarithmic access counter (0-255); MONITOR: estimated accesses per second; HOTKEYS: CPU µs. */
  score: number;
}

export interface HotKeysView {
  method: HotKeyMethod;
  /** Why this method, and how to get a cheaper one. */
  note: string;
  /** The exact command that would enable the LFU method, when it is not in use. */
  advice?: string;
  unit: string;
  windowSeconds: number;
  /** How many keys (LFU) or commands (MONITOR) the figures come from. */
  sampled: number;
  keys: HotKey[];
  error?: string;
}

export interface Overview {
  opsPerSec: number | null;
  /** Hits / (hits + misses) over the last interval; null without lookups. */
  hitRate: number | null;
  /** Since the server started. */
  hitRateLifetime: number | null;
  hits: number | null;
  misses: number | null;
  usedMemory: number;
  maxmemory: number;
  /** used / maxmemory; null when maxmemory is 0 (unlimited). */
  memoryRatio: number | null;
  evictionsPerSec: number | null;
  expirationsPerSec: number | null;
  connectedClients: number;
  blockedClients: number;
  rejectedConnections: number;
  rejectedPerSec: number | null;
  fragmentation: number | null;
  maxmemoryPolicy: string;
  version: string;
  keys: number;
}

export interface ReplicaView {
  name: string;
  address: string;
  reachable: boolean;
  role: 'master' | 'replica' | 'unknown';
  /** As the master sees it (online, wait_bgsave...) or the replica's master_link_status. */
  link: string;
  lagBytes: number | null;
  lastAckSeconds: number | null;
}

export interface ReplicationView {
  master: { name: string; address: string; reachable: boolean } | null;
  replicas: ReplicaView[];
  expectedReplicas: number;
}

export interface SentinelEvent {
  at: string;
  type: string;
  message: string;
  /** How many sentinels reported the same event. */
  sentinels: number;
}

export interface SentinelView {
  enabled: boolean;
  masterName: string;
  /** Container address as Sentinel reports it. */
  masterAddress: string | null;
  quorum: number;
  quorumOk: boolean | null;
  quorumDetail: string;
  sentinelsExpected: number;
  sentinelsReachable: number;
  /** Sentinels that the answering sentinel knows, itself included. */
  sentinelsSeen: number | null;
  replicasSeen: number | null;
  flags: string;
  events: SentinelEvent[];
}

export interface FailoverView {
  inProgress: boolean;
  count: number;
  last: { at: string; from: string; to: string } | null;
}

export interface LatencyView {
  latest: { event: string; at: string; latestMs: number; maxMs: number }[];
  slowlog: { id: number; at: string; durationUs: number; command: string }[];
}

export type AlertKind =
  | 'hitRate'
  | 'memory'
  | 'replicationLag'
  | 'rejectedConnections'
  | 'quorumLost'
  | 'failover'
  | 'masterDown'
  | 'replicaDown'
  | 'postgresConnections'
  | 'healthCheck'
  /** History only (state 'event'): a webhook delivery of `baas serve`, or another agent event. */
  | 'notification'
  | 'agent';

export interface Alert {
  id: string;
  kind: AlertKind;
  severity: 'warning' | 'critical';
  message: string;
}

export interface AlertRecord extends Alert {
  at: string;
  state: 'fired' | 'resolved' | 'event';
  project: string;
}

export interface ServiceLine {
  enabled: boolean;
  reachable: boolean | null;
  detail: string;
}

export interface PostgresLine extends ServiceLine {
  connections?: number;
  maxConnections?: number;
  databases?: number;
  branches?: number;
  /** WAL archiving for backups, when on. */
  archiving?: 'ok' | 'failing';
}

export interface HistoryPoint {
  at: number;
  opsPerSec: number | null;
  hitRate: number | null;
  usedMemory: number | null;
}

export interface Snapshot {
  at: string;
  project: string;
  intervalMs: number;
  master: { name: string; address: string; host: string; reachable: boolean } | null;
  overview: Overview | null;
  replication: ReplicationView;
  sentinel: SentinelView;
  failover: FailoverView;
  latency: LatencyView;
  hotKeys: HotKeysView;
  alerts: { active: Alert[]; recent: AlertRecord[] };
  postgres: PostgresLine;
  mongo: ServiceLine;
  /** Things the user should know that are not alerts (no sentinels configured, a node unreachable). */
  notes: string[];
}
