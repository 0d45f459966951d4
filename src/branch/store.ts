import { quoteIdent, quoteLiteral } from '../pg/escape.js';
import { decodeMeta, encodeMeta, type BranchMeta } from './meta.js';
import type { Sql } from '../pg/sql.js';

export interface StoredBranch {
  database: string;
  meta: BranchMeta;
}

/**
 * Where branch metadata lives. Today it is stored with each database (its comment), so it
 * survives restarts and travels with the data; a platform registry table can implement the
 * same interface later. Keys are database names: a rename moves the record with the database.
 */
export interface BranchStore {
  /** Every database that carries baas metadata. */
  list(): Promise<StoredBranch[]>;
  read(database: string): Promise<BranchMeta | undefined>;
  write(database: string, meta: BranchMeta): Promise<void>;
  /** Called after a database is dropped (the comment store needs nothing: the comment goes with it). */
  forget(database: string): Promise<void>;
}

/** `COMMENT ON DATABASE x IS '{"baas":{...}}'`, read back with shobj_description(oid, 'pg_database'). */
export class CommentBranchStore implements BranchStore {
  constructor(private readonly sql: Sql) {}

  async list(): Promise<StoredBranch[]> {
    const rows = await this.sql.query<{ datname: string; comment: string | null }>(
      "select datname, shobj_description(oid, 'pg_database') as comment from pg_database where not datistemplate order by datname",
    );
    const out: StoredBranch[] = [];
    for (const r of rows) {
      const meta = decodeMeta(r.comment);
      if (meta) out.push({ database: r.datname, meta });
    }
    return out;
  }

  async read(database: string): Promise<BranchMeta | undefined> {
    const rows = await this.sql.query<{ comment: string | null }>(
      "select shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1",
      [database],
    );
    return decodeMeta(rows[0]?.comment);
  }

  async write(database: string, meta: BranchMeta): Promise<void> {
    // COMMENT takes no bind parameters: the identifier and the literal are quoted.
    await this.sql.query(`COMMENT ON DATABASE ${quoteIdent(database)} IS ${quoteLiteral(encodeMeta(meta))}`);
  }

  async forget(): Promise<void> {}
}
