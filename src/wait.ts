/**
 * Waiting as composable strategies with an injected clock (modelled on testcontainers-node's
 * `WaitStrategy` / `CompositeWaitStrategy`): each strategy has its own timeout, a composite
 * runs its steps in order within one deadline, and a timeout says what was last seen. Unit
 * tests pass a fake clock and never sleep.
 */
import { TimeoutError, isBaasError, messageOf } from './errors.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * Cancellable timers, for loops that run until they are stopped (the dashboard's refresh).
 * Tests pass a manual one and move time themselves, so nothing depends on the machine's speed.
 */
export interface Scheduler {
  now(): number;
  /** Runs `fn` once after `ms`; the returned function cancels it. */
  schedule(ms: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  schedule: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export interface ProbeOutcome<T> {
  ok: boolean;
  /** What was seen, reported when the wait times out. */
  detail: string;
  value?: T;
}

export interface WaitOptions {
  clock?: Clock;
  signal?: AbortSignal;
}

export interface WaitStrategy<T = unknown> {
  /** What is waited for, as the timeout message names it. */
  readonly name: string;
  /** This strategy's own limit (a composite also bounds it by what is left of its own). */
  readonly timeoutMs: number;
  /** The same strategy with another timeout. */
  withTimeout(ms: number): WaitStrategy<T>;
  /** Resolves with the outcome that was ok; throws a TimeoutError naming what was last seen. */
  waitUntilReady(options?: WaitOptions): Promise<ProbeOutcome<T>>;
}

export interface PollOptions {
  /** Default: no limit of its own (inside a composite, the composite's deadline applies). */
  timeoutMs?: number;
  /** Pause between two probes (default 250 ms). */
  intervalMs?: number;
}

/**
 * Polls `probe` until it reports ok. A probe that throws counts as "not ready" (its message is
 * what was seen), unless it throws a typed baas error that is not retryable: that means waiting
 * is pointless (the container died) and it ends the wait at once. The TimeoutError keeps the
 * last error as its cause, so a caller can tell why it was not ready.
 */
export function poll<T>(name: string, probe: () => Promise<ProbeOutcome<T>>, options: PollOptions = {}): WaitStrategy<T> {
  const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY;
  const intervalMs = options.intervalMs ?? 250;
  return {
    name,
    timeoutMs,
    withTimeout: (ms) => poll(name, probe, { ...options, timeoutMs: ms }),
    async waitUntilReady(wait: WaitOptions = {}) {
      const clock = wait.clock ?? realClock;
      const deadline = clock.now() + timeoutMs;
      let last: ProbeOutcome<T> = { ok: false, detail: 'not checked yet' };
      let lastError: unknown;
      for (;;) {
        if (wait.signal?.aborted) throw new TimeoutError(`Stopped waiting for ${name}.`);
        try {
          last = await probe();
          lastError = undefined;
        } catch (e) {
          // A typed baas error means the probe knows waiting is pointless (the container died),
          // unless it says the same call may pass later (a server that still refuses connections).
          if (isBaasError(e) && !e.retryable) throw e;
          last = { ok: false, detail: messageOf(e) };
          lastError = e;
        }
        if (last.ok) return last;
        if (clock.now() >= deadline) {
          throw new TimeoutError(`${name} was not ready after ${Math.round(timeoutMs / 1000)} s (last seen: ${last.detail}).`, lastError === undefined ? {} : { cause: lastError });
        }
        await clock.sleep(intervalMs);
      }
    },
  };
}

export interface CompositeOptions {
  timeoutMs?: number;
  /** Each step gets at least this long, even when the deadline is nearly spent (default 1000 ms). */
  minStepMs?: number;
}

/**
 * Runs strategies one after the other within one deadline: each gets its own timeout, bounded
 * by what is left of the composite's. Resolves with the last step's outcome.
 */
export function sequence<T>(name: string, strategies: WaitStrategy<unknown>[], options: CompositeOptions = {}): WaitStrategy<T> {
  const timeoutMs = options.timeoutMs ?? Math.max(0, ...strategies.map((s) => s.timeoutMs));
  const minStepMs = options.minStepMs ?? 1000;
  return {
    name,
    timeoutMs,
    withTimeout: (ms) => sequence<T>(name, strategies, { ...options, timeoutMs: ms }),
    async waitUntilReady(wait: WaitOptions = {}) {
      const clock = wait.clock ?? realClock;
      const deadline = clock.now() + timeoutMs;
      let out: ProbeOutcome<unknown> = { ok: true, detail: 'nothing to wait for' };
      for (const s of strategies) {
        const budget = Math.max(Math.min(s.timeoutMs, deadline - clock.now()), Math.min(minStepMs, s.timeoutMs));
        out = await s.withTimeout(budget).waitUntilReady(wait);
      }
      return out as ProbeOutcome<T>;
    },
  };
}

/** Polls a probe until it reports ok, or throws a TimeoutError that says what was last seen. */
export function waitFor<T>(
  what: string,
  probe: () => Promise<ProbeOutcome<T>>,
  options: { timeoutMs: number; intervalMs?: number; clock?: Clock; signal?: AbortSignal },
): Promise<ProbeOutcome<T>> {
  return poll(what, probe, { timeoutMs: options.timeoutMs, ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}) }).waitUntilReady({
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Runs `task` once if `work` is still pending after `afterMs`: work the process has to do
 * anyway (opening the log) is done while it waits for a server, instead of after. Resolves or
 * rejects as `work` does.
 */
export function whileWaiting<T>(work: Promise<T>, afterMs: number, task: () => void): Promise<T> {
  const timer = setTimeout(() => {
    try {
      task();
    } catch {
      /* the task is an optimisation: its failure is not the work's */
    }
  }, afterMs);
  return work.finally(() => clearTimeout(timer));
}
