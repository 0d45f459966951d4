/**
 * `baas serve`: one long-running process built on the dashboard's collector and `baas health`.
 * Two loops: the collection (every `serve.interval`, on connections kept open) and the full health
 * checks (every `serve.healthInterval`, and at once when the collection sees a change). /health and
 * /metrics answer from what these loops last saw; alerts go to the history, the event stream and
 * the webhooks; schedules run branch gc.
 */
import type { LoadedConfig } from '../config/load.js';
import { parseDuration } from '../config/schema.js';
import { openContextFor } from './compose.js';
import { COLLECTOR_ALERT_KINDS, diffAlerts, FileAlertLog, healthCheckAlerts, openAlerts, postgresConnectionAlerts, toRecords } from '../dashboard/alerts.js';
import type { Collector } from '../dashboard/collector.js';
import type { Alert, AlertLog, AlertRecord, Snapshot } from '../dashboard/types.js';
import type { BackupDeps } from '../backup/source.js';
import { ExitCode, UserError, messageOf } from '../errors.js';
import { bytes } from '../format.js';
import type { Logger } from '../log.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { requireSecrets, type Secrets } from '../stack/secrets.js';
import { branchService } from './branches.js';
import { EventBus, FileEventStore, type EventStore } from './events.js';
import { healthView, serviceView, type FullCheck, type HealthView, type ReachSample } from './health.js';
import { createApi, listen, type ServerHandle } from './http.js';
import type { ListenAddress } from './listen.js';
import { Exposition, postgresSamples, redisSamples, type Sample } from './metrics.js';
import { MongoProbe, PostgresProbe, type PgReading } from './probes.js';
import { Scheduler, validateSchedules, type JobOutcome } from './schedules.js';
import { readAgentState, writeAgentState, type ScheduleState } from './state.js';
import { resolveTargets, type Targets } from './targets.js';
import { ensureToken } from './token.js';
import { fetchPost, Notifier, type Delivery, type HttpPost, type NotifierOptions } from './webhooks.js';

export interface AgentOptions {
  listen: ListenAddress;
  tls?: { cert: string; key: string } | undefined;
  intervalMs: number;
  healthIntervalMs: number;
  logRequests?: boolean;
}

export interface AgentDeps {
  loaded: LoadedConfig;
  stateDir: string;
  runtime: ContainerRuntime;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  post?: HttpPost;
  notifier?: Partial<NotifierOptions>;
  events?: EventStore;
  now?: () => number;
}

/** Interval and health interval from flags or the config, checked. */
export function agentTimings(loaded: LoadedConfig, flags: { interval?: string; healthInterval?: string }): { intervalMs: number; healthIntervalMs: number } {
  const parse = (v: string, flag: string, min: number): number => {
    let ms: number;
    try {
      ms = parseDuration(v);
    } catch {
      throw new UserError(`${flag} must be a duration such as 1s, 500ms or 5s, not '${v}'.`);
    }
    if (ms < min || ms > 600_000) throw new UserError(`${flag} must be between ${min} ms and 600 s, not '${v}'.`, { hint: `For example ${flag} 1s.` });
    return ms;
  };
  const s = loaded.config.serve;
  return { intervalMs: parse(flags.interval ?? s.interval, '--interval', 200), healthIntervalMs: parse(flags.healthInterval ?? s.healthInterval, '--health-interval', 1000) };
}

const BACKUP_READ_INTERVAL_MS = 5 * 60_000;

const SERVE_ALERT_KINDS = { postgres: ['postgresConnections'], health: ['healthCheck'] } as const;

