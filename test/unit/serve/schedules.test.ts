import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { nextRunAt, Scheduler, validateSchedules } from '../../../src/serve/schedules.js';
import type { ScheduleState } from '../../../src/serve/state.js';

describe('schedules', () => {
  it('finds the next run of a cron expression and of an interval', () => {
    const from = new Date('2026-03-01T10:15:00Z');
    expect(nextRunAt({ name: 'a', job: 'branch-gc', cron: '0 3 * * *', timezone: 'UTC' }, from)?.toISOString()).toBe('2026-03-02T03:00:00.000Z');
    expect(nextRunAt({ name: 'a', job: 'branch-gc', cron: '*/20 * * * *', timezone: 'UTC' }, from)?.toISOString()).toBe('2026-03-01T10:20:00.000Z');
    expect(nextRunAt({ name: 'b', job: 'branch-gc', every: '6h' }, from)?.toISOString()).toBe('2026-03-01T16:15:00.000Z');
  });

  it('reports every bad cron expression with its key', () => {
    try {
      validateSchedules([{ name: 'a', job: 'branch-gc', cron: '61 * * * *' }, { name: 'b', job: 'branch-gc', every: '1h' }, { name: 'c', job: 'branch-gc', cron: '* * * 13 *' }], 'platform.config.yaml');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues.map((i) => i.path)).toEqual(['schedules.0.cron', 'schedules.2.cron']);
    }
  });

  it('runs a job when due, records the result and plans the next run; never overlaps itself', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00Z') });
    try {
      const changes: ScheduleState[] = [];
      let release!: () => void;
      let runs = 0;
      const s = new Scheduler({
        schedules: [{ name: 'gc', job: 'branch-gc', every: '10s' }],
        logger: silentLogger,
        run: () => {
          runs++;
          return new Promise((r) => (release = () => r({ summary: 'deleted 1 expired branch(es): old' })));
        },
        onChange: (st) => void changes.push(st),
      });
      s.start();
      expect(s.states()[0]).toMatchObject({ nextRun: '2026-03-01T10:00:10.000Z', lastRun: null });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(runs).toBe(1);
      expect(s.states()[0]!.running).toBe(true);
      await vi.advanceTimersByTimeAsync(30_000); // still running: no second run piles up
      expect(runs).toBe(1);
      release();
      await vi.advanceTimersByTimeAsync(0);
      expect(s.states()[0]).toMatchObject({ running: false, lastRun: { ok: true, summary: 'deleted 1 expired branch(es): old', durationMs: 30_000 }, nextRun: '2026-03-01T10:00:50.000Z' });
      await s.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('records a failed run and keeps the last run across a restart', async () => {
    const s = new Scheduler({ schedules: [{ name: 'gc', job: 'branch-gc', every: '1h' }], logger: silentLogger, run: async () => Promise.reject(new Error('Postgres refused')), onChange: () => {} });
    await s.runNow('gc');
    const last = s.states()[0]!.lastRun!;
    expect(last).toMatchObject({ ok: false, summary: 'Postgres refused' });
    const again = new Scheduler({ schedules: [{ name: 'gc', job: 'branch-gc', every: '1h' }], logger: silentLogger, run: async () => ({ summary: '' }), onChange: () => {} }, s.states());
    expect(again.states()[0]!.lastRun).toEqual(last);
  });
});
