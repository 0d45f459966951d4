import type { Logger } from '../log.js';
import type { Sql } from '../pg/sql.js';
import type { BranchStore } from './store.js';
import type { CloneSupport } from './strategy.js';

/** Everything branch operations need, built once by the composition root (src/branch/context.ts). */
export interface BranchDeps {
  /** A superuser session in the maintenance database (never in a database being copied). */
  sql: Sql;
  /** Opens another superuser session (diff reads both databases; an interrupt cancels a copy). */
  connect(database: string): Promise<Sql>;
  /** The database `sql` is connected to. */
  maintenanceDatabase: string;
  store: BranchStore;
  /** The database `main` stands for (config services.postgres.database, or the --database-url's). */
  mainDatabase: string;
  /** The application role to grant CONNECT to on new branches, when baas manages the server. */
  appRole?: string;
  /** Whether copy-on-write clones work where the server keeps its data (probed on demand). */
  cloneSupport(): Promise<CloneSupport>;
  now(): Date;
  /** OS user recorded as a branch's creator. */
  user: string;
  logger: Logger;
  /** Aborted on Ctrl-C / SIGTERM: a running copy is cancelled and the parent re-opened. */
  signal?: AbortSignal;
  /** How long a copy may wait for a lock on its parent before giving up (the parent stays paused meanwhile). */
  copyLockTimeoutMs?: number;
}
