/**
 * Quoting for what cannot be a bind parameter (identifiers, and literals in utility statements
 * such as COMMENT or CREATE ROLE ... PASSWORD): node-postgres' own functions, which also handle
 * backslashes (E'' strings) whatever `standard_conforming_strings` says. The driver's utils
 * module pulls in its type parsers, so it is required on first use, not when this module loads
 * (pure code such as name validation imports this module on every command).
 */
import { createRequire } from 'node:module';

interface PgUtils {
  escapeIdentifier(str: string): string;
  escapeLiteral(str: string): string;
}

let utils: PgUtils | undefined;
const driver = (): PgUtils => (utils ??= createRequire(import.meta.url)('pg/lib/utils.js') as PgUtils);

export function escapeIdentifier(name: string): string {
  return driver().escapeIdentifier(name);
}

export function escapeLiteral(value: string): string {
  return driver().escapeLiteral(value);
}

/** Short names used across baas' SQL builders. */
export const quoteIdent = escapeIdentifier;
export const quoteLiteral = escapeLiteral;
