import { ExitCode, UserError } from '../errors.js';
import { parseDuration } from '../format.js';

/**
 * Branch names and the databases behind them. A branch `feature-x` lives in the database
 * `br_feature-x`: the prefix keeps branches apart from the user's own databases (a branch may
 * be called `postgres` or `app` without touching those), and `br__` (double underscore) is
 * reserved for baas' own in-flight copies, which no branch name can produce.
 */

export const MAIN = 'main';
export const BRANCH_DB_PREFIX = 'br_';
export const TEMP_DB_PREFIX = 'br__tmp_';
/** Postgres truncates identifiers at 63 bytes (NAMEDATALEN - 1); a branch name must fit with the prefix. */
export const MAX_DB_NAME_BYTES = 63;
export const MAX_BRANCH_NAME_BYTES = MAX_DB_NAME_BYTES - BRANCH_DB_PREFIX.length;

const NAME = /^[a-z][a-z0-9_-]*$/;

/** Throws a usage error (exit 2) unless `name` is a valid branch name; returns it unchanged. */
export function validateBranchName(name: string, what = 'branch name'): string {
  if (name === MAIN) return name;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) throw new UserError(`The ${what} is empty.`, { hint: 'Use lowercase letters, digits, - and _, starting with a letter, e.g. feature-login.' });
  if (bytes > MAX_BRANCH_NAME_BYTES) {
    throw new UserError(`The ${what} '${name.slice(0, 80)}' is ${bytes} bytes long; at most ${MAX_BRANCH_NAME_BYTES} fit (Postgres names are limited to ${MAX_DB_NAME_BYTES} bytes, and baas adds '${BRANCH_DB_PREFIX}').`, {
      hint: 'Shorten it, e.g. keep the ticket number and a word or two.',
    });
  }
  if (!NAME.test(name)) {
    const suggestion = suggestName(name);
    throw new UserError(`The ${what} '${printable(name)}' is not allowed: use lowercase letters, digits, - and _, starting with a letter.`, {
      exitCode: ExitCode.usage,
      hint: suggestion ? `For example '${suggestion}'.` : 'For example feature-login or ci-1234.',
    });
  }
  return name;
}

/** A printable, bounded rendering of user input for error messages. */
function printable(s: string): string {
  const shown = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  // eslint-disable-next-line no-control-regex
  return shown.replace(/[\u0000-\u001f\u007f]/g, '?');
}

/** `Feature/Login` → `feature-login`: a hint only, never applied silently. */
export function suggestName(name: string): string | undefined {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+/g, '-')
    .replace(/-$/, '')
    .slice(0, MAX_BRANCH_NAME_BYTES);
  return s && NAME.test(s) && s !== MAIN ? s : undefined;
}

/** The database that holds a branch (`main` maps to the configured database). */
export function databaseFor(branch: string, mainDatabase: string): string {
  return branch === MAIN ? mainDatabase : `${BRANCH_DB_PREFIX}${branch}`;
}

/** The branch a database holds, or undefined for databases that are not branches (and temporary copies). */
export function branchOfDatabase(database: string): string | undefined {
  if (!database.startsWith(BRANCH_DB_PREFIX) || database.startsWith('br__')) return undefined;
  const name = database.slice(BRANCH_DB_PREFIX.length);
  return NAME.test(name) && name !== MAIN ? name : undefined;
}

export function isTempDatabase(database: string): boolean {
  return database.startsWith(TEMP_DB_PREFIX);
}

/** `30m`, `12h`, `7d`, `2w` to milliseconds. */
export function parseTtl(text: string): number {
  const n = parseDuration(text, { units: ['m', 'h', 'd', 'w'] });
  if (n === undefined || !Number.isSafeInteger(n) || n <= 0) {
    throw new UserError(`--ttl must be a duration such as 30m, 12h, 7d or 2w, not '${printable(text)}'.`, { hint: 'For example --ttl 7d.' });
  }
  return n;
}
