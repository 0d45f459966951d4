/**
 * Waiting for the archiver, and sealing: making the WAL written up to now restorable by
 * committing a transaction (so a commit record follows any target time) and switching to a new
 * segment, then waiting until the finished one is in the repository.
 */
import { UnhealthyError } from '../errors.js';
import type { Sql } from '../pg/sql.js';
import { readArchiver } from '../services/postgres-backups.js';
import type { RepoShell } from './repo.js';
import type { SourceStack } from './source.js';

/** Waits until `wal` is in the repository; fails early, naming the repository, when the archiver fails. */
export async function waitArchived(shell: RepoShell, sql: Sql, s: SourceStack, wal: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const r = await shell.run('test -f "$ROOT/wal/$WAL.gz"', { ROOT: s.repo.root, WAL: wal });
    if (r.exitCode === 0) return;
    if (i % 4 === 3) {
      const a = await readArchiver(sql);
      if (a.failing && a.lastFailedWal && a.lastFailedWal <= wal) {
        throw new UnhealthyError(`WAL archiving into ${s.repo.location} fails (last failure: ${a.lastFailedWal} at ${a.lastFailedAt}), so the WAL up to now is not in the repository.`, {
          hint: '`baas logs postgres` says why: usually a full or read-only repository. The database keeps serving.',
        });
      }
    }
    if (Date.now() > deadline) throw new UnhealthyError(`${wal} was not archived into ${s.repo.location} within ${Math.round(timeoutMs / 1000)} s.`, { hint: '`baas health postgres` shows the archiver.' });
    await new Promise((r2) => setTimeout(r2, 250));
  }
}

/** Commits a transaction, switches the WAL segment and waits until it is archived. Returns the segment. */
export async function seal(shell: RepoShell, sql: Sql, s: SourceStack, timeoutMs = 120_000): Promise<string> {
  await sql.query('select txid_current()');
  const r = (await sql.query<{ wal: string }>('select pg_walfile_name(pg_switch_wal() - 1) as wal'))[0]!;
  await waitArchived(shell, sql, s, r.wal, timeoutMs);
  return r.wal;
}
