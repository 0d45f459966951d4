/**
 * `baas backup create`: a base backup of the running Postgres with the low-level backup API,
 * without stopping it or ending anyone's session. pg_backup_start (its session stays open until
 * pg_backup_stop), a copy of the data directory into the repository (a reflink clone where the
 * filesystem allows, a gzipped tar otherwise), pg_backup_stop (backup_label beside the copy),
 * then the WAL up to the end of the copy archived, a Redis snapshot from a replica, a MongoDB dump
 * when the stack has one, and the manifest last: a backup killed half-way is never listed.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { ExitCode, ExternalError, UnhealthyError, UserError, messageOf } from '../errors.js';
import { connectPg } from '../pg/client.js';
import { quoteIdent } from '../pg/escape.js';
import type { Sql } from '../pg/sql.js';
import { readArchiver } from '../services/postgres-backups.js';
import { realClock } from '../wait.js';
import { backupId, isValidLabel, MANIFEST_FORMAT, type Manifest } from './manifest.js';
import { snapshotMongo } from './mongo.js';
import { pruneListed, type PruneResult } from './prune.js';
import { snapshotRedis } from './redis.js';
import { COPY_SCRIPT, FINISH_SCRIPT, parseListing, PREPARE_SCRIPT, PROGRESS_SCRIPT, REMOVE_SCRIPT, type RepoShell } from './repo.js';
import { waitArchived } from './archive.js';
import { openSource, PG_DATA_DIR, type BackupDeps, type BackupProgress, type SourceStack } from './source.js';
import { shellIn } from './toolbox.js';
import { formatLsn, parseLsn, segmentName, segmentOf } from './wal.js';

export interface CreateInput {
  label?: string;
  /**
   * Force the copy method. A clone shares its blocks with the live data until they change, so it
   * does not survive the loss of that filesystem; `archive` makes a self-contained copy there too.
   */
  method?: 'clone' | 'archive';
  /** Apply retention afterwards (default true). */
  prune?: boolean;
}

export interface CreateResult {
  id: string;
  label: string | null;
  project: string;
  repository: string;
  method: 'clone' | 'archive';
  startedAt: string;
  stoppedAt: string;
  durationMs: number;
  /** The copy of the data directory alone. */
  copyMs: number;
  startLsn: string;
  stopLsn: string;
  timeline: number;
  dataBytes: number;
  storedBytes: number;
  redis: Manifest['redis'];
  mongo: Manifest['mongo'];
  notes: string[];
  pruned: PruneResult | undefined;
}

/** Pure: the fields of a backup_label file that a manifest needs. */
export function parseBackupLabel(text: string): { startWal: string; timeline: number } {
  const wal = /^START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)$/m.exec(text)?.[1];
  const tli = /^START TIMELINE: (\d+)$/m.exec(text)?.[1];
  if (!wal || !tli) throw new ExternalError('pg_backup_stop returned a backup label baas cannot read.', { code: 'backup_failed', details: text.split('\n').slice(0, 6) });
  return { startWal: wal, timeline: Number(tli) };
}

/** A repository problem in the user's words: full, not writable, or other. */
export function repositoryError(location: string, why: string, doing: string): ExternalError {
  if (/no space left|disk quota/i.test(why)) {
    return new ExternalError(`The backup repository ${location} is full: ${doing} failed (${why.trim()}).`, {
      code: 'disk_full',
      hint: 'Free space there (`baas backup prune` removes backups beyond backups.keep) or set backups.dir to a larger place. The database itself keeps serving.',
    });
  }
  if (/read-only|permission denied|operation not permitted/i.test(why)) {
    return new ExternalError(`The backup repository ${location} is not writable: ${doing} failed (${why.trim()}).`, {
      code: 'permission_denied',
      hint: 'Make it writable for root in the Postgres container (and for the postgres user, uid 999, for WAL archiving), or set backups.dir elsewhere.',
    });
  }
  return new ExternalError(`${doing} in the backup repository ${location} failed: ${why.trim() || 'no message'}.`, { code: 'backup_repository' });
}

const lastLine = (t: string): string => t.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';

