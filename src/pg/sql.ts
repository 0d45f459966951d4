/**
 * The one Postgres seam: a session that runs statements and returns rows. The node-postgres
 * implementation is in client.ts; unit tests pass small fakes. Code above this layer never
 * sees a `pg.Client`.
 */
export interface Sql {
  /** The server process id of this session (to cancel its statement from another session). */
  readonly pid: number;
  /**
   * Rows of the statement. Text without parameters may hold several statements (the simple
   * query protocol); then the rows are the last statement's.
   */
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a statement and returns how many rows it affected (INSERT/UPDATE/DELETE without RETURNING). */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
  end(): Promise<void>;
}

/** Opens sessions on any database of one server. */
export interface SqlConnector {
  connect(database: string): Promise<Sql>;
}

/** Fields node-postgres puts on a server error. */
export interface PgErrorFields {
  code?: string;
  message: string;
  severity?: string;
  position?: string;
  detail?: string;
  hint?: string;
  where?: string;
  internalPosition?: string;
  internalQuery?: string;
}

/** A server error as node-postgres reports it (SQLSTATE in `code`). */
export function isPgError(e: unknown): e is Error & PgErrorFields {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && 'severity' in e;
}

/**
 * The SQLSTATE of a driver error, when it has one; looks through `cause`, so an error the
 * client factory translated into a baas error still tells its code.
 */
export function sqlState(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const SQLSTATE = {
  invalidAuthorization: '28000',
  invalidPassword: '28P01',
  invalidCatalogName: '3D000',
  duplicateDatabase: '42P04',
  objectNotInPrerequisiteState: '55000',
  objectInUse: '55006',
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  cannotConnectNow: '57P03',
  diskFull: '53100',
  tooManyConnections: '53300',
} as const;
