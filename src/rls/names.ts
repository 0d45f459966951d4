import { ExitCode, UserError } from '../errors.js';
import { quoteIdent } from '../pg/escape.js';

export interface TableName {
  schema?: string;
  name: string;
}

const UNQUOTED = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Pure: parses `table`, `schema.table`, `"Weird Name"` or `public."Weird Name"` the way Postgres
 * reads identifiers (unquoted ones fold to lower case). Anything else (`x; drop table y`) is refused.
 */
export function parseTableName(input: string): TableName {
  const parts: string[] = [];
  let i = 0;
  const s = input.trim();
  const bad = (why: string): never => {
    throw new UserError(`'${input}' is not a valid table name: ${why}.`, {
      exitCode: ExitCode.usage,
      hint: 'Write table or schema.table; quote names with spaces, capitals or symbols in double quotes, e.g. \'"Weird Name"\' or \'public."Weird Name"\'.',
    });
  };
  if (s === '') bad('it is empty');
  while (i < s.length) {
    if (s[i] === '"') {
      let j = i + 1;
      let name = '';
      for (;;) {
        if (j >= s.length) bad('a double quote is not closed');
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            name += '"';
            j += 2;
            continue;
          }
          break;
        }
        name += s[j];
        j++;
      }
      if (name === '') bad('a quoted name is empty');
      if (name.includes('\u0000')) bad('it contains a NUL character');
      parts.push(name);
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.') j++;
      const word = s.slice(i, j);
      if (!UNQUOTED.test(word)) bad(`'${word}' needs double quotes (only letters, digits, _ and $ may appear unquoted)`);
      parts.push(word.toLowerCase());
      i = j;
    }
    if (i < s.length) {
      if (s[i] !== '.') bad(`unexpected '${s[i]}' after a name`);
      i++;
      if (i >= s.length) bad('it ends with a dot');
    }
  }
  if (parts.length > 2) bad('use at most schema.table');
  for (const p of parts) if (Array.from(p).length > 63) bad(`'${p}' is longer than 63 characters`);
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! };
}

export const qualified = (t: { schema: string; name: string }): string => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;

/** How people read a table name: quoted only where needed. */
export function displayName(t: { schema: string; name: string }): string {
  const show = (p: string): string => (/^[a-z_][a-z0-9_$]*$/.test(p) ? p : quoteIdent(p));
  return `${show(t.schema)}.${show(t.name)}`;
}