export async function createBackup(deps: BackupDeps, input: CreateInput = {}): Promise<CreateResult> {
  const now = deps.now ?? (() => new Date());
  const t0 = Date.now();
  const progress = (step: BackupProgress['step'], extra: Omit<BackupProgress, 'step' | 'elapsedMs'> = {}): void => deps.onProgress?.({ step, elapsedMs: Date.now() - t0, ...extra });
  const log = deps.logger.child({ component: 'backup' });
  if (input.label !== undefined && !isValidLabel(input.label)) {
    throw new UserError(`'${input.label}' is not a valid backup label.`, { hint: 'Use up to 64 letters, digits, ., _ and -, starting with a letter or digit (e.g. before-migration-42).' });
  }
  const s = await openSource(deps);
  const cfg = s.ctx.config;
  if (!cfg.backups.enabled) {
    throw new UserError(`Backups are off for '${s.project}' (backups.enabled is false${cfg.profile === 'local' ? ', the default of the local profile' : ''}).`, {
      exitCode: ExitCode.config,
      hint: 'Set `backups: { enabled: true }` in platform.config.yaml and run `baas up` (Postgres restarts once, with WAL archiving on).',
    });
  }
  if (!s.pg.running || !s.pg.container) {
    throw new UserError(`Postgres of '${s.project}' is not running, so it cannot be backed up.`, { exitCode: ExitCode.unhealthy, hint: 'Start it with `baas up`.' });
  }
  if (!s.pg.hasRepo) {
    throw new UserError('The running Postgres container was created before backups were enabled, so it has no repository and does not archive WAL.', {
      exitCode: ExitCode.conflict,
      hint: 'Run `baas up`: it recreates the Postgres container with archiving on (the data is kept).',
    });
  }
  const shell = shellIn(deps.runtime, s.pg.container.id);
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ ROOT: s.repo.root, ...extra });
  progress('check', { detail: s.repo.location });

  const sql = await connectPg(s.adminUrl(s.maintenanceDb), { applicationName: 'baas backup', connectTimeoutMs: 10_000, show: 'server', hint: 'Is the stack running? `baas health postgres` checks it.' });
  let partial: string | undefined;
  let copyRunning = false;
  let pending: Promise<unknown> | undefined;
  let counterSession: Promise<Sql> | undefined;
  try {
    const info = (await sql.query<{ mode: string; sysid: string; version: string; segsize: string; recovery: boolean; total: string }>(
      `select current_setting('archive_mode') as mode, (select system_identifier::text from pg_control_system()) as sysid,
              current_setting('server_version') as version, (select setting from pg_settings where name = 'wal_segment_size') as segsize,
              pg_is_in_recovery() as recovery, (select sum(pg_database_size(oid)) from pg_database)::bigint::text as total`,
    ))[0]!;
    if (info.mode === 'off') {
      throw new UserError('The running Postgres does not archive its WAL (archive_mode is off).', { exitCode: ExitCode.conflict, hint: 'Run `baas up` so the container picks up the backup settings.' });
    }
    if (info.recovery) throw new UserError('Postgres is still recovering (or is a standby); back it up once it is a primary.', { exitCode: ExitCode.conflict });
    const segmentSize = Number(info.segsize);

    // One exec for the preflight, the listing, the partial directory and the clone probe.
    const id = backupId(now(), randomBytes(2).toString('hex'));
    const owner = JSON.stringify({ host: os.hostname(), pid: process.pid, startedAt: now().toISOString() });
    const prep = await shell.run(PREPARE_SCRIPT, env({ SYSID: info.sysid, ID: id, OWNER: owner, PGDATA: PG_DATA_DIR }));
    const fail = /^@fail (.*)$/m.exec(prep.stdout)?.[1];
    if (prep.exitCode !== 0 || fail !== undefined) throw repositoryError(s.repo.location, fail ?? lastLine(prep.stderr), 'writing a test file');
    partial = `${id}.partial`;
    checkCluster(s, /^@ok (.*)$/m.exec(prep.stdout)?.[1]?.trim(), info.sysid);
    const archiver = await readArchiver(sql);
    if (archiver.failing) {
      throw new UnhealthyError(`WAL archiving into ${s.repo.location} is failing (${archiver.failedCount} failure(s), last for ${archiver.lastFailedWal} at ${archiver.lastFailedAt}), so a new backup could not be restored.`, {
        hint: '`baas logs postgres` says why (a full or read-only repository, usually); fix that first. The database keeps serving meanwhile.',
      });
    }
    const df = /^@df (\d+) (\d+)$/m.exec(prep.stdout);
    if (df && Number(df[2]) < 16 * 1024 * 1024) throw repositoryError(s.repo.location, `No space left on device (${Math.round(Number(df[2]) / 1024)} KiB free)`, 'checking free space');
    const listing = parseListing(prep.stdout);
    if (input.label && listing.backups.some((b) => b.label === input.label)) {
      throw new UserError(`A backup labelled '${input.label}' already exists.`, { exitCode: ExitCode.conflict, hint: 'Choose another --label (`baas backup list` shows them).' });
    }
    const canClone = /^@method clone$/m.test(prep.stdout);
    if (input.method === 'clone' && !canClone) {
      throw new UserError(`A clone is not possible: the repository ${s.repo.location} and the Postgres data are not on one filesystem that can clone files (XFS with reflink=1, btrfs).`, {
        exitCode: ExitCode.conflict,
        hint: 'Put both on such a filesystem (services.postgres.data and backups.dir as host paths there; `baas doctor` checks it), or leave --method out.',
      });
    }
    const method: Manifest['method'] = input.method ?? (canClone ? 'clone' : 'archive');
    const totalBytes = Number(info.total);
    const dir = `${s.repo.root}/base/${partial}`;

    // Redis and Mongo snapshots run beside the Postgres copy (they only add files to the directory).
    const notes: string[] = [];
    const sideJobs = Promise.all([
      snapshotRedis(deps.runtime, s, shell, dir, realClock, now).catch((e: unknown) => ({ note: `the snapshot failed: ${messageOf(e)}` })),
      snapshotMongo(deps.runtime, s, shell, dir, id, now),
    ]);
    pending = sideJobs.catch(() => undefined);

    progress('start', { detail: 'checkpoint (pg_backup_start)' });
    const startedAt = now();
    const started = (await sql.query<{ lsn: string }>('select pg_backup_start($1, true)::text as lsn', [`baas ${id}`]))[0]!;
    log.info({ id, method, startLsn: started.lsn }, 'backup started');

    // The session that counts the platform tables at the stop opens while the copy runs.
    const counter = connectPg(s.adminUrl(), { applicationName: 'baas backup', connectTimeoutMs: 10_000, show: 'server' });
    counterSession = counter;
    counter.catch(() => undefined);
    progress('copy', { detail: method === 'clone' ? 'reflink clone' : 'gzipped tar', doneBytes: 0, totalBytes });
    const copyStarted = Date.now();
    copyRunning = true;
    const copied = await withCopyProgress(shell, env({ ID: id }), method === 'archive' && deps.onProgress !== undefined, (done) => progress('copy', { doneBytes: done, totalBytes }), () =>
      shell.run(COPY_SCRIPT, env({ ID: id, PGDATA: PG_DATA_DIR, METHOD: method })),
    );
    copyRunning = false;
    const copyMs = Date.now() - copyStarted;
    if (copied.exitCode !== 0) throw repositoryError(s.repo.location, lastLine(copied.stderr) || `exit code ${copied.exitCode}`, 'copying the data directory');
    const sizes = /^@sizes (\d+) (\d+)$/m.exec(copied.stdout);

    progress('stop', { detail: 'pg_backup_stop' });
    const counted = await countPlatformTables(counter);
    let stop: { lsn: string; labelfile: string; spcmapfile: string | null };
    let databases: string[];
    try {
      stop = (await sql.query<{ lsn: string; labelfile: string; spcmapfile: string | null }>('select lsn::text as lsn, labelfile, spcmapfile from pg_backup_stop(false)'))[0]!;
      databases = (await sql.query<{ datname: string }>('select datname from pg_database where datallowconn and not datistemplate order by 1')).map((r) => r.datname);
    } finally {
      await counted.release();
    }
    const at = (await sql.query<{ at: Date | string }>('select clock_timestamp() as at'))[0]!.at;
    const stoppedAt = at instanceof Date ? at : new Date(at);
    if (stop.spcmapfile && stop.spcmapfile.trim()) {
      throw new UserError('The database uses tablespaces outside its data directory, which baas backups do not copy.', { exitCode: ExitCode.conflict, hint: 'Move the tables into the default tablespace.' });
    }
    const label = parseBackupLabel(stop.labelfile);
    const stopLsn = parseLsn(stop.lsn);
    const stopWal = segmentName(label.timeline, segmentOf(stopLsn - 1n, segmentSize), segmentSize);

    progress('redis');
    const [redis, mongo] = await sideJobs;
    if (redis && 'note' in redis) notes.push(`Redis: ${redis.note}`);
    if (mongo && 'note' in mongo) notes.push(mongo.note);
    if (counted.note) notes.push(counted.note);

    progress('archive', { detail: `waiting for ${stopWal}` });
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      id,
      label: input.label ?? null,
      project: s.project,
      systemIdentifier: info.sysid,
      pgVersion: info.version,
      method,
      timeline: label.timeline,
      startLsn: formatLsn(parseLsn(started.lsn)),
      stopLsn: formatLsn(stopLsn),
      startWal: label.startWal,
      stopWal,
      walSegmentSize: segmentSize,
      startedAt: startedAt.toISOString(),
      stoppedAt: stoppedAt.toISOString(),
      durationMs: Date.now() - t0,
      // A clone's size is the data's (sum of the databases); its blocks are shared until they change.
      dataBytes: Number(sizes?.[1] ?? totalBytes),
      storedBytes: Number(sizes?.[2] ?? totalBytes) + (redis && 'snapshot' in redis ? redis.snapshot.bytes : 0) + (mongo && 'snapshot' in mongo ? mongo.snapshot.bytes : 0),
      platformCounts: counted.counts,
      databases,
      redis: redis && 'snapshot' in redis ? redis.snapshot : null,
      mongo: mongo && 'snapshot' in mongo ? mongo.snapshot : null,
      notes,
    };
    const finishEnv = env({ ID: id, WAL: stopWal, WAIT: '50', LABEL_FILE: stop.labelfile, SPCMAP_FILE: stop.spcmapfile ?? '', MANIFEST: JSON.stringify(manifest, null, 2) });
    let finished = await shell.run(FINISH_SCRIPT, finishEnv);
    if (finished.exitCode === 10) {
      // Not archived within 5 s: wait on the archiver (failing early when it fails), then finish.
      await waitArchived(shell, sql, s, stopWal, Math.max(120_000, cfg.backups.archiveTimeout * 2000));
      finished = await shell.run(FINISH_SCRIPT, finishEnv);
    }
    if (finished.exitCode !== 0) throw repositoryError(s.repo.location, lastLine(finished.stderr), 'writing the manifest');
    partial = undefined;
    log.info({ id, method, stopLsn: manifest.stopLsn, durationMs: manifest.durationMs }, 'backup complete');

    let pruned: PruneResult | undefined;
    if (input.prune !== false) {
      progress('prune');
      pruned = await pruneListed(shell, s.repo.root, s.repo.location, parseListing(finished.stdout), cfg.backups.keep, now()).catch((e: unknown) => {
        notes.push(`retention was not applied: ${messageOf(e)}`);
        return undefined;
      });
    }
    const { format: _f, systemIdentifier: _s, project: _p, pgVersion: _v, startWal: _sw, stopWal: _tw, walSegmentSize: _w, platformCounts: _c, databases: _d, ...rest } = manifest;
    return { ...rest, durationMs: Date.now() - t0, copyMs, project: s.project, repository: s.repo.location, notes, pruned };
  } finally {
    await sql.end(); // ends the backup on the server too, when it was not stopped
    await counterSession?.then((c) => c.end()).catch(() => undefined);
    await pending;
    if (partial && !copyRunning) {
      await shell.run(REMOVE_SCRIPT, env({ DIRS: partial, FILES: '' })).catch(() => undefined);
    }
  }
}

