/**
 * What continuous archiving adds to the Postgres container when `backups.enabled`: the backup
 * repository mounted at BACKUP_MOUNT, the archive settings, and how `baas health` reads the
 * archiver. Kept in one place so the Postgres driver only calls in here (see postgres.ts).
 */
import path from 'node:path';
import type { MountSpec } from '../runtime/types.js';
import type { Sql } from '../pg/sql.js';
import type { HealthReport, StackContext } from './types.js';

/** Where the backup repository is mounted in the containers baas runs. */
export const BACKUP_MOUNT = '/var/lib/baas-backups';

/** The named volume of the repository when `backups.dir` is 'volume'. It has no project label, so `down --volumes` keeps it. */
export const backupVolumeName = (project: string): string => `baas-${project}-backups`;

/** Label on the repository volume (instead of baas.project, so the stack's removal leaves it). */
export const BACKUPS_LABEL = 'baas.backups';

/** A project's part of the repository, as the containers see it (several projects may share one directory). */
export const repoRoot = (project: string): string => `${BACKUP_MOUNT}/${project}`;
export const walDir = (project: string): string => `${repoRoot(project)}/wal`;

type BackupCtx = Pick<StackContext, 'project' | 'config' | 'configDir'>;

export const backupsOn = (ctx: Pick<StackContext, 'config'>): boolean => ctx.config.backups.enabled && ctx.config.services.postgres.enabled;

/** The repository mount: the named volume, or the host path. */
export function backupRepoMount(ctx: BackupCtx, options: { readOnly?: boolean } = {}): MountSpec {
  const dir = ctx.config.backups.dir;
  const ro = options.readOnly ? { readOnly: true } : {};
  if (dir === 'volume') return { type: 'volume', source: backupVolumeName(ctx.project), target: BACKUP_MOUNT, ...ro };
  return { type: 'bind', source: path.resolve(ctx.configDir, dir), target: BACKUP_MOUNT, ...ro };
}

/** The repository for messages: the host path, or the volume's name. */
export function backupRepoLocation(ctx: BackupCtx): string {
  const dir = ctx.config.backups.dir;
  return dir === 'volume' ? `the Docker volume ${backupVolumeName(ctx.project)}` : path.resolve(ctx.configDir, dir);
}

/**
 * Copies a finished WAL segment (or history file) into the repository, gzipped, through a
 * temporary name, fsynced, then renamed: a reader never sees half a file. A file that is already
 * there counts as archived only when its content is the same (Postgres may retry after a crash);
 * anything else fails, so a re-initialised cluster never silently stops being archived.
 */
export function archiveCommand(project: string): string {
  const dir = walDir(project);
  return `f="${dir}/%f.gz"; if [ -f "$f" ]; then gzip -dc "$f" | cmp -s - "%p"; else gzip -1 -c "%p" > "$f.tmp" && sync "$f.tmp" && mv "$f.tmp" "$f" || { rm -f "$f.tmp"; exit 1; }; fi`;
}

/** Fetches a segment back during recovery; a missing file is the normal end of the archive. */
export function restoreCommand(project: string): string {
  const dir = walDir(project);
  return `f="${dir}/%f.gz"; [ -f "$f" ] && gzip -dc "$f" > "%p"`;
}

/** Settings baas owns while backups are on (see BACKUP_OWNED_SETTINGS in the config schema). */
export function backupServerSettings(ctx: BackupCtx): Record<string, string> {
  if (!backupsOn(ctx)) return {};
  return {
    wal_level: 'replica',
    archive_mode: 'on',
    archive_command: archiveCommand(ctx.project),
    archive_timeout: `${ctx.config.backups.archiveTimeout}s`,
  };
}

/**
 * Run as root before the server starts: the project's repository directories, owned by postgres
 * (the archiver runs as postgres). Errors are ignored on purpose: a repository that cannot be
 * written must not keep the database from serving; the archiver then fails and `health` says so.
 */
