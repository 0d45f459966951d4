/**
 * Alert rules (pure), the fired/resolved bookkeeping (pure), and the on-disk history
 * (.baas/alerts.jsonl, one JSON object a line, kept across runs).
 */
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { JsonLinesFile } from '../jsonl.js';
import { bytes } from '../format.js';
import type { HealthReport } from '../services/types.js';
import type { Alert, AlertKind, AlertLog, AlertRecord, Overview, ReplicaView, SentinelView } from './types.js';

export type AlertThresholds = Config['alerts'];

/** Fewer lookups than this in the window and the hit rate says nothing: an idle cache is not an alert. */
export const MIN_LOOKUPS_FOR_HIT_RATE = 100;

export interface AlertInput {
  masterReachable: boolean;
  overview: Overview | null;
  /** Hits and misses summed over the alert window (smooths one bad second). */
  windowHits: number;
  windowMisses: number;
  /** Connections rejected during the alert window. */
  windowRejected: number;
  replicas: ReplicaView[];
  sentinel: SentinelView;
}

export function evaluateAlerts(input: AlertInput, t: AlertThresholds): Alert[] {
  const out: Alert[] = [];
  if (!input.masterReachable) {
    out.push({ id: 'masterDown', kind: 'masterDown', severity: 'critical', message: 'The Redis master does not answer.' });
  }
  const o = input.overview;
  const lookups = input.windowHits + input.windowMisses;
  if (o && lookups >= MIN_LOOKUPS_FOR_HIT_RATE) {
    const rate = input.windowHits / lookups;
    if (rate < t.hitRateBelow) {
      out.push({ id: 'hitRate', kind: 'hitRate', severity: 'warning', message: `Hit rate ${(rate * 100).toFixed(1)}% is below ${(t.hitRateBelow * 100).toFixed(0)}%.` });
    }
  }
  if (o && o.memoryRatio !== null && o.memoryRatio > t.memoryAbove) {
    out.push({
      id: 'memory',
      kind: 'memory',
      severity: o.memoryRatio > 0.98 ? 'critical' : 'warning',
      message: `Memory ${bytes(o.usedMemory)} is ${(o.memoryRatio * 100).toFixed(0)}% of maxmemory ${bytes(o.maxmemory)} (alert above ${(t.memoryAbove * 100).toFixed(0)}%).`,
    });
  }
  out.push(...replicaDownAlerts(input.replicas));
  for (const r of input.replicas) {
    if (r.lagBytes !== null && r.lagBytes > t.replicationLagAboveBytes) {
      out.push({ id: `replicationLag:${r.name}`, kind: 'replicationLag', severity: 'warning', message: `${r.name} lags ${bytes(r.lagBytes)} behind the master (alert above ${bytes(t.replicationLagAboveBytes)}).` });
    }
  }
  // 0 disables the rule (the schema allows it).
  if (t.rejectedConnections > 0 && input.windowRejected >= t.rejectedConnections) {
    out.push({ id: 'rejectedConnections', kind: 'rejectedConnections', severity: 'warning', message: `${input.windowRejected} connection(s) rejected recently (maxclients reached?).` });
  }
  const s = input.sentinel;
  if (s.enabled) {
    if (s.sentinelsReachable === 0) {
      out.push({ id: 'quorumLost', kind: 'quorumLost', severity: 'critical', message: `No sentinel answers: failover is impossible.` });
    } else if (s.quorumOk === false) {
      out.push({ id: 'quorumLost', kind: 'quorumLost', severity: 'critical', message: `Sentinel quorum lost: ${s.quorumDetail}` });
    }
  }
  return out;
}

/** A replica (or a former master) that does not answer: one alert per node. */
export function replicaDownAlerts(replicas: ReplicaView[]): Alert[] {
  return replicas
    .filter((r) => !r.reachable)
    .map((r) => ({ id: `replicaDown:${r.name}`, kind: 'replicaDown' as const, severity: 'warning' as const, message: `Replica ${r.name} (${r.address}) does not answer.` }));
}

