/**
 * What /health answers, computed from what the agent already has (no probe per request):
 * - the last full `baas health` checks (the same code as `baas health`, run every few seconds
 *   and at once when the collection sees a change), per container;
 * - the last collection (every interval, on connections the agent keeps open): whether the Redis
 *   master answers, which replicas and how many sentinels answer, whether Postgres and MongoDB do.
 * A group (postgres, redis, mongo) is available when clients can use it; it is degraded when it
 * is available but a container is not healthy. Pure.
 */
import type { Snapshot } from '../dashboard/types.js';
import type { HealthReport } from '../services/types.js';

export type Group = 'postgres' | 'redis' | 'mongo';
export type GroupStatus = 'healthy' | 'degraded' | 'down' | 'disabled';
export type OverallStatus = 'ok' | 'degraded' | 'down';

export interface FullCheck {
  at: number;
  reports: HealthReport[];
}

export interface ReachSample {
  at: number;
  reachable: boolean;
  detail: string;
}

export interface HealthInput {
  project: string;
  now: number;
  enabled: Record<Group, boolean>;
  full: FullCheck | undefined;
  /** The Redis collector's last snapshot and when it was taken. */
  redis: { at: number; snapshot: Snapshot } | undefined;
  postgres: ReachSample | undefined;
  mongo: ReachSample | undefined;
  /** Older than this, the collection no longer speaks for the present. */
  staleAfterMs: number;
  fullStaleAfterMs: number;
  /** Set while the agent shuts down: load balancers should stop sending traffic here. */
  stopping?: boolean;
}

export interface GroupView {
  service: Group;
  status: GroupStatus;
  available: boolean;
  detail: string;
  containers: HealthReport[];
}

export interface HealthView {
  status: OverallStatus;
  project: string;
  at: string;
  /** Age of the last collection and of the last full check, in ms (null: none yet). */
  collectedAt: string | null;
  collectionAgeMs: number | null;
  checkedAt: string | null;
  checkAgeMs: number | null;
  services: GroupView[];
  detail: string;
}

const fresh = (at: number | undefined, now: number, max: number): boolean => at !== undefined && now - at <= max;

function groupOf(r: HealthReport): Group {
  return r.kind === 'postgres' ? 'postgres' : r.kind === 'mongo' ? 'mongo' : 'redis';
}

/** A container's report, overridden by a newer collection that saw it stop answering. */
function mergeRedis(reports: HealthReport[], full: FullCheck | undefined, redis: HealthInput['redis'], live: boolean): HealthReport[] {
  if (!redis || !live || (full && full.at >= redis.at)) return reports;
  const s = redis.snapshot;
  const answers = (name: string): boolean | undefined => {
    if (s.master?.name === name) return s.master.reachable;
    const r = s.replication.replicas.find((x) => x.name === name);
    return r ? r.reachable : undefined;
  };
  return reports.map((r) => {
    if (r.kind !== 'redis') return r;
    const ok = answers(r.service);
    if (ok === false && r.status !== 'stopped' && r.status !== 'missing') {
      return { ...r, status: 'unhealthy', detail: `does not answer (collection at ${new Date(redis.at).toISOString()}); last check: ${r.detail}` };
    }
    return r;
  });
}

