/**
 * Retention: keep the newest `backups.keep` restorable base backups and the WAL from the oldest
 * of them on; remove older backups, older WAL, and abandoned partial backups. The plan is pure:
 * a backup that cannot be restored never counts toward `keep`, so the window is never cut below
 * what `keep` promises.
 */
import { ExternalError } from '../errors.js';
import { isSafeName, LIST_SCRIPT, parseListing, REMOVE_SCRIPT, type PartialBackup, type RepoListing, type RepoShell } from './repo.js';
import { analyse, type Analysis } from './window.js';
import { DEFAULT_SEGMENT_SIZE, parseLsn, parseSegmentName, segmentOf } from './wal.js';
import { ownerGone } from './toolbox.js';
import { openSource, repoShell, type BackupDeps } from './source.js';

export interface PrunePlan {
  keep: number;
  keptBackups: string[];
  removeBackups: { id: string; label: string | null; reason: string }[];
  removeWal: string[];
  removePartials: string[];
  /** Why nothing (or less) is removed. */
  notes: string[];
}

/** A partial backup whose writer is gone: its owner process died (or it is a day old) and no copy holds its lock. */
export function isAbandoned(p: PartialBackup, now: Date, gone: (owner: PartialBackup['owner']) => boolean = ownerGone): boolean {
  if (p.busy) return false;
  if (gone(p.owner)) return true;
  return now.getTime() - Date.parse(p.modifiedAt) > 24 * 3600_000;
}

export function planPrune(listing: RepoListing, analysis: Analysis, keep: number, now: Date, gone?: (owner: PartialBackup['owner']) => boolean): PrunePlan {
  const notes: string[] = [];
  const newestFirst = [...analysis.backups].sort((a, b) => Date.parse(b.manifest.stoppedAt) - Date.parse(a.manifest.stoppedAt));
  const usable = newestFirst.filter((b) => b.usable);
  const removePartials = listing.partials.filter((p) => isAbandoned(p, now, gone)).map((p) => `${p.id}.partial`).filter(isSafeName);
  if (usable.length === 0) {
    notes.push('no restorable base backup exists, so no backup and no WAL is removed');
    return { keep, keptBackups: newestFirst.map((b) => b.manifest.id), removeBackups: [], removeWal: [], removePartials, notes };
  }
  const kept = usable.slice(0, keep);
  const oldestKept = kept[kept.length - 1]!;
  const cutoff = Date.parse(oldestKept.manifest.stoppedAt);
  if (usable.length < keep) notes.push(`only ${usable.length} restorable backup(s) exist (keep: ${keep}); none is removed`);
  const removeBackups = newestFirst
    .filter((b) => Date.parse(b.manifest.stoppedAt) < cutoff)
    .map((b) => ({ id: b.manifest.id, label: b.manifest.label, reason: b.usable ? `older than the ${keep} newest restorable backup(s)` : `cannot be restored (${b.problem}) and is older than every kept one` }))
    .filter((b) => isSafeName(b.id));
  const keptBackups = newestFirst.map((b) => b.manifest.id).filter((id) => !removeBackups.some((r) => r.id === id));
  const segmentSize = oldestKept.manifest.walSegmentSize ?? DEFAULT_SEGMENT_SIZE;
  const firstNeeded = segmentOf(parseLsn(oldestKept.manifest.startLsn), segmentSize);
  const removeWal = listing.wal
    .filter((w) => {
      if (w.name.endsWith('.history')) return false; // tiny, and every timeline switch needs them
      const seg = w.segment ?? parseSegmentName(w.name.slice(0, 24), segmentSize);
      return seg !== undefined && seg.segno < firstNeeded;
    })
    .map((w) => w.name)
    .filter(isSafeName);
  return { keep, keptBackups, removeBackups, removeWal, removePartials, notes };
}

export interface PruneResult extends PrunePlan {
  dryRun: boolean;
  repository: string;
  freedBytes: number;
}

/** Removes what the plan says, through the repository shell, in batches. */
export async function applyPrune(shell: RepoShell, root: string, plan: PrunePlan, listing: RepoListing): Promise<number> {
  const dirs = [...plan.removeBackups.map((b) => b.id), ...plan.removePartials];
  const files = plan.removeWal;
  const freed =
    plan.removeBackups.reduce((n, b) => n + (listing.backups.find((m) => m.id === b.id)?.storedBytes ?? 0), 0) +
    listing.wal.filter((w) => files.includes(w.name)).reduce((n, w) => n + w.bytes, 0);
  for (let i = 0; i < Math.max(dirs.length, files.length); i += 500) {
    const r = await shell.run(REMOVE_SCRIPT, { ROOT: root, DIRS: dirs.slice(i, i + 500).join(' '), FILES: files.slice(i, i + 500).join(' ') });
    if (r.exitCode !== 0) throw new ExternalError(`Removing old backups failed: ${r.stderr.trim()}`, { code: 'backup_failed' });
  }
  return freed;
}

export async function readListing(shell: RepoShell, root: string): Promise<RepoListing> {
  const r = await shell.run(LIST_SCRIPT, { ROOT: root });
  if (r.exitCode !== 0) throw new ExternalError(`Could not read the backup repository: ${(r.stderr || r.stdout).trim()}`, { code: 'backup_failed' });
  return parseListing(r.stdout);
}

/** `baas backup prune`: retention by `backups.keep` (or `keep`), optionally only planned. */
export async function pruneBackups(deps: BackupDeps, input: { keep?: number; dryRun?: boolean } = {}): Promise<PruneResult> {
  const s = await openSource(deps);
  const { shell, release } = await repoShell(deps, s);
  try {
    return await pruneWith(shell, s.repo.root, s.repo.location, input.keep ?? s.ctx.config.backups.keep, Boolean(input.dryRun), (deps.now ?? (() => new Date()))());
  } finally {
    await release();
  }
}

export async function pruneWith(shell: RepoShell, root: string, location: string, keep: number, dryRun: boolean, now: Date): Promise<PruneResult> {
  return pruneListed(shell, root, location, await readListing(shell, root), keep, now, dryRun);
}

/** Retention on a listing already read; removes nothing (no exec) when there is nothing to remove. */
export async function pruneListed(shell: RepoShell, root: string, location: string, listing: RepoListing, keep: number, now: Date, dryRun = false): Promise<PruneResult> {
  const plan = planPrune(listing, analyse(listing), keep, now);
  const nothing = plan.removeBackups.length + plan.removeWal.length + plan.removePartials.length === 0;
  if (nothing) return { ...plan, dryRun, repository: location, freedBytes: 0 };
  const freedBytes = dryRun ? 0 : await applyPrune(shell, root, plan, listing);
  return { ...plan, dryRun, repository: location, freedBytes };
}