function checkCluster(s: SourceStack, cluster: string | undefined, sysid: string): void {
  if (cluster && cluster !== sysid) {
    throw new UserError(`The backup repository ${s.repo.location} holds backups of another Postgres cluster (system identifier ${cluster}; this one is ${sysid}).`, {
      exitCode: ExitCode.conflict,
      hint: 'The data directory was re-created since (e.g. `baas down --volumes`). Restore the old cluster with `baas backup restore --in-place`, or move the old backups away and set backups.dir to an empty place.',
    });
  }
}

/** Runs the copy, polling how far it is while it runs (only for the tar copy: a clone is instant). */
async function withCopyProgress<T>(shell: RepoShell, env: Record<string, string>, poll: boolean, report: (doneBytes: number) => void, run: () => Promise<T>): Promise<T> {
  if (!poll) return run();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    shell
      .run(PROGRESS_SCRIPT, env)
      .then((r) => report(Number(r.stdout.trim()) || 0))
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 500);
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Row counts of the platform tables, taken under SHARE locks held until pg_backup_stop returns,
 * so they are the counts of the restored copy at its consistent point (`verify` compares them).
 */
async function countPlatformTables(opening: Promise<Sql>): Promise<{ counts: Record<string, number> | null; note?: string; release(): Promise<void> }> {
  let c: Sql | undefined;
  try {
    c = await opening;
    const tables = (await c.query<{ t: string }>(`select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'baas_platform' and c.relkind in ('r', 'p') order by 1`)).map((r) => r.t);
    if (tables.length === 0) {
      await c.end();
      return { counts: null, release: async () => {} };
    }
    const q = (t: string): string => `baas_platform.${quoteIdent(t)}`;
    await c.query('begin');
    await c.query("set local lock_timeout = '2s'");
    await c.query(`lock table ${tables.map(q).join(', ')} in share mode`);
    const row = (await c.query<Record<string, string>>(`select ${tables.map((t) => `(select count(*) from ${q(t)})::text as ${quoteIdent(t)}`).join(', ')}`))[0] ?? {};
    const counts = Object.fromEntries(tables.map((t) => [t, Number(row[t] ?? 0)]));
    const session = c;
    return { counts, release: async () => void (await session.query('commit').catch(() => undefined), await session.end()) };
  } catch (e) {
    await c?.end();
    return { counts: null, note: `platform table counts were not recorded (${messageOf(e)}); \`baas backup verify\` checks the databases only`, release: async () => {} };
  }
}
