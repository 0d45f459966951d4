/**
 * Quoting for what cannot be a bind parameter (identifiers, and literals in utility statements
 * such as COMMENT or CREATE ROLE ... PASSWORD): node-postgres' own functions, which also handle
 * backslashes (E'' strings) whatever `standard_conforming_strings` says. Imported from the
 * driver's small utils module so pure code does not load the whole driver.
 */
import pgUtils from 'pg/lib/utils.js';

export const escapeIdentifier: (name: string) => string = pgUtils.escapeIdentifier;
export const escapeLiteral: (value: string) => string = pgUtils.escapeLiteral;

/** Short names used across baas' SQL builders. */
export const quoteIdent = escapeIdentifier;
export const quoteLiteral = escapeLiteral;