export function backupStartPrefix(ctx: BackupCtx): string {
  if (!backupsOn(ctx)) return '';
  const root = repoRoot(ctx.project);
  return `mkdir -p "${root}/wal" "${root}/base" 2>/dev/null; chown postgres:postgres "${root}" "${root}/wal" 2>/dev/null; chmod 750 "${root}" 2>/dev/null\n`;
}

/** The repository's volume, to be created (with labels that `down --volumes` does not match) by `up`. */
export function backupVolumes(ctx: Pick<StackContext, 'project' | 'config' | 'extraLabels'>): { name: string; labels: Record<string, string> }[] {
  if (!backupsOn(ctx) || ctx.config.backups.dir !== 'volume') return [];
  return [{ name: backupVolumeName(ctx.project), labels: { ...ctx.extraLabels, [BACKUPS_LABEL]: ctx.project } }];
}

// ---- the archiver, as pg_stat_archiver reports it ----

export interface ArchiverStatus {
  /** archive_mode as the server runs with it. */
  mode: string;
  archivedCount: number;
  failedCount: number;
  lastArchivedWal: string | null;
  lastArchivedAt: string | null;
  lastFailedWal: string | null;
  lastFailedAt: string | null;
  /** The last attempt failed (no success since the last failure). */
  failing: boolean;
}

export const ARCHIVER_SQL = `select current_setting('archive_mode') as mode, archived_count, failed_count, last_archived_wal,
  last_archived_time, last_failed_wal, last_failed_time from pg_stat_archiver`;

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

/** Pure: one pg_stat_archiver row to a status. */
export function archiverFromRow(r: Record<string, unknown>): ArchiverStatus {
  const lastArchivedAt = iso(r['last_archived_time']);
  const lastFailedAt = iso(r['last_failed_time']);
  return {
    mode: String(r['mode'] ?? 'off'),
    archivedCount: Number(r['archived_count'] ?? 0),
    failedCount: Number(r['failed_count'] ?? 0),
    lastArchivedWal: (r['last_archived_wal'] as string | null) ?? null,
    lastArchivedAt,
    lastFailedWal: (r['last_failed_wal'] as string | null) ?? null,
    lastFailedAt,
    failing: lastFailedAt !== null && (lastArchivedAt === null || Date.parse(lastFailedAt) > Date.parse(lastArchivedAt)),
  };
}

export async function readArchiver(sql: Sql): Promise<ArchiverStatus> {
  const rows = await sql.query<Record<string, unknown>>(ARCHIVER_SQL);
  return archiverFromRow(rows[0] ?? {});
}

/** One phrase for health and the dashboard; undefined when archiving is off. */
export function describeArchiver(a: ArchiverStatus, now: Date = new Date()): string | undefined {
  if (a.mode === 'off') return undefined;
  const ago = (t: string): string => `${Math.max(0, Math.round((now.getTime() - Date.parse(t)) / 1000))} s ago`;
  if (a.failing) return `WAL archiving failing: ${a.failedCount} failure(s), last ${a.lastFailedWal ?? '?'} ${a.lastFailedAt ? ago(a.lastFailedAt) : ''}`.trimEnd();
  if (a.lastArchivedWal && a.lastArchivedAt) return `WAL archived up to ${a.lastArchivedWal} (${ago(a.lastArchivedAt)})`;
  return 'WAL archiving on, nothing archived yet';
}

/** Health with archiving judged: a failing archiver makes Postgres unhealthy (the recovery point stops moving). */
export function judgeArchiver(report: HealthReport, archiver: ArchiverStatus | undefined, repo: string, now?: Date): HealthReport {
  if (!archiver) return report;
  const phrase = describeArchiver(archiver, now);
  if (!phrase) return report;
  const details = { ...report.details, archiver };
  if (archiver.failing) {
    return { ...report, status: 'unhealthy', detail: `${report.detail}; ${phrase} (repository: ${repo}; see \`baas backup list\`)`, details };
  }
  return { ...report, detail: `${report.detail}; ${phrase}`, details };
}
