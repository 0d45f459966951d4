import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffAlerts, evaluateAlerts, FileAlertLog, healthCheckAlerts, openAlerts, postgresConnectionAlerts, toRecords, type AlertInput } from '../../../src/dashboard/alerts.js';
import { normalSnapshot } from './fixtures.js';

const thresholds = { hitRateBelow: 0.8, memoryAbove: 0.9, replicationLagAboveBytes: 1_048_576, rejectedConnections: 1 };
const input = (over: Partial<AlertInput> = {}): AlertInput => {
  const s = normalSnapshot();
  return { masterReachable: true, overview: s.overview, windowHits: 900, windowMisses: 100, windowRejected: 0, replicas: s.replication.replicas, sentinel: s.sentinel, ...over };
};

describe('evaluateAlerts', () => {
  it('is quiet on a healthy stack', () => {
    expect(evaluateAlerts(input(), thresholds)).toEqual([]);
  });

  it('fires each threshold from platform.config.yaml', () => {
    const s = normalSnapshot();
    const alerts = evaluateAlerts(
      input({
        windowHits: 100,
        windowMisses: 400,
        windowRejected: 2,
        overview: { ...s.overview!, memoryRatio: 0.95, usedMemory: 950, maxmemory: 1000 },
        replicas: [{ ...s.replication.replicas[0]!, lagBytes: 5_000_000 }],
        sentinel: { ...s.sentinel, quorumOk: false, quorumDetail: 'NOQUORUM 1 usable Sentinels' },
      }),
      thresholds,
    );
    expect(alerts.map((a) => a.kind)).toEqual(['hitRate', 'memory', 'replicationLag', 'rejectedConnections', 'quorumLost']);
    expect(alerts.find((a) => a.kind === 'quorumLost')!.severity).toBe('critical');
  });

  it('does not call an idle cache a low hit rate', () => {
    expect(evaluateAlerts(input({ windowHits: 1, windowMisses: 20 }), thresholds)).toEqual([]);
  });

  it('reports a master that does not answer and sentinels that are all gone', () => {
    const s = normalSnapshot();
    const kinds = evaluateAlerts(input({ masterReachable: false, overview: null, sentinel: { ...s.sentinel, sentinelsReachable: 0 } }), thresholds).map((a) => a.kind);
    expect(kinds).toEqual(['masterDown', 'quorumLost']);
  });

  it('has no quorum alert when no sentinels are configured', () => {
    const s = normalSnapshot();
    expect(evaluateAlerts(input({ sentinel: { ...s.sentinel, enabled: false, sentinelsReachable: 0, quorumOk: null } }), thresholds)).toEqual([]);
  });
});

describe('rules added for baas serve', () => {
  it('fires one alert per replica that stops answering', () => {
    const s = normalSnapshot();
    const [r1, r2] = s.replication.replicas;
    const alerts = evaluateAlerts(input({ replicas: [{ ...r1!, reachable: false, lagBytes: null }, r2!] }), thresholds);
    expect(alerts.map((a) => a.id)).toEqual([`replicaDown:${r1!.name}`]);
    expect(alerts[0]!.message).toContain('does not answer');
  });

  it('warns when Postgres connections near max_connections, critical when nearly full', () => {
    expect(postgresConnectionAlerts({ connections: 80, maxConnections: 100 }, 0.9)).toEqual([]);
    expect(postgresConnectionAlerts({ connections: 91, maxConnections: 100 }, 0.9)).toMatchObject([{ id: 'postgresConnections', severity: 'warning' }]);
    expect(postgresConnectionAlerts({ connections: 99, maxConnections: 100 }, 0.9)[0]!.severity).toBe('critical');
    expect(postgresConnectionAlerts(null, 0.9)).toEqual([]);
  });

  it('turns a failed health check into an alert, leaving Redis nodes to their own rules and ignoring "starting"', () => {
    const alerts = healthCheckAlerts([
      { service: 'postgres', kind: 'postgres', status: 'unhealthy', detail: 'connect ECONNREFUSED' },
      { service: 'redis-2', kind: 'redis', status: 'stopped', detail: 'container is exited' },
      { service: 'sentinel-1', kind: 'sentinel', status: 'starting', detail: 'sees 2/3 sentinels' },
      { service: 'sentinel-2', kind: 'sentinel', status: 'stopped', detail: 'container is exited' },
      { service: 'mongo', kind: 'mongo', status: 'healthy', detail: 'primary' },
    ]);
    expect(alerts.map((a) => `${a.id}:${a.severity}`)).toEqual(['healthCheck:postgres:critical', 'healthCheck:sentinel-2:warning']);
  });
});

describe('alert history', () => {
  const a = { id: 'memory', kind: 'memory' as const, severity: 'warning' as const, message: 'm' };
  const b = { id: 'hitRate', kind: 'hitRate' as const, severity: 'warning' as const, message: 'h' };

  it('records fired and resolved transitions only', () => {
    const t = diffAlerts([a], [b]);
    expect(t.fired).toEqual([b]);
    expect(t.resolved).toEqual([a]);
    expect(toRecords(t, 'p', 'now').map((r) => `${r.id}:${r.state}`)).toEqual(['hitRate:fired', 'memory:resolved']);
  });

  it('keeps the history on disk across runs and knows which alerts are still open', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-alerts-'));
    const log1 = FileAlertLog.inStateDir(dir);
    log1.append(toRecords({ fired: [a, b], resolved: [] }, 'p', '2026-01-01T00:00:00Z'));
    log1.append(toRecords({ fired: [], resolved: [a] }, 'p', '2026-01-01T00:01:00Z'));
    log1.append([{ ...a, id: 'failover:1', kind: 'failover', at: 'x', state: 'event', project: 'p' }]);
    const log2 = FileAlertLog.inStateDir(dir); // a later run
    expect(log2.recent(10)).toHaveLength(4);
    expect(openAlerts(log2.recent(10), 'p').map((x) => x.id)).toEqual(['hitRate']);
    expect(openAlerts(log2.recent(10), 'other')).toEqual([]);
    expect(readFileSync(path.join(dir, 'alerts.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
  });
});
