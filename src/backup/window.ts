/**
 * The recoverable window, pure: which base backups can be restored (their WAL is all there, on
 * the history the server follows), and from which moment to which moment the archive can bring
 * the database back. A backup restores to any moment from the end of its copy (`stoppedAt`) to
 * the last WAL segment archived without a gap after it; the window is the union of those ranges.
 */
import { UserError, ExitCode } from '../errors.js';
import type { Manifest } from './manifest.js';
import type { RepoListing, WalFile } from './repo.js';
import {
  DEFAULT_SEGMENT_SIZE,
  formatLsn,
  isLsn,
  parseLsn,
  segmentOf,
  segmentStart,
  timelineForLsn,
  timelineForSegment,
  timelinePath,
  type PathEntry,
} from './wal.js';

export interface BackupState {
  manifest: Manifest;
  usable: boolean;
  /** Why it cannot be restored. */
  problem?: string;
  /** The moment and LSN the archive reaches without a gap after this backup. */
  reachesAt?: string;
  reachesLsn?: string;
}

export interface WindowRange {
  from: string;
  to: string;
  fromLsn: string;
  toLsn: string;
  /** Backups that restore into this range. */
  backups: string[];
}

export interface RecoveryWindow {
  /** The timeline the archive's history leads to (the one a restore follows). */
  timeline: number;
  ranges: WindowRange[];
  earliest: string | undefined;
  latest: string | undefined;
  /** Archived WAL on the followed history: count and bytes. */
  segments: number;
  walBytes: number;
  /** Segments missing between two present ones (the window breaks there). */
  gaps: string[];
  /** The last range reaches the newest archived segment: WAL archived from now on extends it. */
  openEnded: boolean;
}

export interface Analysis {
  backups: BackupState[];
  window: RecoveryWindow;
  path: PathEntry[];
}

const maxIso = (a: string, b: string): string => (Date.parse(a) >= Date.parse(b) ? a : b);

/** Pure: the state of every backup and the window, from a repository listing. */
export function analyse(listing: RepoListing): Analysis {
  const segmentSize = listing.backups[0]?.walSegmentSize ?? DEFAULT_SEGMENT_SIZE;
  const timelines = [
    1,
    ...listing.wal.flatMap((w) => (w.segment ? [w.segment.timeline] : [])),
    ...listing.histories.keys(),
    ...listing.backups.map((b) => b.timeline),
  ];
  const timeline = Math.max(...timelines);
  const path = timelinePath(timeline, listing.histories.get(timeline) ?? []);

  // Segments on the followed history, by number.
  const onPath = new Map<bigint, WalFile>();
  for (const w of listing.wal) {
    if (!w.segment) continue;
    if (timelineForSegment(path, w.segment.segno, segmentSize) === w.segment.timeline) onPath.set(w.segment.segno, w);
  }
  const sorted = [...onPath.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const gaps: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    for (let s = sorted[i - 1]! + 1n; s < sorted[i]!; s++) {
      if (gaps.length < 10) gaps.push(`segment ${s.toString(16).toUpperCase()} (timeline ${timelineForSegment(path, s, segmentSize) ?? '?'})`);
    }
  }

  const backups: BackupState[] = listing.backups.map((manifest) => {
    const start = parseLsn(manifest.startLsn);
    const stop = parseLsn(manifest.stopLsn);
    if (timelineForLsn(path, start) !== manifest.timeline) {
      return { manifest, usable: false, problem: `taken on timeline ${manifest.timeline}, which a later in-place restore abandoned` };
    }
    const first = segmentOf(start, segmentSize);
    const last = segmentOf(stop > 0n ? stop - 1n : 0n, segmentSize);
    for (let s = first; s <= last; s++) {
      if (!onPath.has(s)) return { manifest, usable: false, problem: `its WAL segment ${s.toString(16).toUpperCase()} is not in the archive` };
    }
    let end = last;
    let reachesAt = manifest.stoppedAt;
    for (let s = first; s <= last; s++) reachesAt = maxIso(reachesAt, onPath.get(s)!.archivedAt);
    while (onPath.has(end + 1n)) {
      end++;
      reachesAt = maxIso(reachesAt, onPath.get(end)!.archivedAt);
    }
    return { manifest, usable: true, reachesAt, reachesLsn: formatLsn(segmentStart(end + 1n, segmentSize)) };
  });

  const ranges: WindowRange[] = [];
  for (const b of backups.filter((x) => x.usable).sort((a, c) => Date.parse(a.manifest.stoppedAt) - Date.parse(c.manifest.stoppedAt))) {
    const r: WindowRange = { from: b.manifest.stoppedAt, to: b.reachesAt!, fromLsn: b.manifest.stopLsn, toLsn: b.reachesLsn!, backups: [b.manifest.id] };
    const prev = ranges[ranges.length - 1];
    if (prev && Date.parse(r.from) <= Date.parse(prev.to)) {
      prev.to = maxIso(prev.to, r.to);
      if (parseLsn(r.toLsn) > parseLsn(prev.toLsn)) prev.toLsn = r.toLsn;
      prev.backups.push(b.manifest.id);
    } else ranges.push(r);
  }
  const pathWal = [...onPath.values()];
  const newest = sorted[sorted.length - 1];
  const lastRange = ranges[ranges.length - 1];
  const openEnded = newest !== undefined && lastRange !== undefined && parseLsn(lastRange.toLsn) === segmentStart(newest + 1n, segmentSize);
  return {
    backups,
    path,
    window: {
      timeline,
      ranges,
      earliest: ranges[0]?.from,
      latest: ranges[ranges.length - 1]?.to,
      segments: pathWal.length,
      walBytes: pathWal.reduce((n, w) => n + w.bytes, 0),
      gaps,
      openEnded,
    },
  };
}

