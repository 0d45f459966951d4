/**
 * Data collection for the dashboard and `baas metrics`, outside React. One `tick()` asks every
 * Redis node for INFO, one sentinel for the master and quorum, the master for LATENCY/SLOWLOG,
 * lets the hot-key sampler do its bounded share, and returns a Snapshot. Sentinel events arrive
 * on pattern subscriptions; +switch-master moves the collector to the new master at once.
 */
import { COLLECTOR_ALERT_KINDS, diffAlerts, evaluateAlerts, openAlerts, toRecords, type AlertThresholds } from './alerts.js';
import { chooseHotKeyMethod, LfuSampler, MonitorSampler, ServerHotkeysSampler, type HotKeyChoice, type HotKeySampler, type MethodDecision } from './hotkeys.js';
import type { Sql } from '../pg/sql.js';
import { eventView, initialSentinelEvents, reduceSentinelEvent, type SentinelEventState } from './sentinel-events.js';
import { MongoProbe, PostgresProbe } from './service-probes.js';
import { overviewOf, pairs, parseInfo, parseLatencyLatest, parseSlowlog, pushHistory, replicationRows, type NodeSample } from './metrics.js';
import type {
  Alert,
  AlertLog,
  AlertRecord,
  HistoryPoint,
  LatencyView,
  MongoLike,
  NodeTarget,
  RedisConnector,
  RedisLike,
  SentinelView,
  Snapshot,
  SubscriberLike,
  Topology,
} from './types.js';

export interface CollectorOptions {
  intervalMs: number;
  hotkeys: HotKeyChoice;
  /** History points kept for the sparklines. */
  historySize: number;
  hotKeyLimit: number;
  /** Keys examined per LFU pass, and how often a pass runs. */
  lfuBudget: number;
  lfuEveryMs: number;
  monitorBurstMs: number;
  monitorEveryMs: number;
  hotKeyWindowMs: number;
  /** Postgres and MongoDB are asked this often (they change slowly). */
  servicesEveryMs: number;
  alertWindowMs: number;
}

export const DEFAULT_OPTIONS: CollectorOptions = {
  intervalMs: 1000,
  hotkeys: 'auto',
  historySize: 600,
  hotKeyLimit: 10,
  lfuBudget: 1000,
  lfuEveryMs: 5000,
  monitorBurstMs: 100,
  monitorEveryMs: 5000,
  hotKeyWindowMs: 60_000,
  servicesEveryMs: 5000,
  alertWindowMs: 30_000,
};

export interface CollectorDeps {
  connector: RedisConnector;
  topology: Topology;
  thresholds: AlertThresholds;
  alertLog: AlertLog;
  postgres?: { open(): Promise<Sql> } | undefined;
  mongo?: { open(): Promise<MongoLike> } | undefined;
  now?: () => number;
}

/** Counts what the dashboard itself sends, so the figures can leave it out. */
class CountingClient {
  sent = 0;
  hits = 0;
  misses = 0;
  constructor(readonly inner: RedisLike) {
    this.sent = 2; // AUTH and PING on connect
  }
  call(cmd: string, ...args: (string | number)[]): Promise<unknown> {
    this.sent++;
    return this.inner.call(cmd, ...args);
  }
  pipeline(cmds: (string | number)[][]): Promise<unknown[]> {
    this.sent += cmds.length;
    return this.inner.pipeline(cmds);
  }
  close(): void {
    this.inner.close();
  }
}

interface NodeState {
  target: NodeTarget;
  client: CountingClient | undefined;
  connecting: Promise<void> | undefined;
  /** Carried across reconnects so own-command accounting stays monotonic per server. */
  sentBefore: number;
  hitsBefore: number;
  missesBefore: number;
  prev: NodeSample | undefined;
  cur: NodeSample | undefined;
  info: Record<string, string> | null;
  error: string | undefined;
}

interface SentinelState {
  target: NodeTarget;
  client: RedisLike | undefined;
  connecting: Promise<void> | undefined;
  sub: SubscriberLike | undefined;
  error: string | undefined;
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));
export const isAuthError = (e: string | undefined): boolean => /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(e ?? '');

