import { ExternalError, ExitCode, UserError, messageOf } from '../errors.js';

/**
 * The small Postgres seam branch code talks through. The pg implementation is in pg.ts;
 * unit tests pass fakes. Connections are always the superuser's.
 */
export interface Sql {
  /** The server process id of this session (to cancel its statement from another session). */
  readonly pid: number;
  query<R extends object = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  end(): Promise<void>;
}

export interface SqlConnector {
  /** A new superuser session in `database`. */
  connect(database: string): Promise<Sql>;
}

/** The SQLSTATE of a driver error, when it has one. */
export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export const SQLSTATE = {
  invalidCatalogName: '3D000',
  duplicateDatabase: '42P04',
  objectInUse: '55006',
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  adminShutdown: '57P01',
} as const;

/** Wraps an unexpected server error in words, keeping the driver's error as cause. */
export function serverError(what: string, e: unknown): ExternalError {
  if (e instanceof UserError || e instanceof ExternalError) return e;
  return new ExternalError(`Postgres refused ${what}: ${messageOf(e)}`, {
    cause: e,
    exitCode: ExitCode.external,
    hint: 'See `baas logs postgres` for the server side of it.',
  });
}
