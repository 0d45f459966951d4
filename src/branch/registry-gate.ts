import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from '../pg/sql.js';
import { replacePrivateFile } from '../private-files.js';
import { syncRegistry, type RegistrySync } from './registry.js';
import type { BranchDeps } from './types.js';

/**
 * The registry sync needs a session on main, which costs a connection (10-50 ms) after every
 * command that changes branches: also on the many stacks that never ran `baas migrate up` and
 * so have no registry. After a check that found none, the answer is remembered in `.baas/`
 * together with main's write counters from pg_stat_database (rows inserted, updated, deleted,
 * and when the statistics were reset), read on the session the command already holds. Creating
 * the registry inserts catalog rows in main and so changes them: while they are unchanged the
 * registry is still absent and no session is opened. Without track_counts, every run checks.
 */
export const REGISTRY_STATE_FILE = 'branch-registry.json';

export interface RegistryGate {
  /** `.baas/branch-registry.json`; written only where `.baas/` exists. */
  file: string;
  /** Which server (host:port), so that other servers' answers are kept apart. */
  server: string;
}

/** main's write counters, or undefined when statistics are off (then they prove nothing). */
export async function mainWrites(sql: Sql, mainDatabase: string): Promise<string | undefined> {
  const rows = await sql.query<{ writes: string | null }>(
    `select case when current_setting('track_counts')::boolean
                 then concat_ws('/', d.oid, s.tup_inserted, s.tup_updated, s.tup_deleted, s.stats_reset) end as writes
       from pg_database d join pg_stat_database s on s.datid = d.oid
      where d.datname = $1`,
    [mainDatabase],
  );
  return rows[0]?.writes ?? undefined;
}

/** syncRegistry, skipped while main is known to have no registry and has not been written since. */
export async function syncRegistryWhenPresent(deps: BranchDeps, gate: RegistryGate): Promise<RegistrySync> {
  const key = `${gate.server}/${deps.mainDatabase}`;
  const writes = await mainWrites(deps.sql, deps.mainDatabase).catch(() => undefined);
  const known = readAbsent(gate.file);
  if (writes !== undefined && known[key] === writes) return { registry: 'absent' };
  const result = await syncRegistry(deps);
  if (result.registry === 'absent' && writes !== undefined) known[key] = writes;
  else delete known[key];
  writeAbsent(gate.file, known);
  return result;
}

/**
 * Forgets every "no registry" answer: `baas migrate up` calls it after applying migrations, so
 * the next branch command checks main whether or not the server has published the write
 * counters of the session that created the registry yet (a backend flushes them as it ends).
 */
export function forgetRegistryAbsence(stateDir: string): void {
  try {
    unlinkSync(path.join(stateDir, REGISTRY_STATE_FILE));
  } catch {
    /* nothing remembered */
  }
}

function readAbsent(file: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { absent?: unknown };
    const absent = parsed.absent;
    if (!absent || typeof absent !== 'object') return {};
    return Object.fromEntries(Object.entries(absent).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

function writeAbsent(file: string, absent: Record<string, string>): void {
  if (!existsSync(path.dirname(file))) return;
  try {
    replacePrivateFile(file, JSON.stringify({ absent }));
  } catch {
    /* best effort: the next command checks again */
  }
}
