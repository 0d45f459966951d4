import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { App } from './app.js';
import { parseDuration } from '../format.js';
import { json } from './format.js';

interface Opts {
  json?: boolean;
  once?: boolean;
  watch?: boolean;
  interval: string;
  count?: string;
  hotkeys: string;
}

const HOTKEY_CHOICES = ['auto', 'lfu', 'monitor', 'off'] as const;
type HotKeyChoice = (typeof HOTKEY_CHOICES)[number];

/** `500`, `500ms`, `2s` → milliseconds; at least 100 ms. */
export function parseInterval(v: string): number {
  const n = parseDuration(v, { defaultUnit: 'ms', units: ['ms', 's'] }) ?? NaN;
  if (!Number.isFinite(n) || n < 100 || n > 600_000) {
    throw new UserError(`--interval must be a duration between 100ms and 600s, not '${v}'.`, { hint: 'For example --interval 1s or --interval 500 (milliseconds).' });
  }
  return Math.round(n);
}

function parseHotkeys(v: string): HotKeyChoice {
  if ((HOTKEY_CHOICES as readonly string[]).includes(v)) return v as HotKeyChoice;
  throw new UserError(`--hotkeys must be one of ${HOTKEY_CHOICES.join(', ')}, not '${v}'.`, { hint: 'auto picks HOTKEYS on Redis 8.6+, OBJECT FREQ with an LFU policy, else sampled MONITOR.' });
}

function parseCount(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--count must be a positive whole number, not '${v}'.`);
  return n;
}

export function registerDashboard(program: Command, app: App): void {
  const io = app.io;

  const open = async (opts: Opts, extra: { once: boolean }) => {
    const intervalMs = parseInterval(opts.interval);
    const hotkeys = parseHotkeys(opts.hotkeys);
    const loaded = await app.config();
    const stateDir = await app.stateDir();
    // With `baas serve` running, show its history from before this dashboard opened, and leave the
    // recording of alerts to it.
    const { dashboardAlertLog } = await import('../serve/history.js');
    const alertLog = await dashboardAlertLog(stateDir, loaded.config.project);
    const { openCollector } = await import('../dashboard/session.js');
    const collector = await openCollector(
      { runtime: await app.runtime(), env: io.env, loaded, stateDir, ...(alertLog ? { alertLog } : {}) },
      // One snapshot examines more keys at once; a live view spreads the work over passes.
      { intervalMs, hotkeys, ...(extra.once ? { lfuBudget: 20_000 } : {}) },
    );
    return { collector, intervalMs, loaded };
  };

  const once = async (opts: Opts) => {
    const { collector, intervalMs } = await open(opts, { once: true });
    const { firstSnapshot } = await import('../dashboard/session.js');
    try {
      const s = await firstSnapshot(collector, Math.min(intervalMs, 1000));
      if (opts.json) io.stdout(json(s));
      else {
        const { snapshotText } = await import('../dashboard/text.js');
        io.stdout(snapshotText(s));
      }
    } finally {
      await collector.stop();
    }
  };

  program
    .command('dashboard')
    .description('live terminal dashboard: Redis metrics, replication, Sentinel and failovers, latency, hot keys, alerts')
    .option('--once', 'print one snapshot and exit (the default when stdout is not a terminal)')
    .option('--json', 'print one snapshot as JSON and exit')
    .option('--interval <duration>', 'refresh interval: 1s, 500ms, or milliseconds', '1s')
    .option('--hotkeys <method>', 'hot-key method: auto, lfu, monitor or off', 'auto')
    .addHelpText('after', `
Examples:
  $ baas dashboard                   live view (q quits, ? help, tab/arrows panels, p pause, +/- interval)
  $ baas dashboard --once            one text snapshot (also what you get when piping)
  $ baas dashboard --json | jq .overview
  $ baas dashboard --hotkeys monitor force sampled MONITOR bursts (100 ms every 5 s)
The dashboard follows Sentinel failovers; alert history is kept in .baas/alerts.jsonl.`)
    .action(async (opts: Opts) => {
      if (opts.once || opts.json || !io.isTTY || !io.stdin) return once(opts);
      const { MIN_COLUMNS, MIN_ROWS } = await import('../dashboard/ui/layout.js');
      if (io.columns < MIN_COLUMNS || io.rows < MIN_ROWS) {
        throw new UserError(`The terminal is too small (${io.columns}x${io.rows}): the dashboard needs at least ${MIN_COLUMNS}x${MIN_ROWS}.`, {
          hint: 'Enlarge the window, or use `baas dashboard --once` for a text snapshot.',
        });
      }
      const { collector, intervalMs, loaded } = await open(opts, { once: false });
      try {
        const { firstSnapshot } = await import('../dashboard/session.js');
        const initial = await firstSnapshot(collector, Math.min(intervalMs, 500));
        const { createElement } = await import('react');
        const { render } = await import('ink');
        const { DashboardApp } = await import('../dashboard/ui/app.js');
        // Alternate screen: the dashboard leaves the scrollback as it found it.
        const screen = (seq: string): void => (io.control ? io.control('stdout', seq) : io.stdout(seq));
        screen('\u001b[?1049h\u001b[H');
        try {
          const instance = render(
            createElement(DashboardApp, { source: collector, initial, initialIntervalMs: intervalMs, thresholds: loaded.config.alerts }),
            { stdin: io.stdin, exitOnCtrlC: true, patchConsole: false, maxFps: 10 },
          );
          await instance.waitUntilExit();
        } finally {
          screen('\u001b[?1049l');
        }
      } finally {
        await collector.stop();
      }
    });

  program
    .command('metrics')
    .description('Redis metrics for scripts: one snapshot, or --watch for one per interval (NDJSON with --json)')
    .option('--json', 'JSON (with --watch: one JSON object per line)')
    .option('--watch', 'keep printing every interval until interrupted (Ctrl-C) or --count is reached')
    .option('--count <n>', 'with --watch: stop after n snapshots')
    .option('--interval <duration>', 'interval: 1s, 500ms, or milliseconds', '1s')
    .option('--hotkeys <method>', 'hot-key method: auto, lfu, monitor or off', 'auto')
    .addHelpText('after', `
Examples:
  $ baas metrics --json | jq '.overview.hitRate'
  $ baas metrics --watch --json --interval 500 | jq -c '{at, master: .master.name, ops: .overview.opsPerSec}'
  $ baas metrics --watch --count 10        ten one-line summaries, one a second
The stream continues through a Sentinel failover and reports it (.failover, .sentinel.events).`)
    .action(async (opts: Opts) => {
      const count = parseCount(opts.count);
      if (!opts.watch) return once(opts);
      const { collector, intervalMs } = await open(opts, { once: false });
      const { firstSnapshot } = await import('../dashboard/session.js');
      const { summaryLine } = await import('../dashboard/text.js');
      let stop = false;
      let wake: (() => void) | undefined;
      const onSignal = () => {
        stop = true;
        wake?.();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const sleep = (ms: number) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      try {
        let n = 0;
        let s = await firstSnapshot(collector, intervalMs, sleep);
        let last = Date.now();
        for (;;) {
          io.stdout(opts.json ? `${JSON.stringify(s)}\n` : summaryLine(s));
          n++;
          if (stop || (count !== undefined && n >= count)) break;
          await sleep(Math.max(0, intervalMs - (Date.now() - last)));
          if (stop) break;
          last = Date.now();
          s = await collector.tick();
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await collector.stop();
      }
    });
}