export class Collector {
  readonly opts: CollectorOptions;
  private readonly now: () => number;
  private nodes: NodeState[];
  private sentinels: SentinelState[];
  private masterIp: string | null = null;
  /** The newest Sentinel configuration followed (config-epoch): an answer older than this is stale. */
  private masterEpoch = -1;
  /** +switch-master events seen: answers asked for before the latest one are older than it. */
  private switches = 0;
  private history: HistoryPoint[] = [];
  private sentinelEvents: SentinelEventState = initialSentinelEvents();
  private pendingEventAlerts: Alert[] = [];
  private activeAlerts: Alert[] = [];
  private recentAlerts: AlertRecord[] = [];
  private window: { at: number; hits: number; misses: number; rejected: number }[] = [];
  private sampler: HotKeySampler | undefined;
  private decision: MethodDecision | undefined;
  private decidedFor: string | undefined;
  private latency: LatencyView = { latest: [], slowlog: [] };
  private sentinelView: SentinelView;
  private readonly pg: PostgresProbe;
  private readonly mongo: MongoProbe;
  private servicesSampledAt = -Infinity;
  private stopped = false;

  constructor(
    private readonly deps: CollectorDeps,
    options: Partial<CollectorOptions> = {},
  ) {
    this.opts = { ...DEFAULT_OPTIONS, ...options };
    this.now = deps.now ?? Date.now;
    const t = deps.topology;
    this.nodes = t.nodes.map((target) => ({ target, client: undefined, connecting: undefined, sentBefore: 0, hitsBefore: 0, missesBefore: 0, prev: undefined, cur: undefined, info: null, error: undefined }));
    this.sentinels = t.sentinels.map((target) => ({ target, client: undefined, connecting: undefined, sub: undefined, error: undefined }));
    this.sentinelView = {
      enabled: t.sentinels.length > 0,
      masterName: t.masterName,
      masterAddress: null,
      quorum: t.quorum,
      quorumOk: null,
      quorumDetail: t.sentinels.length > 0 ? 'not asked yet' : 'no sentinels configured',
      sentinelsExpected: t.expectedSentinels,
      sentinelsReachable: 0,
      sentinelsSeen: null,
      replicasSeen: null,
      flags: '',
      events: [],
    };
    this.pg = new PostgresProbe(deps.postgres);
    this.mongo = new MongoProbe(deps.mongo, this.now);
    this.recentAlerts = deps.alertLog.recent(50).filter((r) => r.project === t.project);
    this.activeAlerts = openAlerts(deps.alertLog.recent(500), t.project, COLLECTOR_ALERT_KINDS);
  }

  /** Connects everything once and subscribes to the sentinels' events. Reports auth failures. */
  async start(): Promise<{ reachableNodes: number; reachableSentinels: number; errors: string[] }> {
    await Promise.all([...this.nodes.map((n) => this.connectNode(n)), ...this.sentinels.map((s) => this.connectSentinel(s))]);
    for (const s of this.sentinels) {
      const sub = this.deps.connector.subscribe(s.target.host, '*');
      sub.onMessage((channel, message) => this.onSentinelEvent(channel, message));
      s.sub = sub;
    }
    const errors = [...this.nodes, ...this.sentinels].filter((x) => x.error).map((x) => `${x.target.name} (${x.target.host.host}:${x.target.host.port}): ${x.error}`);
    return { reachableNodes: this.nodes.filter((n) => n.client).length, reachableSentinels: this.sentinels.filter((s) => s.client).length, errors };
  }

  private connectNode(n: NodeState): Promise<void> {
    if (n.client || n.connecting) return n.connecting ?? Promise.resolve();
    n.connecting = this.deps.connector
      .connect(n.target.host)
      .then((c) => {
        if (this.stopped) return c.close();
        n.client = new CountingClient(c);
        n.client.sent += n.sentBefore;
        n.client.hits = n.hitsBefore;
        n.client.misses = n.missesBefore;
        n.error = undefined;
      })
      .catch((e: unknown) => {
        n.error = msg(e);
      })
      .finally(() => {
        n.connecting = undefined;
      });
    return n.connecting;
  }