export class Agent {
  private readonly now: () => number;
  private readonly project: string;
  private stopping = false;
  private server: ServerHandle | undefined;
  private collector: Collector | undefined;
  private pgProbe: PostgresProbe | undefined;
  private mongoProbe: MongoProbe | undefined;
  private targets: Targets | undefined;
  private redis: { at: number; snapshot: Snapshot } | undefined;
  private pg: PgReading | undefined;
  private mongo: ReachSample | undefined;
  private full: FullCheck | undefined;
  private fullError: string | undefined;
  private pgActive: Alert[];
  private healthActive: Alert[];
  private readonly sentinelSeen = new Set<string>();
  private readonly failStreak = new Map<string, number>();
  private signature = '';
  private lastStatus: string | undefined;
  private failovers = 0;
  private readonly firedTotal = new Map<string, number>();
  private readonly deliveries = new Map<string, number>();
  private collectMs = 0;
  private wake: { collect?: () => void; health?: () => void; backups?: () => void } = {};
  private loops: Promise<void>[] = [];
  private scheduleStates: ScheduleState[] = [];
  /** The newest usable base backup and the end of the recoverable window, as last read from the repository. */
  private backups: { at: number; repository: string; count: number; newest?: { id: string; stoppedAt: string }; latest?: string } | undefined;
  private startedAt = '';
  private url = '';

  readonly events: EventBus;
  private readonly alertFile: FileAlertLog;
  private readonly hub: AlertLog;
  private readonly notifier: Notifier;
  private readonly scheduler: Scheduler;
  private readonly branches: ReturnType<typeof branchService>;
  private exposition: Exposition | undefined;

