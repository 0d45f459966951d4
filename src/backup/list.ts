/** `baas backup list`: base backups, the recoverable window, the archiver. */
import { connectPg } from '../pg/client.js';
import { readArchiver, type ArchiverStatus } from '../services/postgres-backups.js';
import type { Manifest } from './manifest.js';
import { readListing } from './prune.js';
import type { RepoListing } from './repo.js';
import { openSource, repoShell, type BackupDeps } from './source.js';
import { analyse, type RecoveryWindow } from './window.js';

export interface BackupEntry {
  id: string;
  label: string | null;
  method: Manifest['method'];
  startedAt: string;
  stoppedAt: string;
  durationMs: number;
  dataBytes: number;
  storedBytes: number;
  startLsn: string;
  stopLsn: string;
  timeline: number;
  redis: boolean;
  mongo: boolean;
  usable: boolean;
  problem?: string;
  notes: string[];
}

export interface ListResult {
  project: string;
  repository: string;
  enabled: boolean;
  backups: BackupEntry[];
  window: RecoveryWindow;
  /**
   * Postgres runs and archives without failing: a restore first archives the current WAL, so any
   * moment up to now can be restored, not only up to `window.latest`.
   */
  live: boolean;
  archiver: ArchiverStatus | undefined;
  /** Abandoned or running partial backups (never restorable). */
  partials: { id: string; busy: boolean; modifiedAt: string }[];
  damaged: string[];
  disk: RepoListing['disk'];
  keep: number;
  /** What the backups do not cover (MongoDB). */
  notes: string[];
}

export async function listBackups(deps: BackupDeps): Promise<ListResult> {
  const s = await openSource(deps);
  const { shell, release } = await repoShell(deps, s, { readOnly: true });
  let listing: RepoListing;
  try {
    listing = await readListing(shell, s.repo.root);
  } finally {
    await release();
  }
  let archiver: ArchiverStatus | undefined;
  if (s.pg.running) {
    archiver = await (async () => {
      const sql = await connectPg(s.adminUrl(s.maintenanceDb), { applicationName: 'baas backup', connectTimeoutMs: 5000, show: 'server' });
      try {
        return await readArchiver(sql);
      } finally {
        await sql.end();
      }
    })().catch(() => undefined);
  }
  const a = analyse(listing);
  const notes: string[] = [];
  if (s.ctx.config.services.mongo.enabled && !listing.backups.some((b) => b.mongo)) {
    notes.push('MongoDB: no backup has a dump of it yet; Mongo is backed up as a mongodump snapshot per base backup, without point-in-time recovery.');
  } else if (s.ctx.config.services.mongo.enabled) {
    notes.push('MongoDB: snapshots (mongodump --oplog) per base backup, no point-in-time recovery.');
  }
  return {
    project: s.project,
    repository: s.repo.location,
    enabled: s.ctx.config.backups.enabled,
    backups: a.backups.map((b) => ({
      id: b.manifest.id,
      label: b.manifest.label,
      method: b.manifest.method,
      startedAt: b.manifest.startedAt,
      stoppedAt: b.manifest.stoppedAt,
      durationMs: b.manifest.durationMs,
      dataBytes: b.manifest.dataBytes,
      storedBytes: b.manifest.storedBytes,
      startLsn: b.manifest.startLsn,
      stopLsn: b.manifest.stopLsn,
      timeline: b.manifest.timeline,
      redis: b.manifest.redis !== null,
      mongo: b.manifest.mongo !== null,
      usable: b.usable,
      ...(b.problem ? { problem: b.problem } : {}),
      notes: b.manifest.notes,
    })),
    window: a.window,
    live: Boolean(archiver && archiver.mode !== 'off' && !archiver.failing && a.window.openEnded),
    archiver,
    partials: listing.partials.map((p) => ({ id: p.id, busy: p.busy, modifiedAt: p.modifiedAt })),
    damaged: listing.damaged,
    disk: listing.disk,
    keep: s.ctx.config.backups.keep,
    notes,
  };
}
