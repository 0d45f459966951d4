import type { Command } from 'commander';
import { UnhealthyError, UserError } from '../errors.js';
import type { BackupDeps, BackupProgress } from '../backup/source.js';
import type { App } from './app.js';
import type { Io } from './io.js';
import { bytes, json, ms, table } from './format.js';
import { terminalSafe } from '../terminal-text.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Progress of a backup command on stderr: one live line on a terminal, a line per step
 * otherwise, NDJSON with --json.
 */
function backupProgress(io: Io, mode: 'tty' | 'plain' | 'json'): { on(e: BackupProgress): void; done(): void } {
  if (mode === 'json') return { on: (e) => io.stderr(`${JSON.stringify({ type: 'progress', ...e })}\n`), done() {} };
  let last = '';
  if (mode === 'plain') {
    return {
      on(e) {
        const line = `${e.step}${e.detail ? `  ${e.detail}` : ''}`;
        if (line === last || e.doneBytes !== undefined && e.doneBytes > 0) return;
        last = line;
        io.stderr(`${(e.elapsedMs / 1000).toFixed(1).padStart(5)}s  ${line}\n`);
      },
      done() {},
    };
  }
  // baas's own cursor control goes through io.control, raw; the line itself is made safe.
  const write = (t: string): void => (io.control ? io.control('stderr', t) : io.stderr(t));
  let current: BackupProgress | undefined;
  let frame = 0;
  const draw = (): void => {
    if (!current) return;
    const e = current;
    // The total is the databases' size, an estimate of what the copy reads.
    const amount = e.doneBytes === undefined ? '' : e.totalBytes && e.doneBytes < e.totalBytes ? `  ${bytes(e.doneBytes)} of ~${bytes(e.totalBytes)}` : `  ${bytes(e.doneBytes)} read`;
    const line = `${FRAMES[frame++ % FRAMES.length]} ${e.step.padEnd(8)} ${(e.elapsedMs / 1000).toFixed(1).padStart(5)}s${amount}${e.detail ? `  ${e.detail}` : ''}`;
    write(`\r\u001b[2K${terminalSafe(line.slice(0, io.columns - 1))}`);
  };
  const timer = setInterval(draw, 120);
  timer.unref();
  return {
    on(e) {
      // A byte count without words keeps the step's last words.
      const detail = e.detail ?? (current?.step === e.step ? current.detail : undefined);
      current = { ...e, ...(detail !== undefined ? { detail } : {}) };
      draw();
    },
    done() {
      clearInterval(timer);
      if (current) write('\r\u001b[2K');
    },
  };
}

interface JsonOpt {
  json?: boolean;
}

async function backupDeps(app: App, onProgress?: (e: BackupProgress) => void): Promise<BackupDeps> {
  return {
    runtime: await app.runtime(),
    logger: await app.logger(),
    loaded: await app.config(),
    stateDir: await app.stateDir(),
    env: app.io.env,
    ...(onProgress ? { onProgress } : {}),
  };
}