  private constructor(
    private readonly deps: AgentDeps,
    private readonly opts: AgentOptions,
    private readonly secrets: Secrets,
  ) {
    this.now = deps.now ?? Date.now;
    const cfg = deps.loaded.config;
    this.project = cfg.project;
    this.events = new EventBus(deps.events ?? FileEventStore.inStateDir(deps.stateDir), this.now, 1000, (e) => deps.logger.warn({ err: messageOf(e) }, 'could not write .baas/events.jsonl'));
    this.alertFile = FileAlertLog.inStateDir(deps.stateDir);
    const history = this.alertFile.recent(500);
    this.pgActive = openAlerts(history, this.project, [...SERVE_ALERT_KINDS.postgres]);
    this.healthActive = openAlerts(history, this.project, [...SERVE_ALERT_KINDS.health]);
    this.hub = { append: (records) => this.onAlertRecords(records), recent: (n) => this.alertFile.recent(n) };
    this.notifier = new Notifier(
      { webhooks: cfg.alerts.webhooks, post: deps.post ?? fetchPost, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), logger: deps.logger.child({ component: 'webhooks' }), onDelivery: (d) => this.onDelivery(d) },
      deps.notifier,
    );
    this.branches = branchService({
      open: () => openContextFor(deps),
      logger: deps.logger.child({ component: 'branches' }),
      changed: (kind, branch, data) => {
        this.events.publish(kind === 'created' ? 'branch.created' : 'branch.deleted', `Branch '${branch}' ${kind}${data['by'] === 'gc' ? ' by branch gc (expired)' : ''}.`, { branch, ...data });
        this.pgProbe?.refreshSizes();
      },
    });
    const previous = readAgentState(deps.stateDir)?.schedules ?? [];
    this.scheduler = new Scheduler(
      {
        schedules: cfg.schedules,
        logger: deps.logger.child({ component: 'schedules' }),
        run: async (job, schedule) => {
          if (job === 'backup') return this.runBackup(schedule.name);
          if (job === 'backup-verify') return this.runBackupVerify();
          const r = await this.branches.gc();
          return { summary: `deleted ${r.deleted.length} expired branch(es)${r.deleted.length ? `: ${r.deleted.map((d) => d.branch).join(', ')}` : ''}${r.skipped.length ? `; kept ${r.skipped.length} (${r.skipped.map((s) => `${s.branch}: ${s.reason}`).join('; ')})` : ''}`, data: { deleted: r.deleted.map((d) => d.branch), skipped: r.skipped } };
        },
        onChange: (state, run) => {
          this.scheduleStates = this.scheduler?.states() ?? [state];
          if (run) this.events.publish('schedule.run', `Schedule '${state.name}' (${state.job}): ${run.ok ? run.summary : `failed: ${run.summary}`}.`, { schedule: state.name, job: state.job, ok: run.ok, durationMs: run.durationMs, ...(run.data ?? {}) });
          this.writeState();
        },
      },
      previous,
    );
    this.scheduleStates = this.scheduler.states();
  }

  /** Starts everything and listens. Throws a UserError when it cannot (no secrets, port taken, another agent). */
  static async start(deps: AgentDeps, opts: AgentOptions): Promise<Agent> {
    const secrets = requireSecrets(deps.stateDir);
    const other = readAgentState(deps.stateDir);
    if (other?.running && other.pid !== process.pid) {
      throw new UserError(`Another baas serve (pid ${other.pid}) already runs for '${deps.loaded.config.project}' at ${other.url}.`, {
        exitCode: ExitCode.conflict,
        hint: 'One agent per project (two would send every alert twice): stop the other one first.',
      });
    }
    validateSchedules(deps.loaded.config.schedules, deps.loaded.file);
    const agent = new Agent(deps, opts, secrets);
    await agent.begin();
    return agent;
  }

  private async begin(): Promise<void> {
    const { token, created, file } = ensureToken(this.deps.stateDir);
    if (created) this.deps.logger.info({ file }, 'API token created');
    this.exposition = await Exposition.create({ now: this.now });
    const api = createApi({
      token,
      health: (strict) => {
        const v = this.view();
        return { ok: strict ? v.status === 'ok' : v.status !== 'down', body: { ...v, alerts: this.activeAlerts(), schedules: this.scheduleStates, agent: { url: this.url, startedAt: this.startedAt, pid: process.pid } } };
      },
      serviceHealth: (name) => serviceView(this.view(), name),
      metrics: { contentType: this.exposition.contentType, text: () => this.exposition!.text() },
      events: this.events,
      branches: this.branches,
      logger: this.deps.logger.child({ component: 'http' }),
      logRequests: Boolean(this.opts.logRequests),
    });
    try {
      this.server = await listen(api, { host: this.opts.listen.host, port: this.opts.listen.port, tls: this.opts.tls });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(
        code === 'EADDRINUSE' ? `${this.opts.listen.host}:${this.opts.listen.port} is already in use.` : `Cannot listen on ${this.opts.listen.host}:${this.opts.listen.port}: ${messageOf(e)}.`,
        { exitCode: code === 'EADDRINUSE' ? ExitCode.conflict : ExitCode.usage, hint: 'Pick another address with --listen (or serve.listen), e.g. --listen 127.0.0.1:7071.' },
      );
    }
    this.url = this.server.url;
    this.startedAt = new Date(this.now()).toISOString();
    this.writeState();
    this.events.publish('agent.started', `baas serve started at ${this.url} (collection every ${this.opts.intervalMs} ms, health checks every ${this.opts.healthIntervalMs} ms).`, { url: this.url, pid: process.pid });
    this.deps.logger.info({ address: this.url, project: this.project, intervalMs: this.opts.intervalMs, healthIntervalMs: this.opts.healthIntervalMs, webhooks: this.deps.loaded.config.alerts.webhooks.length, schedules: this.deps.loaded.config.schedules.length }, 'listening');
    this.loops = [this.healthLoop(), this.collectLoop(), this.backupsLoop()];
    this.scheduler.start();
  }

  get address(): string {
    return this.url;
  }

  // ---- loops ----

  private sleep(ms: number, which: 'collect' | 'health' | 'backups'): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake[which] = done;
    });
  }

  private async collectLoop(): Promise<void> {
    while (!this.stopping) {
      const started = this.now();
      try {
        await this.collect();
      } catch (e) {
        this.deps.logger.error({ err: messageOf(e) }, 'collection failed');
      }
      if (this.stopping) break;
      await this.sleep(Math.max(50, this.opts.intervalMs - (this.now() - started)), 'collect');
    }
  }

  private lastFullStart = -Infinity;

  /** The backup metrics follow backups taken outside the agent too: the repository is read every 5 minutes. */
  private async backupsLoop(): Promise<void> {
    const cfg = this.deps.loaded.config;
    if (!cfg.backups.enabled || !cfg.services.postgres.enabled) return;
    while (!this.stopping) {
      await this.readBackups();
      if (this.stopping) break;
      await this.sleep(BACKUP_READ_INTERVAL_MS, 'backups');
    }
  }

  private async healthLoop(): Promise<void> {
    while (!this.stopping) {
      this.lastFullStart = this.now();
      try {
        await this.fullCheck();
      } catch (e) {
        this.fullError = messageOf(e);
        this.deps.logger.warn({ err: this.fullError }, 'health check failed');
      }
      if (this.stopping) break;
      await this.sleep(this.opts.healthIntervalMs, 'health');
      // A change seen by the collection asks for a check at once, but not more than once a second.
      const since = this.now() - this.lastFullStart;
      if (since < 1000 && !this.stopping) await new Promise((r) => setTimeout(r, 1000 - since));
    }
  }

  private async ensureTargets(): Promise<void> {
    const t = await resolveTargets(this.deps.runtime, this.deps.loaded, this.secrets, this.deps.env);
    if (t && this.targets && t.key === this.targets.key) return;
    await this.closeProbes();
    this.targets = t;
    if (!t) return;
    if (t.topology) {
      const { Collector } = await import('../dashboard/collector.js');
      const { ioredisConnector } = await import('../dashboard/adapters.js');
      this.collector = new Collector(
        { connector: ioredisConnector(t.redis ?? { username: 'admin', password: this.secrets.redis.password }, Math.min(1500, Math.max(500, this.opts.intervalMs))), topology: t.topology, thresholds: this.deps.loaded.config.alerts, alertLog: this.hub, now: this.now },
        { intervalMs: this.opts.intervalMs, hotkeys: 'off' },
      );
      await this.collector.start();
    }
    if (t.postgresUrl) {
      const { openPostgres } = await import('../dashboard/adapters.js');
      const url = t.postgresUrl;
      this.pgProbe = new PostgresProbe(() => openPostgres(url, 'baas-serve'), this.now);
    }
    if (t.mongoUrl) {
      const { openMongo } = await import('../dashboard/adapters.js');
      const url = t.mongoUrl;
      this.mongoProbe = new MongoProbe(() => openMongo(url), this.now);
    }
    this.deps.logger.info({ redis: t.topology?.nodes.map((n) => `${n.name}=${n.host.port}`).join(' ') ?? 'disabled', postgres: Boolean(t.postgresUrl), mongo: Boolean(t.mongoUrl) }, 'collecting from the stack');
  }

  private async fullCheck(): Promise<void> {
    const { describeStack } = await import('../stack/context.js');
    const { stackHealth } = await import('../stack/health.js');
    await this.deps.runtime.ping();
    const { ctx, defs, actual } = await describeStack(this.deps.runtime, this.deps.loaded, this.secrets, this.deps.env);
    const reports = await stackHealth(ctx, defs, actual);
    if (this.stopping) return;
    this.full = { at: this.now(), reports };
    this.fullError = undefined;
    // Two failed checks in a row (one is a blip on a busy machine); one good check resolves it.
    for (const r of reports) this.failStreak.set(r.service, r.status === 'healthy' || r.status === 'starting' ? 0 : (this.failStreak.get(r.service) ?? 0) + 1);
    const current = healthCheckAlerts(reports).filter((a) => (this.failStreak.get(a.id.slice('healthCheck:'.length)) ?? 0) >= 2 || this.healthActive.some((x) => x.id === a.id));
    this.healthActive = this.transition(this.healthActive, current);
    await this.ensureTargets();
    this.afterChange();
  }

  private async collect(): Promise<void> {
    if (!this.targets) return;
    const started = this.now();
    const [snapshot, pg, mongo] = await Promise.all([
      this.collector?.tick().catch((e: unknown) => {
        this.deps.logger.warn({ err: messageOf(e) }, 'redis collection failed');
        return undefined;
      }),
      this.pgProbe?.sample(),
      this.mongoProbe?.sample(),
    ]);
    if (this.stopping) return;
    const at = this.now();
    this.collectMs = at - started;
    if (snapshot) {
      this.redis = { at, snapshot };
      for (const e of snapshot.sentinel.events) {
        const key = `${e.at}|${e.type}|${e.message}`;
        if (this.sentinelSeen.has(key)) continue;
        this.sentinelSeen.add(key);
        this.events.publish('sentinel', `Sentinel ${e.type} ${e.message}`, { type: e.type, message: e.message }, e.at);
      }
      if (this.sentinelSeen.size > 2000) this.sentinelSeen.clear();
    }
    if (pg) {
      this.pg = { ...pg, at };
      this.pgActive = this.transition(this.pgActive, postgresConnectionAlerts(pg.reachable && pg.sample.maxConnections !== null ? { connections: pg.sample.connections ?? 0, maxConnections: pg.sample.maxConnections } : null, this.deps.loaded.config.alerts.postgresConnectionsAbove));
    }
    if (mongo) this.mongo = { ...mongo, at };
    // A change (a node stopped or came back, a new master, quorum, a service unreachable): check now.
    const sig = JSON.stringify([snapshot?.master?.name, snapshot?.master?.reachable, snapshot?.replication.replicas.map((r) => r.reachable), snapshot?.sentinel.sentinelsReachable, snapshot?.sentinel.quorumOk, pg?.reachable, mongo?.reachable]);
    if (this.signature && sig !== this.signature) this.wake.health?.();
    this.signature = sig;
    this.afterChange();
  }

  /** Fires and resolves one evaluator's alerts; returns its new active set. */
  private transition(previous: Alert[], current: Alert[]): Alert[] {
    const t = diffAlerts(previous, current);
    if (t.fired.length + t.resolved.length > 0) this.hub.append(toRecords(t, this.project, new Date(this.now()).toISOString()));
    return current;
  }

  private onAlertRecords(records: AlertRecord[]): void {
    try {
      this.alertFile.append(records);
    } catch (e) {
      this.deps.logger.warn({ err: messageOf(e) }, 'could not write .baas/alerts.jsonl');
    }
    for (const r of records) {
      const alert: Alert = { id: r.id, kind: r.kind, severity: r.severity, message: r.message };
      if (r.state === 'fired') {
        this.deps.logger.warn({ alert: r.id, severity: r.severity }, `alert fired: ${r.message}`);
        const k = `${r.kind}|${r.severity}`;
        this.firedTotal.set(k, (this.firedTotal.get(k) ?? 0) + 1);
        this.events.publish('alert.fired', r.message, { id: r.id, kind: r.kind, severity: r.severity }, r.at);
        this.notifier.notify({ state: 'firing', alert, project: this.project, at: r.at });
      } else if (r.state === 'resolved') {
        this.deps.logger.info({ alert: r.id }, `alert resolved: ${r.message}`);
        this.events.publish('alert.resolved', r.message, { id: r.id, kind: r.kind, severity: r.severity }, r.at);
        this.notifier.notify({ state: 'resolved', alert, project: this.project, at: r.at });
      } else if (r.kind === 'failover') {
        this.failovers++;
        this.deps.logger.warn({ event: 'failover' }, r.message);
        this.events.publish('failover', r.message, { id: r.id }, r.at);
      }
    }
  }

  private onDelivery(d: Delivery): void {
    const t = d.transition;
    const message = `${d.ok ? 'Sent' : 'Could not send'} "${t.state}: ${t.alert.message}" to the ${d.format} webhook ${d.webhook}${d.ok ? '' : ` (${d.detail})`} after ${d.attempts} attempt(s).`;
    const key = `${d.webhook}|${d.ok ? 'ok' : 'failed'}`;
    this.deliveries.set(key, (this.deliveries.get(key) ?? 0) + 1);
    try {
      this.alertFile.append([{ id: `notify:${t.alert.id}`, kind: 'notification', severity: t.alert.severity, message, at: new Date(this.now()).toISOString(), state: 'event', project: this.project }]);
    } catch {
      /* the history is best effort */
    }
    this.events.publish('notification', message, { alert: t.alert.id, state: t.state, webhook: d.webhook, format: d.format, ok: d.ok, attempts: d.attempts });
  }

  private activeAlerts(): Alert[] {
    return [...(this.redis?.snapshot.alerts.active ?? []).filter((a) => COLLECTOR_ALERT_KINDS.includes(a.kind)), ...this.pgActive, ...this.healthActive];
  }

  private view(): HealthView {
    const cfg = this.deps.loaded.config.services;
    const v = healthView({
      project: this.project,
      now: this.now(),
      enabled: { postgres: cfg.postgres.enabled, redis: cfg.redis.enabled, mongo: cfg.mongo.enabled },
      full: this.full,
      redis: this.redis,
      postgres: this.pg ? { at: this.pg.at, reachable: this.pg.reachable, detail: this.pg.detail } : undefined,
      mongo: this.mongo,
      staleAfterMs: 3 * this.opts.intervalMs + 3000,
      fullStaleAfterMs: 3 * this.opts.healthIntervalMs + 10_000,
      stopping: this.stopping,
    });
    if (!this.targets && !this.stopping && this.full && this.full.reports.every((r) => r.status === 'missing')) {
      return { ...v, status: 'down', detail: `the stack '${this.project}' is not running (baas up starts it)` };
    }
    if (this.fullError && v.status !== 'ok') return { ...v, detail: `${v.detail}; last health check failed: ${this.fullError}` };
    return v;
  }

  private afterChange(): void {
    const v = this.view();
    if (this.lastStatus !== undefined && v.status !== this.lastStatus) {
      this.events.publish('health.changed', `Health ${this.lastStatus} → ${v.status}: ${v.detail}`, { from: this.lastStatus, to: v.status });
      this.deps.logger.info({ from: this.lastStatus, to: v.status }, `health ${v.status}: ${v.detail}`);
    }
    this.lastStatus = v.status;
    this.exposition?.update(this.samples(v));
  }

  private samples(v: HealthView): Sample[] {
    const out: Sample[] = [];
    const s = this.redis?.snapshot;
    if (this.collector && s) {
      for (const n of this.collector.nodeInfos()) {
        out.push(...redisSamples(n.name, n.info));
        out.push({ name: 'baas_redis_master', labels: { instance: n.name }, value: s.master?.name === n.name ? 1 : 0 });
      }
      if (s.sentinel.enabled && s.sentinel.masterAddress) {
        const labels = { master_name: s.sentinel.masterName, master_address: s.sentinel.masterAddress };
        out.push({ name: 'redis_sentinel_master_status', labels: { ...labels, master_status: /o_down|s_down/.test(s.sentinel.flags) ? 'odown' : 'ok' }, value: /o_down|s_down/.test(s.sentinel.flags) ? 0 : 1 });
        if (s.sentinel.replicasSeen !== null) out.push({ name: 'redis_sentinel_master_slaves', labels, value: s.sentinel.replicasSeen });
        if (s.sentinel.sentinelsSeen !== null) out.push({ name: 'redis_sentinel_master_sentinels', labels, value: s.sentinel.sentinelsSeen });
      }
    }
    if (this.pg) out.push(...postgresSamples('postgres', this.pg.sample));
    for (const g of v.services) if (g.status !== 'disabled') out.push({ name: 'baas_up', labels: { service: g.service }, value: g.available ? 1 : 0 });
    for (const g of v.services) for (const c of g.containers) out.push({ name: 'baas_service_healthy', labels: { service: c.service, kind: c.kind, status: c.status }, value: c.status === 'healthy' ? 1 : 0 });
    out.push({ name: 'baas_health_status', labels: {}, value: v.status === 'ok' ? 2 : v.status === 'degraded' ? 1 : 0 });
    const collected = Math.max(this.redis?.at ?? 0, this.pg?.at ?? 0, this.mongo?.at ?? 0);
    if (collected > 0) out.push({ name: 'baas_last_collection_timestamp_seconds', labels: {}, value: collected / 1000 });
    if (this.full) out.push({ name: 'baas_last_health_check_timestamp_seconds', labels: {}, value: this.full.at / 1000 });
    out.push({ name: 'baas_collection_duration_seconds', labels: {}, value: this.collectMs / 1000 });
    out.push({ name: 'baas_failovers_total', labels: {}, value: this.failovers });
    const active = new Map<string, number>();
    for (const a of this.activeAlerts()) active.set(`${a.kind}|${a.severity}`, (active.get(`${a.kind}|${a.severity}`) ?? 0) + 1);
    for (const [k, n] of active) out.push({ name: 'baas_alerts_active', labels: { kind: k.split('|')[0]!, severity: k.split('|')[1]! }, value: n });
    for (const [k, n] of this.firedTotal) out.push({ name: 'baas_alerts_fired_total', labels: { kind: k.split('|')[0]!, severity: k.split('|')[1]! }, value: n });
    for (const [k, n] of this.deliveries) out.push({ name: 'baas_webhook_deliveries_total', labels: { webhook: k.split('|')[0]!, result: k.split('|')[1]! }, value: n });
    if (this.pg?.sample.up || (this.pg && this.pg.branches.length > 0)) {
      out.push({ name: 'baas_branches', labels: {}, value: this.pg.branches.length });
      for (const b of this.pg.branches) {
        out.push({ name: 'baas_branch_size_bytes', labels: { branch: b.branch, database: b.database, parent: b.parent ?? '' }, value: b.bytes });
        out.push({ name: 'baas_branch_expired', labels: { branch: b.branch }, value: b.expired ? 1 : 0 });
      }
    }
    if (this.backups) {
      const labels = { repository: this.backups.repository };
      out.push({ name: 'baas_backups', labels, value: this.backups.count });
      if (this.backups.newest) {
        const at = Date.parse(this.backups.newest.stoppedAt);
        out.push({ name: 'baas_backup_last_success_timestamp_seconds', labels, value: at / 1000 });
        out.push({ name: 'baas_backup_age_seconds', labels, value: Math.max(0, (this.now() - at) / 1000) });
      }
    }
    for (const sc of this.scheduleStates) {
      const labels = { schedule: sc.name, job: sc.job };
      if (sc.lastRun) {
        out.push({ name: 'baas_schedule_last_run_timestamp_seconds', labels, value: Date.parse(sc.lastRun.finishedAt) / 1000 });
        out.push({ name: 'baas_schedule_last_run_success', labels, value: sc.lastRun.ok ? 1 : 0 });
      }
      if (sc.nextRun) out.push({ name: 'baas_schedule_next_run_timestamp_seconds', labels, value: Date.parse(sc.nextRun) / 1000 });
    }
    return out;
  }

  private backupDeps(): BackupDeps {
    const d = this.deps;
    return { runtime: d.runtime, logger: d.logger.child({ component: 'backups' }), loaded: d.loaded, stateDir: d.stateDir, env: d.env };
  }

  /** A scheduled base backup (retention applied as `baas backup create` does), then the listing behind the age metric. */
  private async runBackup(schedule: string): Promise<JobOutcome> {
    const { createBackup } = await import('../backup/create.js');
    // Labels are unique in a repository: the schedule's name and the minute it ran.
    const stamp = new Date(this.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const r = await createBackup(this.backupDeps(), { label: `${schedule}-${stamp}` });
    await this.readBackups();
    const pruned = r.pruned?.removeBackups.length ?? 0;
    return {
      summary: `backup ${r.id} (${r.method}, ${bytes(r.dataBytes)} in ${(r.durationMs / 1000).toFixed(1)} s)${pruned ? `; pruned ${pruned} old one(s)` : ''}`,
      data: { backup: r.id, method: r.method, durationMs: r.durationMs, dataBytes: r.dataBytes, storedBytes: r.storedBytes },
    };
  }

  private async runBackupVerify(): Promise<JobOutcome> {
    const { verifyBackup } = await import('../backup/verify.js');
    const r = await verifyBackup(this.backupDeps());
    const failed = r.checks.filter((c) => !c.ok);
    if (!r.ok) throw new Error(`backup ${r.backup.id} did not verify: ${failed.map((c) => `${c.check}: ${c.detail}`).join('; ')}`);
    return { summary: `backup ${r.backup.id} restored and checked in ${(r.durationMs / 1000).toFixed(1)} s`, data: { backup: r.backup.id, durationMs: r.durationMs } };
  }

  /** Reads the backup repository (at start and after each scheduled backup); failures only log. */
  private async readBackups(): Promise<void> {
    if (!this.deps.loaded.config.backups.enabled || !this.deps.loaded.config.services.postgres.enabled) return;
    try {
      const { listBackups } = await import('../backup/list.js');
      const l = await listBackups(this.backupDeps());
      const usable = l.backups.filter((b) => b.usable);
      const newest = usable.at(-1);
      this.backups = { at: this.now(), repository: l.repository, count: usable.length, ...(newest ? { newest: { id: newest.id, stoppedAt: newest.stoppedAt } } : {}), ...(l.window.latest ? { latest: l.window.latest } : {}) };
    } catch (e) {
      this.deps.logger.warn({ err: messageOf(e) }, 'could not read the backup repository');
    }
  }

  private writeState(extra: { stoppedAt?: string } = {}): void {
    if (!this.url) return;
    try {
      writeAgentState(this.deps.stateDir, { pid: process.pid, project: this.project, url: this.url, startedAt: this.startedAt, updatedAt: new Date(this.now()).toISOString(), schedules: this.scheduleStates, ...extra });
    } catch (e) {
      this.deps.logger.warn({ err: messageOf(e) }, 'could not write .baas/serve.json');
    }
  }

  private async closeProbes(): Promise<void> {
    await this.collector?.stop().catch(() => {});
    await this.pgProbe?.close();
    await this.mongoProbe?.close();
    this.collector = undefined;
    this.pgProbe = undefined;
    this.mongoProbe = undefined;
  }

  /**
   * Clean stop: /health says so at once, the listener closes, requests in flight finish, event
   * streams end, the loops and schedules stop, pending webhooks get a few seconds, state is kept.
   */
  async stop(options: { graceMs?: number; webhookGraceMs?: number } = {}): Promise<{ forcedConnections: number; undelivered: number }> {
    if (this.stopping) return { forcedConnections: 0, undelivered: 0 };
    this.stopping = true;
    this.events.publish('agent.stopping', 'baas serve is stopping.');
    this.deps.logger.info({}, 'stopping: finishing requests in flight');
    const { forced } = (await this.server?.shutdown(options.graceMs ?? 20_000)) ?? { forced: 0 };
    this.wake.collect?.();
    this.wake.health?.();
    this.wake.backups?.();
    await Promise.all([this.scheduler.stop(), ...this.loops]);
    await this.closeProbes();
    const undelivered = this.notifier.inFlight();
    if (undelivered > 0) await this.notifier.drain(options.webhookGraceMs ?? 5000);
    const left = this.notifier.inFlight();
    this.writeState({ stoppedAt: new Date(this.now()).toISOString() });
    this.deps.logger.info({ forcedConnections: forced, undeliveredWebhooks: left }, 'stopped');
    return { forcedConnections: forced, undelivered: left };
  }
}
