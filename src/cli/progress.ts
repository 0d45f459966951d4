import type { UpEvent } from '../stack/up.js';
import type { Io } from './io.js';
import { terminalSafe } from '../terminal-text.js';

export interface Progress {
  event(e: UpEvent): void;
  done(): void;
}

const SYMBOL: Record<string, string> = {
  healthy: '✔',
  failed: '✖',
  unchanged: '✔',
  ready: '✔',
  remove: '−',
};

/**
 * In a terminal: one live line per service (phase and elapsed time), redrawn in place.
 * Without one: a plain line per event. With --json: one JSON object per event (NDJSON on stderr,
 * so stdout carries only the final result).
 */
export function createProgress(io: Io, mode: 'tty' | 'plain' | 'json' | 'none'): Progress {
  if (mode === 'none') return { event() {}, done() {} };
  if (mode === 'json') return { event: (e) => io.stderr(`${JSON.stringify({ type: 'progress', ...e })}\n`), done() {} };
  if (mode === 'plain') {
    return {
      event: (e) => io.stderr(`${(e.elapsedMs / 1000).toFixed(1).padStart(5)}s  ${e.service.padEnd(12)} ${e.phase}${e.detail ? `  ${e.detail}` : ''}\n`),
      done() {},
    };
  }
  const rows = new Map<string, { phase: string; since: number; detail?: string; final: boolean }>();
  let drawn = 0;
  const started = Date.now();
  const draw = (): void => {
    const now = Date.now() - started;
    const lines = [...rows.entries()].map(([service, r]) => {
      const sym = SYMBOL[r.phase] ?? spinner(now);
      const t = r.final ? `${(r.since / 1000).toFixed(1)}s` : `${(now / 1000).toFixed(1)}s`;
      const detail = r.detail ? `  ${r.detail}` : '';
      return `${sym} ${service.padEnd(12)} ${r.phase.padEnd(10)} ${t.padStart(6)}${detail}`.slice(0, io.columns - 1);
    });
    let out = drawn > 0 ? `\u001b[${drawn}A` : '';
    for (const l of lines) out += `\u001b[2K${terminalSafe(l)}\n`;
    if (io.control) io.control('stderr', out);
    else io.stderr(out);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    event(e) {
      const final = e.phase === 'healthy' || e.phase === 'failed' || e.phase === 'remove' || e.phase === 'ready';
      rows.set(e.service, { phase: e.phase === 'unchanged' ? 'waiting' : e.phase, since: e.elapsedMs, ...(e.detail && e.phase !== 'healthy' ? { detail: e.detail } : {}), final });
      draw();
    },
    done() {
      clearInterval(timer);
      if (rows.size > 0) draw();
    },
  };
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const spinner = (t: number): string => FRAMES[Math.floor(t / 100) % FRAMES.length]!;
