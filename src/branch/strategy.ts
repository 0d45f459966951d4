import { ExitCode, UserError } from '../errors.js';
import { quoteIdent } from '../pg/escape.js';

/**
 * How a branch is copied. Pure: the choice and the SQL, from facts gathered elsewhere.
 *  - clone: `STRATEGY FILE_COPY` with `file_copy_method = clone` (Postgres 18+): copy_file_range
 *    makes copy-on-write clones on XFS (reflink=1) / btrfs, constant time and almost no disk.
 *  - file_copy: copies the files in full and forces a checkpoint before and after: the faster
 *    full copy for anything but tiny databases.
 *  - wal_log: Postgres' default, copies block by block through the WAL: no checkpoints, so it
 *    wins for tiny databases, but writes everything twice (data + WAL).
 */
export type Strategy = 'clone' | 'file_copy' | 'wal_log';
export const STRATEGIES: Strategy[] = ['clone', 'file_copy', 'wal_log'];

/** Below this size WAL_LOG beats FILE_COPY's two checkpoints (measured with bench/branch.mjs). */
export const WAL_LOG_MAX_BYTES = 32 * 1024 * 1024;
/** Rough full-copy throughputs on a small VM (bench/branch.mjs), for the cost note only. */
const FILE_COPY_BYTES_PER_S = 200 * 1024 * 1024;
const WAL_LOG_BYTES_PER_S = 110 * 1024 * 1024;

export interface CloneSupport {
  /** true: reflink clones work where the data lives; false: they do not; undefined: cannot tell. */
  reflink: boolean | undefined;
  /** Why: filesystem and path probed, or why it could not be probed. */
  detail: string;
}

export interface StrategyChoice {
  strategy: Strategy;
  /** One sentence: why this strategy. */
  reason: string;
  /** Set when copy-on-write is not used: what the full copy costs. Shown once. */
  fallback?: string;
  /** Whether the copy pauses the parent for as long as a full copy takes. */
  fullCopy: boolean;
}

export interface ChooseInput {
  serverVersionNum: number;
  clone: CloneSupport;
  sizeBytes: number;
  forced?: Strategy | undefined;
}

function mb(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : `${Math.max(1, Math.round(n / 1024 ** 2))} MB`;
}

function secs(bytes: number, rate: number): string {
  const s = bytes / rate;
  return s < 1 ? 'under a second' : `about ${Math.round(s)} s`;
}

export function fullCopyCost(strategy: 'file_copy' | 'wal_log', sizeBytes: number): string {
  return strategy === 'file_copy'
    ? `a full copy of ${mb(sizeBytes)} (${mb(sizeBytes)} more disk, ${secs(sizeBytes, FILE_COPY_BYTES_PER_S)} here, two forced checkpoints)`
    : `a block-by-block copy of ${mb(sizeBytes)} through the WAL (${mb(sizeBytes)} more disk plus as much WAL, ${secs(sizeBytes, WAL_LOG_BYTES_PER_S)} here)`;
}

export function chooseStrategy(input: ChooseInput): StrategyChoice {
  const pg18 = input.serverVersionNum >= 180000;
  const { forced, sizeBytes, clone } = input;
  if (forced === 'clone') {
    if (!pg18) {
      throw new UserError(`--strategy clone needs Postgres 18 or later (file_copy_method); this server is ${Math.floor(input.serverVersionNum / 10000)}.`, {
        exitCode: ExitCode.usage,
        hint: 'Use --strategy file_copy or wal_log, or leave --strategy out.',
      });
    }
    if (clone.reflink === false) {
      return {
        strategy: 'clone',
        reason: `--strategy clone was asked for, but ${clone.detail}`,
        fallback: `Postgres will silently do ${fullCopyCost('file_copy', sizeBytes)}.`,
        fullCopy: true,
      };
    }
    return { strategy: 'clone', reason: `--strategy clone was asked for (${clone.detail})`, fullCopy: false };
  }
  if (forced) {
    return { strategy: forced, reason: `--strategy ${forced} was asked for`, fallback: `This is ${fullCopyCost(forced, sizeBytes)}.`, fullCopy: true };
  }
  if (pg18 && clone.reflink === true) {
    return { strategy: 'clone', reason: `${clone.detail}: copy-on-write clone, constant time, almost no disk`, fullCopy: false };
  }
  const why = !pg18
    ? `Postgres ${Math.floor(input.serverVersionNum / 10000)} cannot clone files (file_copy_method needs 18)`
    : clone.reflink === false
      ? `copy-on-write clones are not available: ${clone.detail}`
      : `cannot tell whether the server's data directory can clone files (${clone.detail})`;
  const strategy: Strategy = sizeBytes <= WAL_LOG_MAX_BYTES ? 'wal_log' : 'file_copy';
  const pick =
    strategy === 'wal_log'
      ? `WAL_LOG because ${mb(sizeBytes)} is small (no checkpoints)`
      : `FILE_COPY because ${mb(sizeBytes)} is large (faster than WAL_LOG, but forces checkpoints)`;
  const hint = !pg18 || clone.reflink === false ? ' Put services.postgres.data on XFS (reflink=1) or btrfs with Postgres 18 for instant branches; see `baas doctor`.' : ' If its data is on XFS (reflink=1) or btrfs, pass --strategy clone.';
  return { strategy, reason: `${why}; ${pick}`, fallback: `Branching does ${fullCopyCost(strategy, sizeBytes)}.${hint}`, fullCopy: true };
}

/** The statements that copy `template` into `target`, in order, on one session. */
export function createDatabaseSql(target: string, template: string, owner: string, strategy: Strategy, serverVersionNum = 180000): string[] {
  const create = `CREATE DATABASE ${quoteIdent(target)} TEMPLATE ${quoteIdent(template)} OWNER ${quoteIdent(owner)}`;
  // Before 15 there is no STRATEGY: every copy is a file copy.
  if (serverVersionNum < 150000) return [create];
  switch (strategy) {
    case 'clone':
      return ['SET file_copy_method = clone', `${create} STRATEGY FILE_COPY`, 'RESET file_copy_method'];
    case 'file_copy':
      // Explicitly `copy` on 18+: a server configured with file_copy_method = clone would otherwise clone.
      return serverVersionNum >= 180000 ? ['SET file_copy_method = copy', `${create} STRATEGY FILE_COPY`, 'RESET file_copy_method'] : [`${create} STRATEGY FILE_COPY`];
    case 'wal_log':
      return [`${create} STRATEGY WAL_LOG`];
  }
}

export function parseStrategy(s: string | undefined): Strategy | undefined {
  if (s === undefined) return undefined;
  const v = s.toLowerCase().replace('-', '_');
  if ((STRATEGIES as string[]).includes(v)) return v as Strategy;
  throw new UserError(`--strategy must be one of ${STRATEGIES.join(', ')}, not '${s.slice(0, 40)}'.`, { hint: 'Leave it out to let baas choose.' });
}
