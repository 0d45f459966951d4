import { mkdtempSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { EventBus, FileEventStore } from '../../../src/serve/events.js';
import { dashboardAlertLog, eventRecords, ViewerAlertLog } from '../../../src/serve/history.js';
import { checkExposure, parseListen } from '../../../src/serve/listen.js';
import { readAgentState, writeAgentState } from '../../../src/serve/state.js';
import { systemdUnit } from '../../../src/serve/systemd.js';
import { bearerMatches, ensureToken } from '../../../src/serve/token.js';
import { FileAlertLog, MemoryAlertLog } from '../../../src/dashboard/alerts.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'baas-serve-'));

describe('--listen', () => {
  it('parses host:port and knows loopback', () => {
    expect(parseListen('127.0.0.1:7070')).toEqual({ host: '127.0.0.1', port: 7070, loopback: true });
    expect(parseListen('[::1]:7070')).toEqual({ host: '::1', port: 7070, loopback: true });
    expect(parseListen(':7070')).toEqual({ host: '0.0.0.0', port: 7070, loopback: false });
    expect(parseListen('7070').loopback).toBe(true);
    expect(() => parseListen('example.com:80')).toThrow(/needs an IP address/);
    expect(() => parseListen('127.0.0.1:99999')).toThrow(/host:port/);
  });

  it('refuses a non-loopback address without TLS unless --insecure', () => {
    const open = parseListen('0.0.0.0:7070');
    expect(() => checkExposure(open, false, false)).toThrow(/without TLS/);
    expect(() => checkExposure(open, true, false)).not.toThrow();
    expect(() => checkExposure(open, false, true)).not.toThrow();
    expect(() => checkExposure(parseListen('127.0.0.1:1'), false, false)).not.toThrow();
  });
});

describe('the API token', () => {
  it('is created once, 0600, and compared in constant time', () => {
    const dir = tmp();
    const a = ensureToken(dir);
    expect(a.created).toBe(true);
    expect(statSync(a.file).mode & 0o777).toBe(0o600);
    const b = ensureToken(dir);
    expect(b).toMatchObject({ created: false, token: a.token });
    expect(bearerMatches(`Bearer ${a.token}`, a.token)).toBe(true);
    expect(bearerMatches(`bearer ${a.token}`, a.token)).toBe(true);
    expect(bearerMatches(a.token, a.token)).toBe(false);
    expect(bearerMatches(undefined, a.token)).toBe(false);
  });
});

describe('agent state and history', () => {
  it('tells whether the agent still runs', () => {
    const dir = tmp();
    writeAgentState(dir, { pid: 4242, project: 'shop', url: 'http://127.0.0.1:7070', startedAt: 'a', updatedAt: 'b', schedules: [] });
    expect(readAgentState(dir, () => true)?.running).toBe(true);
    expect(readAgentState(dir, () => false)?.running).toBe(false);
    writeAgentState(dir, { pid: 4242, project: 'shop', url: 'x', startedAt: 'a', updatedAt: 'b', schedules: [], stoppedAt: 'c' });
    expect(readAgentState(dir, () => true)?.running).toBe(false);
  });

  it('keeps event ids increasing across restarts', () => {
    const store = FileEventStore.inStateDir(tmp());
    const a = new EventBus(store);
    a.publish('agent.started', 'one');
    a.publish('branch.created', 'two');
    const b = new EventBus(store);
    expect(b.publish('agent.started', 'three').id).toBe(3);
    expect(b.since(1).map((e) => e.message)).toEqual(['two', 'three']);
  });

  it('merges the agent history into what the dashboard shows, and lets only the agent write', () => {
    const file = new MemoryAlertLog();
    file.append([{ id: 'masterDown', kind: 'masterDown', severity: 'critical', message: 'm', at: '2026-01-01T00:00:02Z', state: 'fired', project: 'p' }]);
    const extra = eventRecords([{ id: 7, at: '2026-01-01T00:00:01Z', type: 'sentinel', message: 'Sentinel +switch-master baas' }, { id: 8, at: 'x', type: 'alert.fired', message: 'dup' }], 'p');
    const log = new ViewerAlertLog(file, extra);
    log.append();
    expect(log.recent(10).map((r) => r.message)).toEqual(['agent: Sentinel +switch-master baas', 'm']);
    expect(file.records).toHaveLength(1);
  });

  it('gives the dashboard a read-only view with the running agent\'s events, and nothing without an agent', async () => {
    const dir = tmp();
    expect(await dashboardAlertLog(dir, 'shop')).toBeUndefined();
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ events: [{ id: 3, at: '2026-01-01T00:00:01Z', type: 'branch.created', message: 'branch feature created' }] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { token } = ensureToken(dir);
      writeAgentState(dir, { pid: process.pid, project: 'shop', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, startedAt: 'a', updatedAt: 'b', schedules: [] });
      const log = await dashboardAlertLog(dir, 'shop');
      expect(seen).toEqual([`/events?limit=50 Bearer ${token}`]);
      expect(log!.recent(10).map((r) => [r.kind, r.message, r.project])).toEqual([['agent', 'agent: branch feature created', 'shop']]);
      log!.append([{ id: 'x', kind: 'memory', severity: 'warning', message: 'not written', at: 'c', state: 'fired', project: 'shop' }]);
      expect(FileAlertLog.inStateDir(dir).recent(10)).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('the systemd unit', () => {
  it('runs baas serve from the project directory, restarting on failure', () => {
    const u = systemdUnit({ project: 'shop', workingDirectory: '/srv/shop', configFile: '/srv/shop/platform.config.yaml', node: '/usr/bin/node', bin: '/opt/baas/bin/baas.js', listen: '127.0.0.1:7070', user: 'ops' });
    expect(u).toContain('ExecStart=/usr/bin/node /opt/baas/bin/baas.js -c /srv/shop/platform.config.yaml serve --listen 127.0.0.1:7070');
    expect(u).toMatch(/WorkingDirectory=\/srv\/shop\n/);
    expect(u).toMatch(/Restart=on-failure/);
    expect(u).toMatch(/User=ops/);
    expect(u).toMatch(/ReadWritePaths=\/srv\/shop\/\.baas/);
  });
});

describe('config for serve', () => {
  const issues = (text: string) => {
    try {
      parseConfigText(text, { env: {} });
      return [];
    } catch (e) {
      return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    }
  };
  it('has defaults for serve, no webhooks and no schedules', () => {
    const c = parseConfigText('');
    expect(c.serve).toEqual({ listen: '127.0.0.1:7070', interval: '1s', healthInterval: '5s' });
    expect(c.alerts.webhooks).toEqual([]);
    expect(c.alerts.postgresConnectionsAbove).toBe(0.9);
    expect(c.schedules).toEqual([]);
  });
  it('reports bad webhooks and schedules with their paths', () => {
    expect(issues('alerts:\n  webhooks:\n    - url: ftp://x\n      format: teams\n')).toEqual([expect.stringMatching(/^alerts\.webhooks\.0\.url: /), expect.stringMatching(/^alerts\.webhooks\.0\.format: /)]);
    expect(issues('schedules:\n  - name: gc\n    job: branch-gc\n  - name: gc2\n    job: backup\n    every: 6h\n')).toEqual([
      'schedules.0: give exactly one of `cron` (e.g. "0 3 * * *") or `every` (e.g. 6h)',
      expect.stringMatching(/^schedules\.1\.job: /),
    ]);
    expect(issues('schedules:\n  - name: gc\n    job: branch-gc\n    every: 100ms\n  - name: gc\n    job: branch-gc\n    every: 1h\n')).toEqual(['schedules.0.every: must be at least 1s', "schedules.1.name: 'gc' is used by an earlier schedule"]);
    expect(issues('schedules:\n  - name: gc\n    job: branch-gc\n    cron: "* *"\n')).toEqual(['schedules.0.cron: must have 5 fields (minute hour day month weekday), or 6 with seconds first']);
  });
  it('takes backup schedules only when backups are on', () => {
    expect(issues('schedules:\n  - name: nightly\n    job: backup\n    cron: "0 3 * * *"\n')).toEqual([expect.stringMatching(/^schedules\.0\.job: 'backup' needs backups: set backups\.enabled/)]);
    expect(issues('profile: server\nschedules:\n  - name: nightly\n    job: backup\n    cron: "0 3 * * *"\n  - name: drill\n    job: backup-verify\n    every: 7d\n')).toEqual([]);
    expect(issues('backups:\n  enabled: true\nschedules:\n  - name: nightly\n    job: backup\n    every: 1d\n')).toEqual([]);
  });
});
