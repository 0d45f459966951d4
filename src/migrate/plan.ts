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
    for (const f of files) {
      const k = key(source, f.version);
      seen.add(k);
      const row = rows.get(k);
      const base = { source, version: f.version, name: f.name, file: f.file, noTransaction: f.noTransaction };
      if (!row) entries.push({ ...base, state: 'pending' });
      else
        entries.push({
          ...base,
          state: row.checksum === f.checksum ? 'applied' : 'changed',
          appliedAt: row.appliedAt,
          appliedBy: row.appliedBy,
          durationMs: row.durationMs,
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
export function pendingOrThrow(set: MigrationSet, status: MigrationStatus[]): MigrationFile[] {
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
  const pending = new Set(status.filter((s) => s.state === 'pending').map((s) => key(s.source, s.version)));
  return [...set.platform, ...set.app].filter((f) => pending.has(key(f.source, f.version)));
}
