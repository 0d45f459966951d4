/** The snapshot as plain text, for `--once` and for output that is not a terminal. */
import { bytes } from '../format.js';
import { compact, percent } from './metrics.js';
import type { Snapshot } from './types.js';

export function snapshotText(s: Snapshot): string {
  const o = s.overview;
  const lines: string[] = [];
  const m = s.master;
  lines.push(`baas dashboard · ${s.project} · ${s.at}`);
  lines.push(m ? `Redis master ${m.name} (${m.address}, host ${m.host})${m.reachable ? '' : ' — NOT ANSWERING'}` : 'Redis master: unknown (no node answers)');
  if (o) {
    lines.push(
      `  ops/s ${compact(o.opsPerSec)}   hit rate ${percent(o.hitRate)} (lifetime ${percent(o.hitRateLifetime)})   hits ${o.hits ?? '–'} misses ${o.misses ?? '–'}`,
      `  memory ${bytes(o.usedMemory)} / ${o.maxmemory > 0 ? bytes(o.maxmemory) : 'no limit'}${o.memoryRatio !== null ? ` (${percent(o.memoryRatio, 0)})` : ''}   policy ${o.maxmemoryPolicy}   frag ${o.fragmentation ?? '–'}   keys ${o.keys}`,
      `  evictions/s ${compact(o.evictionsPerSec)}   expirations/s ${compact(o.expirationsPerSec)}   clients ${o.connectedClients} connected, ${o.blockedClients} blocked, ${o.rejectedConnections} rejected   Redis ${o.version}`,
    );
  }
  lines.push('Replication');
  if (s.replication.replicas.length === 0) lines.push('  no replicas');
  for (const r of s.replication.replicas) {
    lines.push(`  ${r.name.padEnd(9)} ${r.address.padEnd(18)} ${r.link.padEnd(14)} lag ${r.lagBytes === null ? '–' : bytes(r.lagBytes)}   last ack ${r.lastAckSeconds === null ? '–' : `${r.lastAckSeconds} s`}`);
  }
  const sv = s.sentinel;
  lines.push('Sentinel');
  if (!sv.enabled) lines.push('  no sentinels configured: no automatic failover');
  else {
    lines.push(
      `  ${sv.masterName} at ${sv.masterAddress ?? '?'}   quorum ${sv.quorum}: ${sv.quorumOk === null ? '?' : sv.quorumOk ? 'OK' : 'NOT OK'}   sentinels ${sv.sentinelsReachable}/${sv.sentinelsExpected} answer, ${sv.sentinelsSeen ?? '?'} seen   replicas seen ${sv.replicasSeen ?? '?'}${sv.flags ? `   flags ${sv.flags}` : ''}`,
    );
    if (s.failover.inProgress) lines.push('  FAILOVER IN PROGRESS');
    if (s.failover.last) lines.push(`  last failover ${s.failover.last.at}: ${s.failover.last.from} → ${s.failover.last.to}`);
    for (const e of sv.events.slice(-5)) lines.push(`  ${e.at.slice(11, 19)} ${e.type} ${e.message}${e.sentinels > 1 ? ` (×${e.sentinels})` : ''}`);
  }
  lines.push('Latency');
  if (s.latency.latest.length === 0 && s.latency.slowlog.length === 0) lines.push('  no latency events over 25 ms, slowlog empty');
  for (const l of s.latency.latest.slice(0, 3)) lines.push(`  ${l.event}: latest ${l.latestMs} ms, max ${l.maxMs} ms (${l.at.slice(11, 19)})`);
  for (const l of s.latency.slowlog.slice(0, 3)) lines.push(`  slowlog ${(l.durationUs / 1000).toFixed(1)} ms ${l.command}`);
  const h = s.hotKeys;
  lines.push(`Hot keys — ${h.method}: ${h.note}`);
  if (h.advice) lines.push(`  cheaper: ${h.advice}`);
  if (h.error) lines.push(`  error: ${h.error}`);
  for (const k of h.keys) lines.push(`  ${compact(k.score).padStart(7)}  ${k.key}`);
  if (h.keys.length === 0 && h.method !== 'off') lines.push('  (nothing sampled yet)');
  lines.push('Alerts');
  if (s.alerts.active.length === 0) lines.push('  none active');
  for (const a of s.alerts.active) lines.push(`  ${a.severity.toUpperCase()} ${a.message}`);
  for (const r of s.alerts.recent.slice(-3)) lines.push(`  history ${r.at.slice(0, 19)} ${r.state} ${r.message}`);
  lines.push(`Postgres: ${s.postgres.enabled ? s.postgres.detail : 'disabled'}`);
  lines.push(`MongoDB: ${s.mongo.enabled ? s.mongo.detail : 'disabled'}`);
  for (const n of s.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

/** One line per interval for `baas metrics --watch` without --json. */
export function summaryLine(s: Snapshot): string {
  const o = s.overview;
  const parts = [
    s.at.slice(11, 19),
    `master ${s.master ? `${s.master.name}${s.master.reachable ? '' : ' DOWN'}` : '?'}`,
    `ops/s ${compact(o?.opsPerSec ?? null)}`,
    `hit ${percent(o?.hitRate ?? null)}`,
    `mem ${o ? bytes(o.usedMemory) : '–'}${o?.memoryRatio != null ? ` (${percent(o.memoryRatio, 0)})` : ''}`,
    `clients ${o?.connectedClients ?? '–'}`,
    `quorum ${s.sentinel.enabled ? (s.sentinel.quorumOk ? 'ok' : 'LOST') : 'n/a'}`,
  ];
  if (s.failover.inProgress) parts.push('FAILOVER');
  if (s.alerts.active.length) parts.push(`alerts: ${s.alerts.active.map((a) => a.kind).join(',')}`);
  return parts.join('  ') + '\n';
}
