import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { renderToString } from 'ink';
import { Dashboard } from '../../../src/dashboard/ui/dashboard.js';
import { DashboardApp, nextInterval, type SnapshotSource } from '../../../src/dashboard/ui/app.js';
import { computeLayout } from '../../../src/dashboard/ui/layout.js';
import { degradedSnapshot, failoverSnapshot, history, normalSnapshot } from './fixtures.js';
import type { Snapshot } from '../../../src/dashboard/types.js';

// eslint-disable-next-line no-control-regex
const plain = (s: string | undefined): string => (s ?? '').replace(/\u001b\[[0-9;]*m/g, '');
const lines = (s: string | undefined): string[] => plain(s).split('\n');

function expectFits(frame: string | undefined, columns: number, rows: number): void {
  const ls = lines(frame);
  expect(ls.length).toBeLessThanOrEqual(rows - 1);
  for (const l of ls) expect([...l].length, `line too wide: ${l}`).toBeLessThanOrEqual(columns);
}

const wait = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('Dashboard (display-only)', () => {
  it('shows every panel of a healthy stack in 80x24', () => {
    const { lastFrame } = render(<Dashboard snapshot={normalSnapshot()} history={history()} columns={80} rows={24} intervalMs={1000} focus="overview" />);
    const f = plain(lastFrame());
    expectFits(lastFrame(), 80, 24);
    for (const text of ['baas · shop', 'redis-1 127.0.0.1:6379', 'Overview', 'History', 'Replication', 'Sentinel', 'Latency', 'Hot keys', 'Alerts', 'Postgres', 'MongoDB']) expect(f).toContain(text);
    expect(f).toContain('ops/s 12.3k');
    expect(f).toContain('hit 95.3%');
    expect(f).toMatch(/mem █+░+ 64 MB\/256 MB/);
    expect(f).toMatch(/redis-2 +online/);
    expect(f).toContain('quorum 2 OK');
    expect(f).toContain('sentinels 3/3 up');
    expect(f).toContain('user:42:session');
    expect(f).toContain('lfu · LFU counter');
    expect(f).toContain('no active alerts');
    expect(f).toContain('4/100 connections, 3 database(s) (2 branches)');
    expect(f).toContain('MongoDB disabled');
    expect(f).toContain('q quit');
  });

  it('shows a degraded stack: alerts, lost quorum, an unreachable replica and Postgres', () => {
    const { lastFrame } = render(<Dashboard snapshot={degradedSnapshot()} history={history()} columns={80} rows={24} intervalMs={1000} />);
    const f = plain(lastFrame());
    expectFits(lastFrame(), 80, 24);
    expect(f).toContain('quorum 2 LOST');
    expect(f).toContain('sentinels 1/3 up');
    expect(f).toMatch(/redis-3 +unreachable/);
    expect(f).toContain('Hit rate 41.0% is below 80%.');
    expect(f).toContain('Sentinel quorum lost');
    expect(f).toContain('Postgres unreachable');
    expect(f).toContain('redis-3 does not answer');
  });

  it('shows a failover: the new master, the switch and the events', () => {
    const { lastFrame } = render(<Dashboard snapshot={failoverSnapshot()} history={history()} columns={80} rows={24} intervalMs={1000} />);
    const f = plain(lastFrame());
    expectFits(lastFrame(), 80, 24);
    expect(f).toContain('master redis-3 127.0.0.1:6381');
    expect(f).toContain('failover 10:11:11 redis-1 → redis-3');
    expect(f).toContain('+switch-master');
    expect(f).toMatch(/redis-1 +unreachable/);
  });

  it('uses more room on a bigger terminal: more events, alert history and longer sparklines', () => {
    const small = plain(renderToString(<Dashboard snapshot={failoverSnapshot()} history={history()} columns={80} rows={24} intervalMs={1000} />, { columns: 80 }));
    const big = renderToString(<Dashboard snapshot={failoverSnapshot()} history={history()} columns={140} rows={44} intervalMs={1000} />, { columns: 140 });
    expectFits(big, 140, 44);
    const b = plain(big);
    expect(lines(big).length).toBeGreaterThan(lines(small).length);
    expect(b).toContain('+odown');
    expect(b).toContain('+sdown');
    expect(b).toContain('Failover: the master moved from redis-1 to redis-3.');
    const spark = (s: string) => Math.max(...s.split('\n').filter((l) => l.includes('ops ')).map((l) => (l.match(/[▁▂▃▄▅▆▇█]/g) ?? []).length));
    expect(spark(b)).toBeGreaterThan(spark(small));
  });

  it('says clearly when the terminal is too small', () => {
    const { lastFrame } = render(<Dashboard snapshot={normalSnapshot()} history={[]} columns={50} rows={14} intervalMs={1000} />);
    const f = plain(lastFrame()).replace(/\s+/g, ' ');
    expect(f).toContain('Terminal too small (50x14)');
    expect(f).toContain('at least 60x16');
    expectFits(lastFrame(), 50, 14);
  });

  it('never lays out more lines than the terminal has', () => {
    for (let rows = 16; rows <= 80; rows++) {
      const l = computeLayout(100, rows);
      const used = 1 + 1 + 2 + (1 + l.alertLines) + l.rows.reduce((a, r) => a + r + 1, 0);
      expect(used, `rows=${rows}`).toBe(rows - 1);
    }
    for (const [c, r] of [[60, 16], [80, 24], [200, 60]] as const) {
      expectFits(renderToString(<Dashboard snapshot={degradedSnapshot()} history={history()} columns={c} rows={r} intervalMs={1000} help />, { columns: c }), c, r);
      expectFits(renderToString(<Dashboard snapshot={failoverSnapshot()} history={history()} columns={c} rows={r} intervalMs={1000} focus="sentinel" zoom />, { columns: c }), c, r);
    }
  });
});

describe('DashboardApp (the stateful container)', () => {
  const source = (snapshots: Snapshot[]): SnapshotSource & { ticks: number } => {
    const s = {
      ticks: 0,
      async tick() {
        const snap = snapshots[Math.min(s.ticks, snapshots.length - 1)]!;
        s.ticks++;
        return snap;
      },
      historyPoints: () => history(30),
    };
    return s;
  };

  it('refreshes, follows a failover without restarting, and answers the keys', async () => {
    const src = source([normalSnapshot(), failoverSnapshot()]);
    const { lastFrame, stdin, unmount } = render(<DashboardApp source={src} initial={normalSnapshot()} initialIntervalMs={250} size={{ columns: 80, rows: 24 }} />);
    expect(plain(lastFrame())).toContain('master redis-1');
    await wait(700);
    expect(src.ticks).toBeGreaterThanOrEqual(2);
    expect(plain(lastFrame())).toContain('master redis-3');
    expect(plain(lastFrame())).toContain('redis-1 → redis-3');

    stdin.write('?');
    await wait();
    expect(plain(lastFrame())).toContain('show / hide this help');
    stdin.write('?');
    await wait();
    stdin.write('p');
    await wait();
    expect(plain(lastFrame())).toContain('PAUSED');
    const paused = src.ticks;
    await wait(600);
    expect(src.ticks).toBe(paused);
    stdin.write('p');
    stdin.write('+');
    await wait();
    expect(plain(lastFrame())).toContain('every 500ms');
    stdin.write('-');
    stdin.write('-');
    await wait();
    expect(plain(lastFrame())).toContain('every 250ms'); // clamped at the minimum
    stdin.write('\t');
    stdin.write('\t');
    stdin.write('\t');
    await wait();
    stdin.write('\r');
    await wait();
    const zoomed = plain(lastFrame());
    expect(zoomed).toContain('Sentinel');
    expect(zoomed).not.toContain('Overview');
    expectFits(lastFrame(), 80, 24);
    unmount();
  });

  it('keeps running and says so when a refresh fails', async () => {
    const src: SnapshotSource = { tick: async () => Promise.reject(new Error('boom')), historyPoints: () => [] };
    const { lastFrame, unmount } = render(<DashboardApp source={src} initial={normalSnapshot()} initialIntervalMs={250} size={{ columns: 80, rows: 24 }} />);
    await wait(400);
    expect(plain(lastFrame())).toContain('refresh failed: boom');
    expect(plain(lastFrame())).toContain('Overview');
    unmount();
  });

  it('doubles and halves the interval within bounds', () => {
    expect(nextInterval(1000, 1)).toBe(2000);
    expect(nextInterval(1000, -1)).toBe(500);
    expect(nextInterval(250, -1)).toBe(250);
    expect(nextInterval(60_000, 1)).toBe(60_000);
  });
});
