import { silentLogger, type Logger } from '../log.js';
import type { Sql } from '../pg/sql.js';
import { repairLeftovers } from './copy.js';
import { CommentBranchStore } from './store.js';

/**
 * The repair `baas branch list` runs, for callers outside branch commands (`up`, `health`):
 * a main or branch database left refusing connections by an interrupted copy is opened again,
 * unfinished copies are removed, an interrupted reset is finished. Skips anything a running
 * branch operation holds. `sql` is a superuser session in a database nobody branches.
 */
export function repairInterrupted(sql: Sql, mainDatabase: string, logger: Logger = silentLogger): Promise<string[]> {
  return repairLeftovers({ sql, store: new CommentBranchStore(sql), mainDatabase, logger });
}
