import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { platformMigrationsDir } from '../../../src/migrate/files.js';
import { parseFlags, positionToLineColumn, splitStatements } from '../../../src/migrate/sql-text.js';

describe('positionToLineColumn', () => {
  const text = 'create table a (id int);\n\nselect * from  nope;\n';
  it('maps a 1-based server position to line and column with the line text', () => {
    expect(positionToLineColumn(text, text.indexOf('nope') + 1)).toEqual({ line: 3, column: 16, lineText: 'select * from  nope;' });
  });
  it('adds the offset of a statement sent on its own', () => {
    const offset = text.indexOf('select');
    expect(positionToLineColumn(text, 15, offset)?.column).toBe(15);
  });
  it('counts characters, not bytes or UTF-16 units', () => {
    const t = "select '😀é', x;\nselect bad;";
    expect(positionToLineColumn(t, Array.from(t).indexOf('b') + 1)).toMatchObject({ line: 2, column: 8 });
  });
  it('handles CRLF files and rejects impossible positions', () => {
    expect(positionToLineColumn('a;\r\nbad;', 5)).toEqual({ line: 2, column: 1, lineText: 'bad;' });
    expect(positionToLineColumn('a', 0)).toBeUndefined();
    expect(positionToLineColumn('a', 99)).toBeUndefined();
  });
});

describe('parseFlags', () => {
  it('reads baas:no-transaction from the leading comments only', () => {
    expect(parseFlags('-- baas:no-transaction\ncreate index concurrently x on t (a);').noTransaction).toBe(true);
    expect(parseFlags('\n-- why\n--baas:no-transaction\nselect 1;').noTransaction).toBe(true);
    expect(parseFlags('select 1;\n-- baas:no-transaction\n').noTransaction).toBe(false);
  });
});

describe('splitStatements', () => {
  it('splits on top-level semicolons and keeps offsets', async () => {
    const s = 'create table a (x text);\n  insert into a values (\'a;b\');';
    const parts = await splitStatements(s);
    expect(parts.map((p) => p.sql)).toEqual(['create table a (x text)', "insert into a values ('a;b')"]);
    expect(parts[1]!.offset).toBe(s.indexOf('insert'));
  });
  it('ignores semicolons inside dollar quotes, quoted identifiers, E-strings and comments', async () => {
    const s = `do $body$ begin perform 1; end $body$;
select "a;b" from t; -- c;d
/* x; /* nested; */ y; */ select E'it\\'s;';
select $$;$$`;
    expect((await splitStatements(s)).map((p) => p.sql.replace(/\s+/g, ' '))).toEqual([
      'do $body$ begin perform 1; end $body$',
      'select "a;b" from t',
      "select E'it\\'s;'",
      'select $$;$$',
    ]);
  });
  it('keeps a SQL-standard function body (BEGIN ATOMIC ... END) in one statement', async () => {
    const s = `create function add(a int, b int) returns int language sql
begin atomic
  select a + b;
end;
create procedure p() language sql begin atomic insert into t values (1); insert into t values (2); end;
select 1;`;
    const parts = await splitStatements(s);
    expect(parts.map((p) => p.sql.split('\n')[0])).toEqual(['create function add(a int, b int) returns int language sql', 'create procedure p() language sql begin atomic insert into t values (1); insert into t values (2); end', 'select 1']);
    expect(parts[0]!.sql.endsWith('end')).toBe(true);
  });
  it('gives offsets in characters after multi-byte text', async () => {
    const s = "select '😀é';\nselect 2;";
    const parts = await splitStatements(s);
    expect(parts[1]!.offset).toBe(Array.from(s).indexOf('s', 3));
  });
  it('splits every platform migration the server accepts', async () => {
    const dir = platformMigrationsDir();
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.sql'))) {
      const parts = await splitStatements(readFileSync(path.join(dir, f), 'utf8'));
      expect(parts.length, f).toBeGreaterThan(0);
    }
  });
  it('reports a syntax error with its line and column, before anything runs', async () => {
    const s = 'create table a (id int);\n\nselec 1;\n';
    await expect(splitStatements(s)).rejects.toMatchObject({ message: 'syntax error at or near "selec"', line: 3, column: 1 });
  });
  it('drops empty and comment-only statements', async () => {
    expect(await splitStatements(';;\n-- only a comment\n')).toEqual([]);
    expect(await splitStatements('')).toEqual([]);
  });
});
