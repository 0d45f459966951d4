/**
 * The one stateful component: refresh timer, pause, interval, focus, zoom, help and terminal
 * size. Data comes from a SnapshotSource (the Collector, or a fake in tests).
 */
import { useApp, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { realScheduler, type Scheduler } from '../../wait.js';
import type { HistoryPoint, Snapshot } from '../types.js';
import { Dashboard } from './dashboard.js';
import { PANELS } from './layout.js';

export interface SnapshotSource {
  tick(): Promise<Snapshot>;
  historyPoints(): HistoryPoint[];
}

export interface DashboardAppProps {
  source: SnapshotSource;
  initial?: Snapshot | null;
  initialIntervalMs: number;
  thresholds?: { memoryAbove: number; hitRateBelow: number };
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  onQuit?: () => void;
  /** The refresh timer (tests pass a manual one and move time themselves). */
  scheduler?: Scheduler;
}

export const MIN_INTERVAL_MS = 250;
export const MAX_INTERVAL_MS = 60_000;

export function nextInterval(ms: number, direction: 1 | -1): number {
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, direction > 0 ? ms * 2 : Math.round(ms / 2)));
}

function useTerminalSize(fixed?: { columns: number; rows: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: fixed?.columns ?? stdout.columns ?? 80, rows: fixed?.rows ?? stdout.rows ?? 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout, fixed?.columns, fixed?.rows]);
  return fixed ?? size;
}

export function DashboardApp(props: DashboardAppProps) {
  const { exit } = useApp();
  const size = useTerminalSize(props.size);
  const [snapshot, setSnapshot] = useState<Snapshot | null>(props.initial ?? null);
  const [history, setHistory] = useState<HistoryPoint[]>(() => props.source.historyPoints().slice());
  const [error, setError] = useState<string | undefined>();
  const [paused, setPaused] = useState(false);
  const [intervalMs, setIntervalMs] = useState(props.initialIntervalMs);
  const [focus, setFocus] = useState(0);
  const [zoom, setZoom] = useState(false);
  const [help, setHelp] = useState(false);
  const busy = useRef(false);
  // Read by the refresh loop: a key press stops refreshes at once, not only after React has
  // committed the new state and run the effect's clean-up (a tick could slip in between).
  const pausedRef = useRef(false);
  const scheduler = props.scheduler ?? realScheduler;

  useEffect(() => {
    if (paused) return;
    let cancelled = false;
    let cancelTimer: (() => void) | undefined;
    const later = (ms: number): void => {
      cancelTimer = scheduler.schedule(ms, () => void run());
    };
    const run = async () => {
      if (cancelled) return;
      // Paused by a key whose state change has not reached this effect yet: look again later.
      if (pausedRef.current) return later(intervalMs);
      if (!busy.current) {
        busy.current = true;
        const started = scheduler.now();
        try {
          const s = await props.source.tick();
          if (!cancelled) {
            setSnapshot(s);
            setHistory(props.source.historyPoints().slice());
            setError(undefined);
          }
        } catch (e) {
          if (!cancelled) setError(`refresh failed: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          busy.current = false;
        }
        if (!cancelled) later(Math.max(50, intervalMs - (scheduler.now() - started)));
        return;
      }
      later(intervalMs);
    };
    later(props.initial ? intervalMs : 0);
    return () => {
      cancelled = true;
      cancelTimer?.();
    };
  }, [paused, intervalMs, props.source, scheduler]);

  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) {
      props.onQuit?.();
      exit();
      return;
    }
    if (input === '?' || input === 'h') return setHelp((h) => !h);
    if (key.escape) {
      setHelp(false);
      setZoom(false);
      return;
    }
    if (input === 'p' || input === ' ') {
      pausedRef.current = !pausedRef.current;
      return setPaused(pausedRef.current);
    }
    if (input === '+' || input === '=') return setIntervalMs((ms) => nextInterval(ms, 1));
    if (input === '-' || input === '_') return setIntervalMs((ms) => nextInterval(ms, -1));
    if (key.return) return setZoom((z) => !z);
    const n = PANELS.length;
    if ((key.tab && key.shift) || key.leftArrow || key.upArrow) return setFocus((f) => (f + n - 1) % n);
    if (key.tab || key.rightArrow || key.downArrow) return setFocus((f) => (f + 1) % n);
  });

  return (
    <Dashboard
      snapshot={snapshot}
      history={history}
      columns={size.columns}
      rows={size.rows}
      focus={PANELS[focus]!}
      zoom={zoom}
      paused={paused}
      help={help}
      intervalMs={intervalMs}
      error={error}
      {...(props.thresholds ? { thresholds: props.thresholds } : {})}
    />
  );
}
