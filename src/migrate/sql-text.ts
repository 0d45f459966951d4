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

/**
 * Splits a script on top-level semicolons, respecting quotes, quoted identifiers, dollar
 * quoting, E'' escapes and (nested) comments. Statements that are only whitespace/comments are dropped.
 */
export function splitStatements(script: string): Statement[] {
  const s = Array.from(script);
  const out: Statement[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number): void => {
    const sql = s.slice(start, end).join('');
    if (stripComments(sql).trim() !== '') {
      const lead = sql.length - sql.trimStart().length;
      out.push({ sql: sql.trim(), offset: start + Array.from(sql.slice(0, lead)).length });
    }
  };
  while (i < s.length) {
    const c = s[i]!;
    const n = s[i + 1];
    if (c === '-' && n === '-') {
      while (i < s.length && s[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      let depth = 1;
      i += 2;
      while (i < s.length && depth > 0) {
        if (s[i] === '/' && s[i + 1] === '*') (depth++, (i += 2));
        else if (s[i] === '*' && s[i + 1] === '/') (depth--, (i += 2));
        else i++;
      }
    } else if (c === "'" ) {
      const escapes = i > 0 && /[eE]/.test(s[i - 1]!) && (i < 2 || !/[A-Za-z0-9_]/.test(s[i - 2]!));
      i++;
      while (i < s.length) {
        if (escapes && s[i] === '\\') i += 2;
        else if (s[i] === "'" && s[i + 1] === "'") i += 2;
        else if (s[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      i++;
      while (i < s.length) {
        if (s[i] === '"' && s[i + 1] === '"') i += 2;
        else if (s[i] === '"') break;
        else i++;
      }
      i++;
    } else if (c === '$' && (i === 0 || !/[A-Za-z0-9_]/.test(s[i - 1]!))) {
      let j = i + 1;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
      const tagValid = s[j] === '$' && !/[0-9]/.test(s[i + 1] ?? '');
      if (tagValid) {
        const tag = s.slice(i, j + 1).join('');
        const rest = s.slice(j + 1).join('');
        const close = rest.indexOf(tag);
        i = close < 0 ? s.length : j + 1 + Array.from(rest.slice(0, close)).length + Array.from(tag).length;
      } else i++;
    } else if (c === ';') {
      push(i);
      i++;
      start = i;
    } else i++;
  }
  push(s.length);
  return out;
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}