/** Postgres client connections close to max_connections: new connections will soon be refused. */
export function postgresConnectionAlerts(pg: { connections: number; maxConnections: number } | null, above: number): Alert[] {
  if (!pg || pg.maxConnections <= 0) return [];
  const ratio = pg.connections / pg.maxConnections;
  if (ratio <= above) return [];
  return [
    {
      id: 'postgresConnections',
      kind: 'postgresConnections',
      severity: ratio >= 0.98 ? 'critical' : 'warning',
      message: `Postgres has ${pg.connections} of ${pg.maxConnections} connections in use (${(ratio * 100).toFixed(0)}%, alert above ${(above * 100).toFixed(0)}%).`,
    },
  ];
}

/**
 * A failed `baas health` check. Redis nodes are left to the rules that watch them every interval
 * (masterDown, replicaDown, replicationLag), so one stopped replica is one alert, not two; and
 * `starting` (up but not converged, e.g. a sentinel during a failover) is not a failure.
 */
export function healthCheckAlerts(reports: HealthReport[]): Alert[] {
  return reports
    .filter((r) => r.kind !== 'redis' && (r.status === 'unhealthy' || r.status === 'stopped' || r.status === 'missing'))
    .map((r) => ({
      id: `healthCheck:${r.service}`,
      kind: 'healthCheck' as const,
      severity: r.kind === 'sentinel' ? ('warning' as const) : ('critical' as const),
      message: `Health check failed for ${r.service}: ${r.status}, ${r.detail}`,
    }));
}

export interface AlertTransition {
  fired: Alert[];
  resolved: Alert[];
}

/** Which alerts started and which ended since the previous evaluation. */
export function diffAlerts(previous: Alert[], current: Alert[]): AlertTransition {
  const prevIds = new Set(previous.map((a) => a.id));
  const curIds = new Set(current.map((a) => a.id));
  return { fired: current.filter((a) => !prevIds.has(a.id)), resolved: previous.filter((a) => !curIds.has(a.id)) };
}

/** The kinds the dashboard's collector evaluates (the others come from `baas serve`). */
export const COLLECTOR_ALERT_KINDS: AlertKind[] = ['hitRate', 'memory', 'replicationLag', 'rejectedConnections', 'quorumLost', 'masterDown', 'replicaDown'];

/**
 * The alerts a previous run left open (fired without a later resolved), so a restart does not fire
 * them again. `kinds`: only those an evaluator owns, so it never "resolves" another one's alerts.
 */
export function openAlerts(history: AlertRecord[], project: string, kinds?: AlertKind[]): Alert[] {
  const open = new Map<string, Alert>();
  for (const r of history) {
    if (r.project !== project || r.state === 'event' || (kinds && !kinds.includes(r.kind))) continue;
    if (r.state === 'fired') open.set(r.id, { id: r.id, kind: r.kind, severity: r.severity, message: r.message });
    else open.delete(r.id);
  }
  return [...open.values()];
}

export function toRecords(t: AlertTransition, project: string, at: string): AlertRecord[] {
  return [...t.fired.map((a) => ({ ...a, at, state: 'fired' as const, project })), ...t.resolved.map((a) => ({ ...a, at, state: 'resolved' as const, project }))];
}

/** .baas/alerts.jsonl: appended to, read back from the tail, kept under ~1 MB by trimming old lines. */
export class FileAlertLog extends JsonLinesFile<AlertRecord> implements AlertLog {
  constructor(file: string, maxBytes = 1024 * 1024) {
    super(file, maxBytes);
  }

  static inStateDir(stateDir: string): FileAlertLog {
    return new FileAlertLog(path.join(stateDir, 'alerts.jsonl'));
  }
}

export class MemoryAlertLog implements AlertLog {
  readonly records: AlertRecord[] = [];
  append(entries: AlertRecord[]): void {
    this.records.push(...entries);
  }
  recent(limit: number): AlertRecord[] {
    return this.records.slice(-limit);
  }
}
