import { describe, expect, it } from 'vitest';
import { displayName, parseTableName, qualified } from '../../../src/rls/names.js';

describe('parseTableName', () => {
  it('folds unquoted names to lower case and keeps quoted ones exactly', () => {
    expect(parseTableName('Notes')).toEqual({ name: 'notes' });
    expect(parseTableName('billing.Invoices')).toEqual({ schema: 'billing', name: 'invoices' });
    expect(parseTableName('"Weird Name"')).toEqual({ name: 'Weird Name' });
    expect(parseTableName('public."We""ird.Name"')).toEqual({ schema: 'public', name: 'We"ird.Name' });
  });
  it.each([
    ['x; drop table y', /'x; drop table y' needs double quotes/],
    ['Weird Name', /needs double quotes/],
    ['"open', /not closed/],
    ['a.b.c', /at most schema\.table/],
    ['a.', /ends with a dot/],
    ['""', /quoted name is empty/],
    ['"a"x', /unexpected 'x'/],
    ['', /empty/],
  ])('refuses %j with a clear message', (input, message) => {
    expect(() => parseTableName(input)).toThrow(message);
    try {
      parseTableName(input);
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
  });
});

describe('qualified and displayName', () => {
  it('always quotes for SQL, and quotes for people only where needed', () => {
    expect(qualified({ schema: 'public', name: 'x"; drop table y; --' })).toBe('"public"."x""; drop table y; --"');
    expect(displayName({ schema: 'public', name: 'notes' })).toBe('public.notes');
    expect(displayName({ schema: 'public', name: 'Weird Name' })).toBe('public."Weird Name"');
  });
});
