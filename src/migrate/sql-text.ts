/**
 * Pure helpers over SQL text: where an error position falls in a file, the per-file header
 * flags, and splitting a script into statements (only needed for files that run outside a
 * transaction, where each statement must be sent on its own).
 */

export interface SourcePosition {
  line: number;
  column: number;
  /** The text of that line, for a caret display. */
  lineText: string;
}

/**
 * Postgres reports `position` as a 1-based index in characters (code points) of the query
 * string. Maps it onto line and column of `text`, where `offset` is the character index at
 * which the query started inside the text (0 when the whole file was sent).
 */
export function positionToLineColumn(text: string, position: number, offset = 0): SourcePosition | undefined {
  if (!Number.isFinite(position) || position < 1) return undefined;
  const chars = Array.from(text);
  const target = offset + position - 1;
  if (target > chars.length) return undefined;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < target && i < chars.length; i++) {
    if (chars[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  let lineEnd = lineStart;
  while (lineEnd < chars.length && chars[lineEnd] !== '\n') lineEnd++;
  const lineText = chars.slice(lineStart, lineEnd).join('').replace(/\r$/, '');
  return { line, column: target - lineStart + 1, lineText };
}

export interface MigrationFlags {
  /** `-- baas:no-transaction`: run statement by statement outside a transaction (CREATE INDEX CONCURRENTLY). */
  noTransaction: boolean;
}

/** Flags are read from the leading comment block of the file only, so a flag can't hide mid-file. */
export function parseFlags(text: string): MigrationFlags {
  let noTransaction = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('--')) break;
    if (/^--\s*baas:no-transaction\b/i.test(line)) noTransaction = true;
  }
  return { noTransaction };
}

export interface Statement {
  sql: string;
  /** Character (code point) index of the statement's first character in the script. */
  offset: number;
}

/** A script the Postgres parser rejects: where (1-based line and column) and why. */
export class SqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly lineText: string,
  ) {
    super(message);
  }
}

/**
 * Splits a script into statements with Postgres's own parser (libpg_query, compiled to
 * WebAssembly: no install script, no native build), so everything the server accepts splits
 * the way the server would: dollar quoting, E'' strings, nested comments, and SQL-standard
 * function bodies (`BEGIN ATOMIC ... END`) whose semicolons are not statement ends. The
 * parser (~2 MB of WASM, ~150 ms to load) is imported only here, so only a migration run
 * that needs statement-by-statement execution pays for it. A syntax error is reported with
 * its line and column before any statement runs.
 */
export async function splitStatements(script: string): Promise<Statement[]> {
  if (script.trim() === '') return [];
  const { parse } = await import('libpg-query');
  let tree: { stmts?: { stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = (await parse(script)) as typeof tree;
  } catch (e) {
    const details = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const message = e instanceof Error ? e.message : String(e);
    // cursorPosition is a 0-based character index (the server's 1-based one, minus one).
    const pos = positionToLineColumn(script, (details?.cursorPosition ?? 0) + 1);
    throw new SqlSyntaxError(message, pos?.line ?? 1, pos?.column ?? 1, pos?.lineText ?? '');
  }
  // Locations are UTF-8 byte offsets; statements start and end on token boundaries.
  const bytes = Buffer.from(script, 'utf8');
  const out: Statement[] = [];
  for (const s of tree.stmts ?? []) {
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len ? start + s.stmt_len : bytes.length;
    const text = bytes.subarray(start, end).toString('utf8');
    const sql = text.trim();
    if (sql === '') continue;
    const lead = text.length - text.trimStart().length;
    out.push({ sql, offset: Array.from(bytes.subarray(0, start).toString('utf8')).length + Array.from(text.slice(0, lead)).length });
  }
  return out;
}
