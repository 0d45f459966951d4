import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, UserError } from '../errors.js';
import { parseFlags } from './sql-text.js';

export type MigrationSource = 'platform' | 'app';

export interface MigrationFile {
  source: MigrationSource;
  /** The numeric prefix as written, e.g. `0003`. */
  version: string;
  name: string;
  file: string;
  sql: string;
  checksum: string;
  noTransaction: boolean;
}

/** `0001_create_notes.sql` → version 0001, name create_notes. */
export const MIGRATION_FILE = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.sql$/;

/** The platform's own migrations ship with baas (repo root `migrations/`, also next to dist/). */
export function platformMigrationsDir(): string {
  return fileURLToPath(new URL('../../migrations/', import.meta.url));
}

/** Line endings do not change a migration: a Windows checkout must not look like an edit. */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export const versionNumber = (v: string): bigint => BigInt(v);

export function compareVersions(a: string, b: string): number {
  const x = versionNumber(a);
  const y = versionNumber(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface ListedFile {
  fileName: string;
  text: string;
}

/**
 * Pure: file names and contents to ordered migrations. Throws on a duplicate version
 * (two files whose prefixes are the same number, e.g. 0003_a.sql and 3_b.sql).
 */
export function parseMigrationFiles(source: MigrationSource, dir: string, listed: ListedFile[]): { migrations: MigrationFile[]; ignored: string[] } {
  const migrations: MigrationFile[] = [];
  const ignored: string[] = [];
  for (const f of listed) {
    const m = MIGRATION_FILE.exec(f.fileName);
    if (!m) {
      ignored.push(f.fileName);
      continue;
    }
    migrations.push({
      source,
      version: m[1]!,
      name: m[2]!,
      file: path.join(dir, f.fileName),
      sql: f.text,
      checksum: checksumOf(f.text),
      noTransaction: parseFlags(f.text).noTransaction,
    });
  }
  migrations.sort((a, b) => compareVersions(a.version, b.version) || a.name.localeCompare(b.name));
  const dupes = new Map<string, MigrationFile[]>();
  for (const m of migrations) {
    const key = String(versionNumber(m.version));
    dupes.set(key, [...(dupes.get(key) ?? []), m]);
  }
  const clashes = [...dupes.values()].filter((g) => g.length > 1);
  if (clashes.length > 0) {
    throw new UserError(`Duplicate migration version in ${dir}: ${clashes.map((g) => g.map((m) => path.basename(m.file)).join(' and ')).join('; ')}.`, {
      exitCode: ExitCode.usage,
      hint: 'Each version number may be used once: renumber the newer file (`baas migrate new <name>` picks the next free number).',
    });
  }
  return { migrations, ignored };
}

/** Reads `*.sql` files of a directory; a missing directory is an empty list (no app migrations yet). */
export function readMigrationDir(source: MigrationSource, dir: string): { migrations: MigrationFile[]; ignored: string[] } {
  if (!existsSync(dir)) return { migrations: [], ignored: [] };
  if (!statSync(dir).isDirectory()) {
    throw new UserError(`The migrations path ${dir} is not a directory.`, { exitCode: ExitCode.config, hint: 'Point migrations.dir in platform.config.yaml at a directory of NNNN_name.sql files.' });
  }
  const listed = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((fileName) => ({ fileName, text: readFileSync(path.join(dir, fileName), 'utf8') }));
  return parseMigrationFiles(source, dir, listed);
}

export interface MigrationSet {
  platformDir: string;
  appDir: string;
  platform: MigrationFile[];
  app: MigrationFile[];
  ignored: string[];
}

export function loadMigrationSet(appDir: string, platformDir = platformMigrationsDir()): MigrationSet {
  const p = readMigrationDir('platform', platformDir);
  const a = readMigrationDir('app', appDir);
  return { platformDir, appDir, platform: p.migrations, app: a.migrations, ignored: a.ignored.map((f) => path.join(appDir, f)) };
}

/** Pure: the next version number and file name for `baas migrate new`. */
export function nextMigrationFileName(existing: string[], name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw new UserError(`'${name}' is not usable as a migration name.`, { hint: 'Use words such as add_notes_table.' });
  let max = 0n;
  let width = 4;
  for (const f of existing) {
    const m = MIGRATION_FILE.exec(f);
    if (!m) continue;
    const v = BigInt(m[1]!);
    if (v > max) max = v;
    width = Math.max(width, m[1]!.length);
  }
  return `${String(max + 1n).padStart(width, '0')}_${slug}.sql`;
}