  private dropNode(n: NodeState, e: unknown): void {
    n.error = msg(e);
    if (n.client) {
      n.sentBefore = n.client.sent;
      n.hitsBefore = n.client.hits;
      n.missesBefore = n.client.misses;
      n.client.close();
    }
    n.client = undefined;
  }

  private connectSentinel(s: SentinelState): Promise<void> {
    if (s.client || s.connecting) return s.connecting ?? Promise.resolve();
    s.connecting = this.deps.connector
      .connect(s.target.host)
      .then((c) => {
        if (this.stopped) return c.close();
        s.client = c;
        s.error = undefined;
      })
      .catch((e: unknown) => {
        s.error = msg(e);
      })
      .finally(() => {
        s.connecting = undefined;
      });
    return s.connecting;
  }

  private nodeByIp(ip: string): NodeState | undefined {
    return this.nodes.find((n) => n.target.internal.ip === ip);
  }

  private nameOf(ip: string, port: string): string {
    return this.nodeByIp(ip)?.target.name ?? `${ip}:${port}`;
  }

  /** A message on a sentinel's channel: reduced in sentinel-events.ts, the effects applied here. */
  onSentinelEvent(channel: string, message: string): void {
    const { state, effect } = reduceSentinelEvent(this.sentinelEvents, channel, message, this.now(), {
      masterName: this.deps.topology.masterName,
      nameOf: (ip, port) => this.nameOf(ip, port),
    });
    this.sentinelEvents = state;
    if (effect.masterIp) {
      // The switch's configuration is newer than the one followed so far: a sentinel that has not
      // heard of it yet must not move the dashboard back to the old master.
      if (effect.masterIp !== this.masterIp) this.masterEpoch++;
      this.masterIp = effect.masterIp;
      this.switches++;
      const n = this.nodeByIp(effect.masterIp);
      if (n) this.sentinelView.masterAddress = `${n.target.internal.ip}:${n.target.internal.port}`;
      this.resetSampler();
    }
    if (effect.alert) this.pendingEventAlerts.push(effect.alert);
  }

  private resetSampler(): void {
    const s = this.sampler as (HotKeySampler & { reset?: () => void }) | undefined;
    s?.reset?.();
  }

  private masterNode(): NodeState | undefined {
    return this.masterIp ? this.nodeByIp(this.masterIp) : undefined;
  }

