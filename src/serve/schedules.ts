/**
 * Recurring jobs of the agent (`schedules:` in the config): branch gc now, backups once they
 * exist. Cron expressions are read by croner (next run times only: the timers are ours, so a
 * job never overlaps itself and tests can drive time). Intervals run every N after the start.
 */
import { Cron } from 'croner';
import { parseDuration, type ScheduleConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ScheduleRun, ScheduleState } from './state.js';

export interface JobOutcome {
  summary: string;
  data?: Record<string, unknown>;
}

export type JobRunner = (job: ScheduleConfig['job'], schedule: ScheduleConfig) => Promise<JobOutcome>;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Longest single wait (setTimeout's limit is ~24.8 days): a yearly cron waits in steps. */
const MAX_WAIT_MS = 2 ** 31 - 1;

export function describeSchedule(s: ScheduleConfig): string {
  return s.cron !== undefined ? `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}` : `every ${s.every}`;
}

/** Checks every cron expression with the parser that will run it; all problems at once. */
export function validateSchedules(list: ScheduleConfig[], file: string | undefined): void {
  const issues = list.flatMap((s, i) => {
    if (s.cron === undefined) return [];
    try {
      const c = new Cron(s.cron, { paused: true, ...(s.timezone ? { timezone: s.timezone } : {}) });
      if (c.nextRun(new Date()) === null) return [{ path: `schedules.${i}.cron`, message: `'${s.cron}' never runs` }];
      return [];
    } catch (e) {
      return [{ path: `schedules.${i}.${/time ?zone/i.test(String(e)) ? 'timezone' : 'cron'}`, message: e instanceof Error ? e.message : String(e) }];
    }
  });
  if (issues.length > 0) throw new ConfigError(file, issues, { hint: 'Cron has 5 fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *" for 03:00 every day.' });
}

/** When a schedule runs next after `from` (intervals count from the previous run, or the start). */
export function nextRunAt(s: ScheduleConfig, from: Date): Date | null {
  if (s.every !== undefined) return new Date(from.getTime() + parseDuration(s.every));
  return new Cron(s.cron!, { paused: true, ...(s.timezone ? { timezone: s.timezone } : {}) }).nextRun(from);
}

export interface SchedulerDeps {
  schedules: ScheduleConfig[];
  run: JobRunner;
  now?: () => number;
  timers?: Timers;
  logger: Logger;
  /** After every run (and when next runs change): the agent publishes an event and rewrites its state file. */
  onChange: (state: ScheduleState, run?: ScheduleRun & { data?: Record<string, unknown> }) => void;
}

interface Entry {
  spec: ScheduleConfig;
  state: ScheduleState;
  handle: unknown;
  current: Promise<void> | undefined;
}

export class Scheduler {
  private readonly entries: Entry[];
  private readonly now: () => number;
  private readonly timers: Timers;
  private stopped = false;

  constructor(
    private readonly deps: SchedulerDeps,
    previous: ScheduleState[] = [],
  ) {
    this.now = deps.now ?? Date.now;
    this.timers = deps.timers ?? realTimers;
    this.entries = deps.schedules.map((spec) => ({
      spec,
      // The last run survives a restart (it is in .baas/serve.json), so `baas status` keeps showing it.
      state: { name: spec.name, job: spec.job, schedule: describeSchedule(spec), lastRun: previous.find((p) => p.name === spec.name && p.job === spec.job)?.lastRun ?? null, nextRun: null, running: false },
      handle: undefined,
      current: undefined,
    }));
  }

  start(): void {
    for (const e of this.entries) this.plan(e, new Date(this.now()));
  }

  states(): ScheduleState[] {
    return this.entries.map((e) => ({ ...e.state }));
  }

  /** Runs a schedule now (tests, and `POST`-less manual runs later); skipped when it is already running. */
  async runNow(name: string): Promise<void> {
    const e = this.entries.find((x) => x.spec.name === name);
    if (e) await this.fire(e, false);
  }

  private plan(e: Entry, from: Date): void {
    if (this.stopped) return;
    const next = nextRunAt(e.spec, from);
    e.state.nextRun = next ? next.toISOString() : null;
    this.deps.onChange({ ...e.state });
    if (!next) return;
    const wait = (): void => {
      const ms = next.getTime() - this.now();
      if (ms > MAX_WAIT_MS) {
        e.handle = this.timers.setTimeout(wait, MAX_WAIT_MS);
        return;
      }
      e.handle = this.timers.setTimeout(() => void this.fire(e, true), Math.max(0, ms));
    };
    wait();
  }

  private async fire(e: Entry, replan: boolean): Promise<void> {
    if (this.stopped) return;
    if (e.current) {
      this.deps.logger.warn({ schedule: e.spec.name }, 'schedule skipped: the previous run is still going');
      if (replan) this.plan(e, new Date(this.now()));
      return;
    }
    const started = this.now();
    e.state.running = true;
    e.current = (async () => {
      let run: ScheduleRun & { data?: Record<string, unknown> };
      try {
        const out = await this.deps.run(e.spec.job, e.spec);
        run = { startedAt: new Date(started).toISOString(), finishedAt: new Date(this.now()).toISOString(), ok: true, summary: out.summary, durationMs: this.now() - started, ...(out.data ? { data: out.data } : {}) };
        this.deps.logger.info({ schedule: e.spec.name, job: e.spec.job, durationMs: run.durationMs, summary: out.summary }, 'schedule ran');
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        run = { startedAt: new Date(started).toISOString(), finishedAt: new Date(this.now()).toISOString(), ok: false, summary: message, durationMs: this.now() - started };
        this.deps.logger.error({ schedule: e.spec.name, job: e.spec.job, err: message }, 'schedule failed');
      }
      const { data: _data, ...lastRun } = run;
      e.state.lastRun = lastRun;
      e.state.running = false;
      e.current = undefined;
      // Intervals count from the end of a run, so a slow run never piles up; cron keeps its clock.
      if (replan) this.plan(e, new Date(this.now()));
      this.deps.onChange({ ...e.state }, run);
    })();
    await e.current;
  }

  /** Cancels the timers and waits for running jobs (at most `ms`). */
  async stop(ms = 10_000): Promise<void> {
    this.stopped = true;
    for (const e of this.entries) if (e.handle !== undefined) this.timers.clearTimeout(e.handle);
    const running = this.entries.map((e) => e.current).filter((p): p is Promise<void> => p !== undefined);
    if (running.length === 0) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(running), new Promise((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
  }
}