// ---- restore targets ----

export type Target =
  | { kind: 'time'; at: Date; text: string }
  | { kind: 'lsn'; lsn: bigint; text: string }
  | { kind: 'label'; name: string }
  | { kind: 'latest' };

const TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$/i;

/**
 * Pure: `--at` as a time (ISO 8601 or `YYYY-MM-DD HH:MM:SS[.ffffff][+zone]`; without a zone it
 * is the local time of this machine), an LSN (`16/B374D848`), `latest`, or a backup's label or id.
 */
export function parseTarget(text: string): Target {
  const t = text.trim();
  if (t === '' ) throw new UserError('--at needs a time, an LSN, a backup label or id, or `latest`.', { hint: 'For example --at "2026-11-30 14:05:00" or --at latest.' });
  if (t.toLowerCase() === 'latest') return { kind: 'latest' };
  if (isLsn(t)) return { kind: 'lsn', lsn: parseLsn(t), text: t };
  if (TIME.test(t)) {
    let s = t.replace(' ', 'T').replace(/\s+/g, '');
    s = s.replace(/([+-]\d{2})$/, '$1:00').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) throw new UserError(`--at '${t}' is not a valid time.`, { hint: 'Use ISO 8601, for example 2026-11-30T14:05:00Z.' });
    return { kind: 'time', at: new Date(ms), text: t };
  }
  return { kind: 'label', name: t };
}

/** What the recovering server is told (postgresql.conf settings). */
export type RecoverySettings = Record<string, string>;

export interface RestorePlan {
  backup: Manifest;
  settings: RecoverySettings;
  /** The target in words, for messages. */
  describe: string;
}

/** Postgres reads `YYYY-MM-DD HH:MM:SS.ffffff+00`. */
export const pgTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '+00');

export function describeWindow(w: RecoveryWindow): string {
  if (w.ranges.length === 0) return 'there is nothing to restore yet (no complete base backup with its WAL)';
  return w.ranges.map((r) => `${r.from} to ${r.to}`).join(', ');
}

/**
 * Pure: the base backup and recovery settings for a target, or a UserError that names the
 * window. `now` refuses times in the future.
 */
export function planRestore(target: Target, analysis: Analysis, now: Date): RestorePlan {
  const usable = analysis.backups.filter((b) => b.usable);
  const window = analysis.window;
  const outside = (what: string): UserError =>
    new UserError(`${what} is outside the recoverable window (${describeWindow(window)}).`, {
      hint: '`baas backup list` shows the window; `baas backup create` starts one if there is none.',
    });
  if (target.kind === 'label') {
    const all = analysis.backups;
    const hit = [...all].reverse().find((b) => b.manifest.label === target.name || b.manifest.id === target.name);
    if (!hit) {
      const known = all.map((b) => b.manifest.label ?? b.manifest.id).slice(-5);
      throw new UserError(`There is no backup labelled or named '${target.name}'.`, {
        hint: known.length ? `Known: ${known.join(', ')} (\`baas backup list\`).` : 'No backup exists yet: `baas backup create`.',
      });
    }
    if (!hit.usable) throw new UserError(`The backup '${target.name}' cannot be restored: ${hit.problem}.`, { exitCode: ExitCode.conflict, hint: '`baas backup list` shows which backups are usable.' });
    return { backup: hit.manifest, settings: { recovery_target: 'immediate', recovery_target_action: 'promote' }, describe: `the end of backup ${hit.manifest.label ?? hit.manifest.id} (${hit.manifest.stoppedAt})` };
  }
  if (usable.length === 0) throw outside(target.kind === 'latest' ? 'The latest moment' : target.kind === 'time' ? target.text : target.text);
  if (target.kind === 'latest') {
    const last = window.ranges[window.ranges.length - 1]!;
    const b = usable.find((x) => x.manifest.id === last.backups[last.backups.length - 1])!;
    return { backup: b.manifest, settings: { recovery_target_action: 'promote' }, describe: `the end of the archived WAL (${last.to})` };
  }
  if (target.kind === 'time') {
    if (target.at.getTime() > now.getTime()) {
      throw new UserError(`${target.text} is in the future.`, { hint: `The recoverable window is ${describeWindow(window)}.` });
    }
    const t = target.at.getTime();
    const candidates = usable.filter((b) => Date.parse(b.manifest.stoppedAt) <= t && t <= Date.parse(b.reachesAt!));
    const b = candidates.sort((x, y) => Date.parse(y.manifest.stoppedAt) - Date.parse(x.manifest.stoppedAt))[0];
    if (!b) throw outside(target.text);
    return {
      backup: b.manifest,
      settings: { recovery_target_time: pgTime(target.at), recovery_target_inclusive: 'on', recovery_target_action: 'promote' },
      describe: `${target.at.toISOString()}`,
    };
  }
  const l = target.lsn;
  const candidates = usable.filter((b) => parseLsn(b.manifest.stopLsn) <= l && l <= parseLsn(b.reachesLsn!));
  const b = candidates.sort((x, y) => (parseLsn(y.manifest.stopLsn) > parseLsn(x.manifest.stopLsn) ? 1 : -1))[0];
  if (!b) throw outside(`LSN ${target.text}`);
  return {
    backup: b.manifest,
    settings: { recovery_target_lsn: formatLsn(l), recovery_target_inclusive: 'on', recovery_target_action: 'promote' },
    describe: `LSN ${formatLsn(l)}`,
  };
}