  /** Asks each sentinel who the master is; the newest configuration wins, then CKQUORUM on the same sentinel. */
  private async askSentinels(): Promise<void> {
    if (this.sentinels.length === 0) return;
    const name = this.deps.topology.masterName;
    const switchesBefore = this.switches;
    const answers = await Promise.all(
      this.sentinels.map(async (s) => {
        if (!s.client) {
          void this.connectSentinel(s);
          return undefined;
        }
        try {
          return { s, master: pairs(await s.client.call('SENTINEL', 'MASTER', name)) };
        } catch (e) {
          s.error = msg(e);
          s.client.close();
          s.client = undefined;
          return undefined;
        }
      }),
    );
    const ok = answers.filter((a): a is NonNullable<typeof a> => a !== undefined);
    const v = this.sentinelView;
    v.sentinelsReachable = ok.length;
    // Sentinels learn of a failover one after another, and until then name the old master: the
    // leader keeps naming it until it has reconfigured the replicas (with the new config-epoch
    // already), the others until the leader's hello reaches them (with the old epoch). So the
    // newest configuration wins, and a sentinel still failing over does not say where the master
    // is going; the first sentinel to answer is not the one to believe.
    const epochOf = (a: (typeof ok)[number]): number => Number(a.master['config-epoch'] ?? 0);
    const failingOver = (a: (typeof ok)[number]): boolean => /failover_in_progress/.test(a.master['flags'] ?? '');
    const rank = (a: (typeof ok)[number]): number => epochOf(a) * 2 + (failingOver(a) ? 0 : 1);
    const first = ok.reduce<(typeof ok)[number] | undefined>((best, a) => (best === undefined || rank(a) > rank(best) ? a : best), undefined);
    if (!first) {
      v.quorumOk = false;
      v.quorumDetail = 'no sentinel answers';
      v.sentinelsSeen = null;
      v.replicasSeen = null;
      return;
    }
    const m = first.master;
    v.sentinelsSeen = Number(m['num-other-sentinels'] ?? 0) + 1;
    v.replicasSeen = Number(m['num-slaves'] ?? 0);
    v.flags = m['flags'] ?? '';
    // Not to be followed: answers asked for before a +switch-master that arrived meanwhile, an
    // older configuration than the one followed (unless every sentinel answers the same: they were
    // recreated and count from 0 again), and the old address a sentinel is failing over from.
    const unanimous = ok.length === this.sentinels.length && ok.every((a) => epochOf(a) === epochOf(first) && a.master['ip'] === m['ip']);
    const stale = this.switches !== switchesBefore || (epochOf(first) < this.masterEpoch && !unanimous) || failingOver(first);
    if (!stale || this.masterIp === null) {
      this.masterEpoch = epochOf(first);
      v.masterAddress = m['ip'] ? `${m['ip']}:${m['port']}` : null;
      if (m['ip'] && m['ip'] !== this.masterIp) {
        if (this.masterIp !== null) this.resetSampler();
        this.masterIp = m['ip'];
      }
    }
    if (/failover_in_progress|o_down/.test(v.flags)) this.sentinelEvents = { ...this.sentinelEvents, failover: { ...this.sentinelEvents.failover, inProgress: true } };
    try {
      const ck = String(await first.s.client!.call('SENTINEL', 'CKQUORUM', name));
      v.quorumOk = /^OK/.test(ck);
      v.quorumDetail = ck;
    } catch (e) {
      v.quorumOk = false;
      v.quorumDetail = msg(e);
    }
  }

  private async sampleNode(n: NodeState, retry = true): Promise<void> {
    if (!n.client) {
      void this.connectNode(n);
      n.info = null;
      return;
    }
    const c = n.client;
    const before = { sent: c.sent, hits: c.hits, misses: c.misses };
    try {
      const text = String(await c.call('INFO'));
      const info = parseInfo(text);
      n.prev = n.cur;
      n.cur = { at: this.now(), runId: info['run_id'] ?? '', info, ownCommands: before.sent, ownHits: before.hits, ownMisses: before.misses };
      n.info = info;
      n.error = undefined;
    } catch (e) {
      n.info = null;
      this.dropNode(n, e);
      // Sentinel ends every client's connection to a node it reconfigures (CLIENT KILL during a
      // failover): a closed connection is not a node that stopped answering. Ask once more.
      if (retry && !this.stopped) {
        await this.connectNode(n);
        if (n.client) await this.sampleNode(n, false);
      }
    }
  }

  /** Without sentinels (or when none answers): the node that says it is master, preferring one with replicas. */
  private masterFromNodes(): string | null {
    const masters = this.nodes.filter((n) => n.info?.['role'] === 'master');
    masters.sort((a, b) => Number(b.info?.['connected_slaves'] ?? 0) - Number(a.info?.['connected_slaves'] ?? 0));
    return masters[0]?.target.internal.ip ?? null;
  }

  private async sampleMasterExtras(m: NodeState): Promise<void> {
    if (!m.client) return;
    try {
      const [lat, slow] = await m.client.pipeline([['LATENCY', 'LATEST'], ['SLOWLOG', 'GET', 10]]);
      this.latency = { latest: lat instanceof Error ? [] : parseLatencyLatest(lat), slowlog: slow instanceof Error ? [] : parseSlowlog(slow, 10) };
    } catch (e) {
      this.dropNode(m, e);
    }
  }

