import { describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { renderToString } from 'ink';
import { Dashboard } from '../../../src/dashboard/ui/dashboard.js';
import { DashboardApp, nextInterval, type SnapshotSource } from '../../../src/dashboard/ui/app.js';
import { computeLayout } from '../../../src/dashboard/ui/layout.js';
import { degradedSnapshot, failoverSnapshot, history, normalSnapshot } from './fixtures.js';
import type { Snapshot } from '../../../src/dashboard/types.js';
import type { Scheduler } from '../../../src/wait.js';

// eslint-disable-next-line no-control-regex
const plain = (s: string | undefined): string => (s ?? '').replace(/\u001b\[[0-9;]*m/g, '');
const lines = (s: string | undefined): string[] => plain(s).split('\n');

function expectFits(frame: string | undefined, columns: number, rows: number): void {
  const ls = lines(frame);
  expect(ls.length).toBeLessThanOrEqual(rows - 1);
  for (const l of ls) expect([...l].length, `line too wide: ${l}`).toBeLessThanOrEqual(columns);
}

/** Time moves only when the test says so: the refresh timer never races the machine's speed. */
class ManualScheduler implements Scheduler {
  private t = 0;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  schedule(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => void (this.timers = this.timers.filter((x) => x !== timer));
  }
  get pending(): number {
    return this.timers.length;
  }
  /** Fires every timer due within `ms`, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
}

/** Waits for React and ink to commit what the test caused (no assertion on how long that takes). */
const until = (check: () => void): Promise<void> => vi.waitFor(check, { timeout: 10_000, interval: 5 });

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
    const clock = new ManualScheduler();
    const { lastFrame, stdin, unmount } = render(<DashboardApp source={src} initial={normalSnapshot()} initialIntervalMs={250} size={{ columns: 80, rows: 24 }} scheduler={clock} />);
    const frame = () => plain(lastFrame());
    expect(frame()).toContain('master redis-1');
    await until(() => expect(clock.pending).toBe(1)); // the refresh timer is armed
    expect(src.ticks).toBe(0);
    clock.advance(249);
    expect(src.ticks).toBe(0);
    clock.advance(1);
    expect(src.ticks).toBe(1);
    await until(() => expect(clock.pending).toBe(1)); // that refresh is done and the next one armed
    clock.advance(250);
    await until(() => expect(frame()).toContain('master redis-3'));
    expect(src.ticks).toBe(2);
    expect(frame()).toContain('redis-1 → redis-3');
    await until(() => expect(clock.pending).toBe(1));

    stdin.write('?');
    await until(() => expect(frame()).toContain('show / hide this help'));
    stdin.write('?');
    await until(() => expect(frame()).not.toContain('show / hide this help'));
    // Paused means no refresh from the key press on, even before React has re-rendered.
    stdin.write('p');
    clock.advance(250);
    expect(src.ticks).toBe(2);
    await until(() => expect(frame()).toContain('PAUSED'));
    clock.advance(10_000);
    expect(src.ticks).toBe(2);
    stdin.write('p');
    stdin.write('+');
    await until(() => expect(frame()).toContain('every 500ms'));
    await until(() => expect(clock.pending).toBe(1));
    clock.advance(499);
    expect(src.ticks).toBe(2);
    clock.advance(1);
    expect(src.ticks).toBe(3); // refreshing again, at the new interval
    stdin.write('-');
    stdin.write('-');
    await until(() => expect(frame()).toContain('every 250ms')); // clamped at the minimum
    stdin.write('\t');
    stdin.write('\t');
    stdin.write('\t');
    stdin.write('\r');
    await until(() => expect(frame()).not.toContain('Overview'));
    const zoomed = frame();
    expect(zoomed).toContain('Sentinel');
    expectFits(lastFrame(), 80, 24);
    unmount();
  });

  it('keeps running and says so when a refresh fails', async () => {
    const src: SnapshotSource = { tick: async () => Promise.reject(new Error('boom')), historyPoints: () => [] };
    const clock = new ManualScheduler();
    const { lastFrame, unmount } = render(<DashboardApp source={src} initial={normalSnapshot()} initialIntervalMs={250} size={{ columns: 80, rows: 24 }} scheduler={clock} />);
    await until(() => expect(clock.pending).toBe(1));
    clock.advance(250);
    await until(() => expect(plain(lastFrame())).toContain('refresh failed: boom'));
    expect(plain(lastFrame())).toContain('Overview');
    await until(() => expect(clock.pending).toBe(1)); // and tries again
    unmount();
  });

  it('doubles and halves the interval within bounds', () => {
    expect(nextInterval(1000, 1)).toBe(2000);
    expect(nextInterval(1000, -1)).toBe(500);
    expect(nextInterval(250, -1)).toBe(250);
    expect(nextInterval(60_000, 1)).toBe(60_000);
  });
});
