import { TimeoutError, isBaasError } from '../errors.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface ProbeOutcome<T> {
  ok: boolean;
  /** What was seen, reported when the wait times out. */
  detail: string;
  value?: T;
}

/** Polls a probe until it reports ok, or throws a TimeoutError that says what was last seen. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<ProbeOutcome<T>>,
  options: { timeoutMs: number; intervalMs?: number; clock?: Clock; signal?: AbortSignal },
): Promise<ProbeOutcome<T>> {
  const clock = options.clock ?? realClock;
  const interval = options.intervalMs ?? 250;
  const deadline = clock.now() + options.timeoutMs;
  let last: ProbeOutcome<T> = { ok: false, detail: 'not checked yet' };
  for (;;) {
    if (options.signal?.aborted) throw new TimeoutError(`Stopped waiting for ${what}.`);
    try {
      last = await probe();
    } catch (e) {
      // A typed baas error means the probe knows waiting is pointless (the container died),
      // unless it says the same call may pass later (a server that still refuses connections).
      if (isBaasError(e) && !e.retryable) throw e;
      last = { ok: false, detail: e instanceof Error ? e.message : String(e) };
    }
    if (last.ok) return last;
    if (clock.now() >= deadline) {
      throw new TimeoutError(`${what} was not ready after ${Math.round(options.timeoutMs / 1000)} s (last seen: ${last.detail}).`);
    }
    await clock.sleep(interval);
  }
}