  private ensureSampler(m: NodeState): void {
    if (!m.info) return;
    const key = `${m.target.name}|${m.info['maxmemory_policy']}|${m.info['redis_version']}`;
    if (this.decidedFor === key) return;
    this.decidedFor = key;
    const decision = chooseHotKeyMethod({
      version: m.info['redis_version'] ?? '',
      policy: m.info['maxmemory_policy'] ?? '',
      forced: this.opts.hotkeys,
    });
    const old = this.sampler;
    if (old && old.method !== decision.method) void old.stop();
    this.decision = decision;
    if (old && old.method === decision.method) {
      this.resetSampler();
      return;
    }
    const master = (): RedisLike | undefined => this.masterNode()?.client;
    switch (decision.method) {
      case 'lfu':
        this.sampler = new LfuSampler(master, { budget: this.opts.lfuBudget, everyMs: this.opts.lfuEveryMs, limit: this.opts.hotKeyLimit }, (hits, misses) => {
          const c = this.masterNode()?.client;
          if (c) {
            c.hits += hits;
            c.misses += misses;
          }
        });
        break;
      case 'monitor':
        this.sampler = new MonitorSampler(
          this.deps.connector,
          () => this.masterNode()?.target.host,
          { burstMs: this.opts.monitorBurstMs, everyMs: this.opts.monitorEveryMs, windowMs: this.opts.hotKeyWindowMs, limit: this.opts.hotKeyLimit },
          () => {
            // AUTH + MONITOR on the master count as commands.
            const c = this.masterNode()?.client;
            if (c) c.sent += 2;
          },
        );
        break;
      case 'hotkeys':
        this.sampler = new ServerHotkeysSampler(master, { everyMs: this.opts.lfuEveryMs, windowSeconds: Math.round(this.opts.hotKeyWindowMs / 1000), limit: this.opts.hotKeyLimit, sampleRatio: 10 });
        break;
      default:
        this.sampler = undefined;
    }
  }

  /** The decision about hot keys, once the master has been seen (for --hotkeys lfu on a non-LFU server). */
  hotKeyDecision(): MethodDecision | undefined {
    return this.decision;
  }

  /** Waits for a MONITOR burst in progress, so a one-shot snapshot includes it. */
  async settle(): Promise<void> {
    const s = this.sampler as (HotKeySampler & { settle?: () => Promise<void> }) | undefined;
    await s?.settle?.();
  }

  /** Postgres and MongoDB change slowly: asked every `servicesEveryMs`. */
  private async sampleServices(now: number): Promise<void> {
    if (now - this.servicesSampledAt < this.opts.servicesEveryMs) return;
    this.servicesSampledAt = now;
    await Promise.all([this.pg.sample(), this.mongo.sample()]);
  }

  async tick(): Promise<Snapshot> {
    const now = this.now();
    await Promise.all([this.askSentinels(), ...this.nodes.map((n) => this.sampleNode(n)), this.sampleServices(now)]);
    if (this.sentinelView.sentinelsReachable === 0 || this.masterIp === null) {
      const fromNodes = this.masterFromNodes();
      if (fromNodes && (this.sentinels.length === 0 || this.masterIp === null || !this.masterNode()?.info)) this.masterIp = fromNodes;
    }
    const m = this.masterNode();
    if (m?.info && m.info['role'] === 'master') {
      this.ensureSampler(m);
      await Promise.all([this.sampleMasterExtras(m), this.sampler?.tick(now)]);
    }
    return this.snapshot(now);
  }

