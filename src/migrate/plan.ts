import path from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { compareVersions, versionNumber, type MigrationFile, type MigrationSet, type MigrationSource } from './files.js';

export interface AppliedMigration {
  source: MigrationSource;
  version: string;
  name: string;
  checksum: string;
  appliedAt: string;
  durationMs: number;
  appliedBy: string;
  /**
   * The version applied just before this one (same source): each record is chained to its
   * predecessor, as graphile-migrate's `--! Previous:` header does, so the real order of
   * history is kept. Null for the first one, and for records made before baas kept the chain.
   */
  previous?: string | null;
}

export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing';

export interface MigrationStatus {
  source: MigrationSource;
  version: string;
  name: string;
  state: MigrationState;
  file?: string;
  appliedAt?: string;
  appliedBy?: string;
  durationMs?: number;
  noTransaction?: boolean;
  /** Applied: the version applied just before it. */
  previous?: string | null;
  /** Pending, but numbered below this already-applied version: applying it would run it out of order. */
  outOfOrderAfter?: string;
}

const key = (source: MigrationSource, version: string): string => `${source}:${versionNumber(version)}`;

/** Pure: files + tracking rows → one status per migration, platform first, in version order. */
export function planStatus(set: Pick<MigrationSet, 'platform' | 'app'>, applied: AppliedMigration[]): MigrationStatus[] {
  const out: MigrationStatus[] = [];
  for (const source of ['platform', 'app'] as const) {
    const files = source === 'platform' ? set.platform : set.app;
    const rows = new Map(applied.filter((a) => a.source === source).map((a) => [key(source, a.version), a]));
    const seen = new Set<string>();
    const entries: MigrationStatus[] = [];
    // The newest applied version: a pending file numbered below it was merged after it ran.
    let newest: AppliedMigration | undefined;
    for (const a of rows.values()) if (!newest || versionNumber(a.version) > versionNumber(newest.version)) newest = a;
    for (const f of files) {
      const k = key(source, f.version);
      seen.add(k);
      const row = rows.get(k);
      const base = { source, version: f.version, name: f.name, file: f.file, noTransaction: f.noTransaction };
      if (!row) {
        const late = newest && versionNumber(f.version) < versionNumber(newest.version);
        entries.push({ ...base, state: 'pending', ...(late ? { outOfOrderAfter: newest!.version } : {}) });
      } else
        entries.push({
          ...base,
          state: row.checksum === f.checksum ? 'applied' : 'changed',
          appliedAt: row.appliedAt,
          appliedBy: row.appliedBy,
          durationMs: row.durationMs,
          ...(row.previous !== undefined ? { previous: row.previous } : {}),
        });
    }
    for (const [k, row] of rows) {
      if (!seen.has(k)) entries.push({ source, version: row.version, name: row.name, state: 'missing', appliedAt: row.appliedAt, appliedBy: row.appliedBy, durationMs: row.durationMs });
    }
    entries.sort((a, b) => compareVersions(a.version, b.version));
    out.push(...entries);
  }
  return out;
}

/** The migrations `up` would apply, or a clear refusal when history and files disagree. */
export function pendingOrThrow(set: MigrationSet, status: MigrationStatus[], options: { allowOutOfOrder?: boolean } = {}): MigrationFile[] {
  const changed = status.filter((s) => s.state === 'changed');
  if (changed.length > 0) {
    const first = changed[0]!;
    throw new UserError(
      `${changed.length} applied migration(s) changed since they were applied: ${changed.map((c) => `${c.source} ${c.version}_${c.name}${c.file ? ` (${path.basename(c.file)})` : ''}`).join(', ')}.`,
      {
        exitCode: ExitCode.conflict,
        hint: `Applied migrations must not be edited: put the change in a new migration (\`baas migrate new <name>\`) and restore the file, or accept the edit deliberately with \`baas migrate repair ${first.version}${first.source === 'platform' ? ' --platform' : ''}\`.`,
      },
    );
  }
  const missing = status.filter((s) => s.state === 'missing');
  if (missing.length > 0) {
    const first = missing[0]!;
    throw new UserError(
      `${missing.length} applied migration(s) have no file any more: ${missing.map((m) => `${m.source} ${m.version}_${m.name}`).join(', ')} (looked in ${first.source === 'platform' ? set.platformDir : set.appDir}).`,
      {
        exitCode: ExitCode.conflict,
        hint: `Restore the file from version control, or forget the record deliberately with \`baas migrate repair ${first.version}${first.source === 'platform' ? ' --platform' : ''}\`.`,
      },
    );
  }
  const late = status.filter((s) => s.state === 'pending' && s.outOfOrderAfter !== undefined);
  if (late.length > 0 && !options.allowOutOfOrder) {
    const fileOf = (source: MigrationSource, version: string): string => {
      const files = source === 'platform' ? set.platform : set.app;
      const f = files.find((x) => versionNumber(x.version) === versionNumber(version));
      const row = status.find((x) => x.source === source && versionNumber(x.version) === versionNumber(version));
      return f ? path.basename(f.file) : `${version}_${row?.name ?? '?'}.sql`;
    };
    const pairs = late.map((m) => `${fileOf(m.source, m.version)} is numbered before ${fileOf(m.source, m.outOfOrderAfter!)}, which is already applied`);
    const first = late[0]!;
    throw new UserError(`${pairs.join('; ')}: applying ${late.length === 1 ? 'it' : 'them'} now would run ${late.length === 1 ? 'it' : 'them'} out of order.`, {
      exitCode: ExitCode.conflict,
      code: 'migration_out_of_order',
      hint: `Renumber ${fileOf(first.source, first.version)} after the last applied migration (\`baas migrate new\` picks the next number), or apply it where it is with \`baas migrate up --allow-out-of-order\`.`,
    });
  }
  const pending = new Set(status.filter((s) => s.state === 'pending').map((s) => key(s.source, s.version)));
  return [...set.platform, ...set.app].filter((f) => pending.has(key(f.source, f.version)));
}