const when = (iso: string | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

async function confirm(io: Io, question: string): Promise<boolean> {
  if (!io.isTTY || !io.stdin) return false;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: io.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export function registerBackup(program: Command, app: App): void {
  const io = app.io;
  const note = (lines: string[]): void => lines.forEach((l) => io.stderr(`note: ${l}\n`));
  const withProgress = async <T>(opts: JsonOpt, fn: (deps: BackupDeps) => Promise<T>): Promise<T> => {
    const p = backupProgress(io, opts.json ? 'json' : io.isTTY ? 'tty' : 'plain');
    try {
      return await fn(await backupDeps(app, (e) => p.on(e)));
    } finally {
      p.done();
    }
  };

  const backup = program
    .command('backup')
    .description('continuous WAL archiving, base backups and point-in-time recovery of Postgres (plus Redis snapshots)')
    .addHelpText('after', `
Examples:
  $ baas backup create --label before-migration   base backup of the running Postgres (+ Redis snapshot)
  $ baas backup list                              backups and the recoverable window
  $ baas backup restore --at "2026-11-30 14:05:00" --to drill    that moment, as a new stack
  $ baas backup restore --at before-migration --in-place --yes   replace the running data
  $ baas backup verify                            restore the newest into a throwaway server and check it
  $ baas backup prune                             apply backups.keep
Needs \`backups.enabled: true\` (the default with \`profile: server\`), then \`baas up\`.`);

  backup
    .command('create')
    .description('a consistent base backup of the running Postgres, without stopping it or ending sessions, plus a Redis snapshot from a replica')
    .option('--label <label>', 'a name to restore it by (letters, digits, . _ -)')
    .option('--method <method>', 'clone (reflink, shares blocks with the live data) or archive (gzipped tar, self-contained); default: clone where possible')
    .option('--no-prune', 'do not apply backups.keep afterwards')
    .option('--json', 'print the result as JSON (progress as NDJSON on stderr)')
    .addHelpText('after', `
Examples:
  $ baas backup create
  $ baas backup create --label before-migration-42 --json | jq .durationMs
  $ baas backup create --method archive      a self-contained copy even where a clone is possible
A clone on XFS/btrfs when the repository shares the data's filesystem, a gzipped tar otherwise.
Exit codes: 2 bad label or --method, 3 backups off, 5 label exists / repository of another cluster / clone not
possible, 6 Postgres not running
or WAL archiving failing, 7 the repository is full or not writable.`)
    .action(async (opts: JsonOpt & { label?: string; prune: boolean; method?: string }) => {
      if (opts.method !== undefined && opts.method !== 'clone' && opts.method !== 'archive') {
        throw new UserError(`--method must be clone or archive, not '${opts.method}'.`, { hint: 'Leave it out to clone where the filesystem allows and archive elsewhere.' });
      }
      const { createBackup } = await import('../backup/create.js');
      const method = opts.method as 'clone' | 'archive' | undefined;
      const r = await withProgress(opts, (deps) => createBackup(deps, { ...(opts.label ? { label: opts.label } : {}), ...(method ? { method } : {}), prune: opts.prune }));
      if (opts.json) return io.stdout(json(r));
      io.stdout(`Backup ${r.id}${r.label ? ` (${r.label})` : ''} of '${r.project}' done in ${ms(r.durationMs)}: ${r.method === 'clone' ? 'reflink clone' : 'gzipped tar'} of ${bytes(r.dataBytes)} in ${ms(r.copyMs)}, ${bytes(r.storedBytes)} stored${r.method === 'clone' ? ' (blocks shared with the live data until they change)' : ''}.\n`);
      io.stdout(`  restores to  ${when(r.stoppedAt)} or later (WAL ${r.startLsn} … ${r.stopLsn}, timeline ${r.timeline})\n`);
      if (r.redis) io.stdout(`  redis        snapshot of ${r.redis.role} ${r.redis.node}, ${bytes(r.redis.bytes)} RDB\n`);
      if (r.mongo) io.stdout(`  mongo        mongodump --oplog, ${bytes(r.mongo.bytes)}\n`);
      io.stdout(`  repository   ${r.repository}\n`);
      if (r.pruned && (r.pruned.removeBackups.length || r.pruned.removeWal.length || r.pruned.removePartials.length)) {
        io.stdout(`  pruned       ${r.pruned.removeBackups.length} backup(s), ${r.pruned.removeWal.length} WAL file(s), ${r.pruned.removePartials.length} partial backup(s) (keep: ${r.pruned.keep})\n`);
      }
      note(r.notes);
    });

  backup
    .command('list')
    .description('base backups with their times and sizes, and the recoverable window (earliest and latest restorable moment)')
    .option('--json', 'print as JSON')
    .addHelpText('after', `
Examples:
  $ baas backup list
  $ baas backup list --json | jq .window`)
    .action(async (opts: JsonOpt) => {
      const { listBackups } = await import('../backup/list.js');
      const r = await listBackups(await backupDeps(app));
      if (opts.json) return io.stdout(json(r));
      io.stdout(`Backups of '${r.project}' in ${r.repository}${r.enabled ? '' : ' (backups.enabled is false: nothing new is archived)'}:\n\n`);
      if (r.backups.length === 0) io.stdout('  none yet: `baas backup create` makes one.\n');
      else {
        io.stdout(
          table(
            ['BACKUP', 'LABEL', 'RESTORES FROM', 'METHOD', 'DATA', 'STORED', 'TOOK', 'REDIS', 'STATUS'],
            [...r.backups].reverse().map((b) => [b.id, b.label ?? '-', when(b.stoppedAt), b.method, bytes(b.dataBytes), bytes(b.storedBytes), ms(b.durationMs), b.redis ? 'yes' : 'no', b.usable ? 'ok' : `NOT RESTORABLE: ${b.problem}`]),
            { alignRight: [4, 5, 6] },
          ),
        );
      }
      const w = r.window;
      io.stdout('\n');
      if (w.ranges.length === 0) io.stdout('Recoverable window: none (no complete base backup with its WAL).\n');
      else {
        io.stdout(`Recoverable window: ${when(w.earliest)} → ${r.live ? `now (WAL archived up to ${when(w.latest)}; a restore archives the rest first)` : when(w.latest)}\n`);
        if (w.ranges.length > 1) io.stdout(`  in ${w.ranges.length} pieces (WAL missing between them): ${w.ranges.map((x) => `${when(x.from)} → ${when(x.to)}`).join(', ')}\n`);
      }
      io.stdout(`WAL: ${w.segments} segment(s), ${bytes(w.walBytes)}, timeline ${w.timeline}; keep ${r.keep} base backup(s)${r.disk ? `; ${bytes(r.disk.freeBytes)} free in the repository` : ''}\n`);
      if (r.archiver) {
        const a = r.archiver;
        io.stdout(`Archiver: ${a.failing ? `FAILING (${a.failedCount} failure(s), last ${a.lastFailedWal} at ${when(a.lastFailedAt ?? undefined)})` : a.lastArchivedWal ? `ok, last ${a.lastArchivedWal} at ${when(a.lastArchivedAt ?? undefined)}` : a.mode === 'off' ? 'off' : 'on, nothing archived yet'}\n`);
      }
      const stale = r.partials.filter((p) => !p.busy);
      if (r.partials.length) io.stdout(`Partial backups (never restorable): ${r.partials.map((p) => `${p.id}${p.busy ? ' (being written)' : ''}`).join(', ')}${stale.length ? '; the next `create` or `prune` removes abandoned ones' : ''}\n`);
      if (r.damaged.length) io.stdout(`Directories without a readable manifest (ignored): ${r.damaged.join(', ')}\n`);
      note(r.notes);
    });

  backup
    .command('restore')
    .description('restore Postgres to a moment: into a new stack by default (the running one is untouched), or --in-place')
    .requiredOption('--at <target>', "a time (ISO 8601, local time without a zone), an LSN (16/B374D848), a backup's label or id, or 'latest'")
    .option('--to <project>', 'project name of the new stack (default: <project>-restore)')
    .option('--in-place', "replace the running stack's Postgres data (the replaced data directory is kept)")
    .option('--yes', 'do not ask for confirmation (--in-place)')
    .option('--redis', "also restore Redis from the backup's RDB snapshot")
    .option('--mongo', "also restore MongoDB from the backup's dump (mongorestore --oplogReplay; in place only)")
    .option('--json', 'print the result as JSON (progress as NDJSON on stderr)')
    .addHelpText('after', `
Examples:
  $ baas backup restore --at "2026-11-30 14:05:00" --to drill
  $ baas backup restore --at 2026-11-30T13:05:00Z --to drill --redis
  $ baas backup restore --at before-migration-42 --in-place --yes
  $ baas backup restore --at 0/3000060 --to at-lsn
  $ baas backup restore --at latest --to copy
Exit codes: 2 bad target, unknown label, outside the recoverable window, in the future, bad --to;
5 the --to stack exists; 7 recovery failed (nothing of the running stack was changed).`)
    .action(async (opts: JsonOpt & { at: string; to?: string; inPlace?: boolean; yes?: boolean; redis?: boolean; mongo?: boolean }) => {
      const { restoreBackup } = await import('../backup/restore.js');
      let confirmed = Boolean(opts.yes);
      // Without a terminal to ask on, the core refuses and says to pass --yes.
      if (opts.inPlace && !confirmed && io.isTTY && io.stdin) {
        const loaded = await app.config();
        confirmed = await confirm(io, `Replace the Postgres data of '${loaded.config.project}'${opts.redis ? ' and its Redis data' : ''} with the state at ${opts.at}? The current data directory is kept beside it.`);
        if (!confirmed) throw new UserError('Not confirmed: nothing was changed.', { hint: 'Pass --yes to restore in place without being asked.' });
      }
      const r = await withProgress(opts, (deps) =>
        restoreBackup(deps, { at: opts.at, ...(opts.to ? { to: opts.to } : {}), inPlace: Boolean(opts.inPlace), confirmed, redis: Boolean(opts.redis), mongo: Boolean(opts.mongo) }),
      );
      if (opts.json) return io.stdout(json(r));
      const reached = r.reached === 'target' ? r.target : `${r.target}: the archive has no commit after it, so everything archived was replayed (the same state)`;
      if (r.mode === 'new-stack') {
        io.stdout(`Restored '${r.source}' as the new stack '${r.project}' in ${ms(r.durationMs)} (recovery ${ms(r.recoveryMs)}), to ${reached}, from backup ${r.backup.label ?? r.backup.id}. '${r.source}' was not touched.\n\n`);
        io.stdout(`Connect:\n  baas -c ${r.configFile} env\n  psql "$(baas -c ${r.configFile} connect postgres --url --show-secrets)"\n`);
        if (r.postgresPort) io.stdout(`  (Postgres listens on port ${r.postgresPort}; same users and passwords as '${r.source}')\n`);
        io.stdout(`Remove it when done:\n  baas -c ${r.configFile} down --volumes\n`);
      } else {
        io.stdout(`Restored '${r.project}' in place in ${ms(r.durationMs)} (recovery ${ms(r.recoveryMs)}), to ${reached}, from backup ${r.backup.label ?? r.backup.id}.\n`);
        io.stdout(`The replaced data directory is kept at ${r.replacedDataDir}; remove it when you no longer need it.\n`);
      }
      if (r.redis !== 'not requested') io.stdout(`Redis: ${r.redis}.\n`);
      if (r.mongo !== 'not requested') io.stdout(`MongoDB: ${r.mongo}.\n`);
      note(r.notes);
    });

  backup
    .command('verify')
    .description('restore the newest backup into a throwaway server, check every database opens and the platform tables match, remove it (exit 6 on failure)')
    .option('--backup <id-or-label>', 'verify this backup instead of the newest')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  $ baas backup verify
  $ baas backup verify --backup before-migration-42 --json | jq .checks
Exit code 6 when any check fails (or there is nothing to verify).`)
    .action(async (opts: JsonOpt & { backup?: string }) => {
      const { verifyBackup } = await import('../backup/verify.js');
      const r = await withProgress(opts, (deps) => verifyBackup(deps, opts.backup ? { backup: opts.backup } : {}));
      if (opts.json) io.stdout(json(r));
      else {
        io.stdout(`Backup ${r.backup.id}${r.backup.label ? ` (${r.backup.label})` : ''}, ${r.backup.method}, restores from ${when(r.backup.stoppedAt)}:\n`);
        io.stdout(table(['CHECK', 'RESULT', 'DETAIL'], r.checks.map((c) => [c.check, c.ok ? 'ok' : 'FAILED', c.detail])));
        io.stdout(`\n${r.ok ? 'Verified' : 'Verification FAILED'} in ${ms(r.durationMs)}; the throwaway server was removed.\n`);
      }
      if (!r.ok) throw new UnhealthyError(`Backup ${r.backup.id} failed verification: ${r.checks.filter((c) => !c.ok).map((c) => c.check).join(', ')}.`, { hint: 'Take a new backup (`baas backup create`) and look at `baas backup list`.' });
    });

  backup
    .command('prune')
    .description('apply retention: keep the newest backups.keep restorable base backups and the WAL they need, remove the rest')
    .option('--keep <n>', 'keep this many instead of backups.keep')
    .option('--dry-run', 'say what would be removed, remove nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  $ baas backup prune --dry-run
  $ baas backup prune --keep 3
A backup that cannot be restored never counts toward keep; WAL older than the oldest kept backup goes.`)
    .action(async (opts: JsonOpt & { keep?: string; dryRun?: boolean }) => {
      const keep = opts.keep === undefined ? undefined : Number(opts.keep);
      if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) throw new UserError(`--keep must be a whole number of at least 1, not '${opts.keep}'.`);
      const { pruneBackups } = await import('../backup/prune.js');
      const r = await pruneBackups(await backupDeps(app), { ...(keep ? { keep } : {}), dryRun: Boolean(opts.dryRun) });
      if (opts.json) return io.stdout(json(r));
      const verb = r.dryRun ? 'Would remove' : 'Removed';
      io.stdout(`${verb} ${r.removeBackups.length} base backup(s), ${r.removeWal.length} WAL file(s) and ${r.removePartials.length} abandoned partial backup(s) from ${r.repository}${r.dryRun ? '' : ` (${bytes(r.freedBytes)} freed)`}; keeping ${r.keptBackups.length} backup(s) (keep: ${r.keep}).\n`);
      for (const b of r.removeBackups) io.stdout(`  ${b.id}${b.label ? ` (${b.label})` : ''}: ${b.reason}\n`);
      note(r.notes);
    });
}