  private snapshot(now: number): Snapshot {
    const t = this.deps.topology;
    const m = this.masterNode();
    const reachable = Boolean(m?.info);
    const overview = m?.cur && m.info ? overviewOf(m.cur, m.prev) : null;
    this.history = pushHistory(this.history, { at: now, opsPerSec: overview?.opsPerSec ?? null, hitRate: overview?.hitRate ?? null, usedMemory: overview?.usedMemory ?? null }, this.opts.historySize);

    this.window.push({ at: now, hits: overview?.hits ?? 0, misses: overview?.misses ?? 0, rejected: overview?.rejectedPerSec !== null && overview?.rejectedPerSec !== undefined ? Math.round(overview.rejectedPerSec * (this.opts.intervalMs / 1000)) : 0 });
    this.window = this.window.filter((w) => w.at > now - this.opts.alertWindowMs);
    const sum = (k: 'hits' | 'misses' | 'rejected'): number => this.window.reduce((a, w) => a + w[k], 0);

    const replicas = replicationRows(
      this.nodes.map((n) => ({ name: n.target.name, internalIp: n.target.internal.ip, address: `${n.target.internal.ip}:${n.target.internal.port}`, info: n.info })),
      this.masterIp,
    );
    this.sentinelView.events = eventView(this.sentinelEvents.events);
    // Once stop() has closed the connections, whatever a tick still in flight saw ("Stream isn't
    // writeable", "Connection is closed") is the collector's own doing, not the stack's: it must
    // neither raise nor resolve an alert.
    const alerts = this.stopped
      ? this.activeAlerts
      : evaluateAlerts({ masterReachable: reachable, overview, windowHits: sum('hits'), windowMisses: sum('misses'), windowRejected: sum('rejected'), replicas, sentinel: this.sentinelView }, this.deps.thresholds);
    const at = new Date(now).toISOString();
    const records = [...toRecords(diffAlerts(this.activeAlerts, alerts), t.project, at), ...this.pendingEventAlerts.map((a) => ({ ...a, at, state: 'event' as const, project: t.project }))];
    this.pendingEventAlerts = [];
    this.activeAlerts = alerts;
    if (records.length > 0) {
      try {
        this.deps.alertLog.append(records);
      } catch {
        /* the history is best effort: a read-only disk must not stop the dashboard */
      }
      this.recentAlerts = [...this.recentAlerts, ...records].slice(-50);
    }

    const notes: string[] = [];
    if (t.sentinels.length === 0) notes.push('No sentinels configured (services.redis.sentinels: 0): no automatic failover.');
    if (t.expectedReplicas === 0) notes.push('No replicas configured (services.redis.replicas: 0): nothing to fail over to.');
    for (const n of this.nodes) if (!n.info) notes.push(`${n.target.name} does not answer${n.error ? `: ${n.error}` : ''}.`);
    for (const s of this.sentinels) if (!s.client) notes.push(`${s.target.name} does not answer${s.error ? `: ${s.error}` : ''}.`);
    if (m?.info && m.info['role'] !== 'master') notes.push(`${m.target.name} is not a master yet (role ${m.info['role']}).`);

    const d = this.decision;
    const hv = this.sampler?.view(now);
    const hotKeys = hv
      ? { ...hv, note: d?.note ?? '', ...(d?.advice ? { advice: d.advice } : {}) }
      : { method: d?.method ?? 'off', note: d?.note ?? (this.opts.hotkeys === 'off' ? 'hot keys off (--hotkeys off)' : 'waiting for the master'), ...(d?.advice ? { advice: d.advice } : {}), unit: '', windowSeconds: 0, sampled: 0, keys: [] };

    return {
      at,
      project: t.project,
      intervalMs: this.opts.intervalMs,
      master: m ? { name: m.target.name, address: `${m.target.internal.ip}:${m.target.internal.port}`, host: `${m.target.host.host}:${m.target.host.port}`, reachable } : null,
      overview,
      replication: { master: m ? { name: m.target.name, address: `${m.target.internal.ip}:${m.target.internal.port}`, reachable } : null, replicas, expectedReplicas: t.expectedReplicas },
      sentinel: { ...this.sentinelView, events: [...this.sentinelView.events] },
      failover: { ...this.sentinelEvents.failover },
      latency: this.latency,
      hotKeys,
      alerts: { active: alerts, recent: [...this.recentAlerts] },
      postgres: this.pg.line,
      mongo: this.mongo.line,
      notes,
    };
  }

  /** The last INFO of every Redis node (null when it did not answer): what `baas serve` exports to Prometheus. */
  nodeInfos(): { name: string; address: string; info: Record<string, string> | null }[] {
    return this.nodes.map((n) => ({ name: n.target.name, address: `${n.target.internal.ip}:${n.target.internal.port}`, info: n.info }));
  }

  historyPoints(): HistoryPoint[] {
    return this.history;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.sampler?.stop().catch(() => {});
    for (const n of this.nodes) n.client?.close();
    for (const s of this.sentinels) {
      s.client?.close();
      s.sub?.close();
    }
    await this.pg.close();
    await this.mongo.close();
  }
}