export function healthView(input: HealthInput): HealthView {
  const { now, full } = input;
  const fullLive = fresh(full?.at, now, input.fullStaleAfterMs);
  const redisLive = fresh(input.redis?.at, now, input.staleAfterMs);
  const reports = mergeRedis(fullLive ? full!.reports : [], full, input.redis, redisLive);
  const services: GroupView[] = [];
  for (const group of ['postgres', 'redis', 'mongo'] as Group[]) {
    if (!input.enabled[group]) {
      services.push({ service: group, status: 'disabled', available: false, detail: 'disabled in the configuration', containers: [] });
      continue;
    }
    const containers = reports.filter((r) => groupOf(r) === group);
    const unhealthy = containers.filter((r) => r.status !== 'healthy');
    let available: boolean;
    let detail: string;
    if (group === 'redis') {
      const s = input.redis?.snapshot;
      if (redisLive && s) {
        available = Boolean(s.master?.reachable);
        const quorum = s.sentinel.enabled ? (s.sentinel.quorumOk === false ? `; Sentinel quorum lost (${s.sentinel.quorumDetail})` : `; ${s.sentinel.sentinelsReachable}/${s.sentinel.sentinelsExpected} sentinels answer`) : '';
        const down = s.replication.replicas.filter((r) => !r.reachable).map((r) => r.name);
        detail = s.master ? `master ${s.master.name} ${s.master.reachable ? 'answers' : 'does not answer'}${s.failover.inProgress ? ' (failover in progress)' : ''}${down.length ? `; not answering: ${down.join(', ')}` : ''}${quorum}` : 'no master known yet';
      } else {
        const master = containers.find((r) => r.role === 'master' && (r.status === 'healthy' || r.status === 'starting'));
        available = fullLive && master !== undefined;
        detail = master ? `master ${master.service} (from the last health check)` : fullLive ? 'no master answers' : 'no recent collection';
      }
    } else {
      const sample = group === 'postgres' ? input.postgres : input.mongo;
      if (sample && fresh(sample.at, now, input.staleAfterMs)) {
        available = sample.reachable;
        detail = sample.detail;
      } else {
        const r = containers[0];
        available = fullLive && r?.status === 'healthy';
        detail = r ? r.detail : fullLive ? 'no container' : 'no recent check';
      }
    }
    const status: GroupStatus = !available ? 'down' : unhealthy.length > 0 ? 'degraded' : 'healthy';
    if (available && unhealthy.length > 0) detail += `; not healthy: ${unhealthy.map((r) => `${r.service} (${r.status})`).join(', ')}`;
    services.push({ service: group, status, available, detail, containers });
  }
  const active = services.filter((s) => s.status !== 'disabled');
  let status: OverallStatus = active.some((s) => s.status === 'down') ? 'down' : active.some((s) => s.status === 'degraded') ? 'degraded' : 'ok';
  let detail = status === 'ok' ? 'every service is healthy' : active.filter((s) => s.status !== 'healthy').map((s) => `${s.service} ${s.status}: ${s.detail}`).join('; ');
  if (!fullLive && !redisLive && !fresh(input.postgres?.at, now, input.staleAfterMs)) {
    status = 'down';
    detail = full ? `no fresh data: the last health check was ${Math.round((now - full.at) / 1000)} s ago` : 'starting: no health check yet';
  }
  if (input.stopping) {
    status = 'down';
    detail = 'the agent is shutting down';
  }
  const collected = Math.max(input.redis?.at ?? -Infinity, input.postgres?.at ?? -Infinity, input.mongo?.at ?? -Infinity);
  return {
    status,
    project: input.project,
    at: new Date(now).toISOString(),
    collectedAt: Number.isFinite(collected) ? new Date(collected).toISOString() : null,
    collectionAgeMs: Number.isFinite(collected) ? now - collected : null,
    checkedAt: full ? new Date(full.at).toISOString() : null,
    checkAgeMs: full ? now - full.at : null,
    services,
    detail,
  };
}

/** One group or one container by name, for /health/<service>. */
export function serviceView(view: HealthView, name: string): { found: false } | { found: true; ok: boolean; body: unknown } {
  const g = view.services.find((s) => s.service === name);
  if (g) return { found: true, ok: g.available && !view.detail.startsWith('the agent is shutting down'), body: { ...g, at: view.at, collectedAt: view.collectedAt, collectionAgeMs: view.collectionAgeMs, checkedAt: view.checkedAt, checkAgeMs: view.checkAgeMs } };
  for (const s of view.services) {
    const c = s.containers.find((r) => r.service === name);
    if (c) return { found: true, ok: c.status === 'healthy', body: { ...c, group: s.service, at: view.at, checkedAt: view.checkedAt, checkAgeMs: view.checkAgeMs } };
  }
  return { found: false };
}
