/**
 * Alert rules (pure), the fired/resolved bookkeeping (pure), and the on-disk history
 * (.baas/alerts.jsonl, one JSON object a line, kept across runs).
 */
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { ensurePrivateDir, touchPrivateFile, writePrivateFile } from '../private-files.js';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { bytes } from '../format.js';
import type { Alert, AlertLog, AlertRecord, Overview, ReplicaView, SentinelView } from './types.js';

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

/** The alerts a previous run left open (fired without a later resolved), so a restart does not fire them again. */
export function openAlerts(history: AlertRecord[], project: string): Alert[] {
  const open = new Map<string, Alert>();
  for (const r of history) {
    if (r.project !== project || r.state === 'event') continue;
    if (r.state === 'fired') open.set(r.id, { id: r.id, kind: r.kind, severity: r.severity, message: r.message });
    else open.delete(r.id);
  }
  return [...open.values()];
}

export function toRecords(t: AlertTransition, project: string, at: string): AlertRecord[] {
  return [...t.fired.map((a) => ({ ...a, at, state: 'fired' as const, project })), ...t.resolved.map((a) => ({ ...a, at, state: 'resolved' as const, project }))];
}

/** Appends to a JSON-lines file; reads back only the tail. Keeps the file under ~1 MB by trimming old lines. */
export class FileAlertLog implements AlertLog {
  constructor(
    readonly file: string,
    private readonly maxBytes = 1024 * 1024,
  ) {}

  static inStateDir(stateDir: string): FileAlertLog {
    return new FileAlertLog(path.join(stateDir, 'alerts.jsonl'));
  }

  append(entries: AlertRecord[]): void {
    if (entries.length === 0) return;
    ensurePrivateDir(path.dirname(this.file));
    touchPrivateFile(this.file);
    appendFileSync(this.file, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    if (statSync(this.file).size > this.maxBytes) {
      const lines = readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
      writePrivateFile(this.file, lines.slice(Math.floor(lines.length / 2)).join('\n') + '\n');
    }
  }

  recent(limit: number): AlertRecord[] {
    if (!existsSync(this.file)) return [];
    const out: AlertRecord[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as AlertRecord);
      } catch {
        /* a torn line from a crash: skip it */
      }
    }
    return out.slice(-limit);
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
