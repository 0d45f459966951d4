import { describe, expect, it } from 'vitest';
import { branchOfDatabase, databaseFor, parseTtl, suggestName, validateBranchName, MAX_BRANCH_NAME_BYTES } from '../../../src/branch/names.js';
import { UserError } from '../../../src/errors.js';

const usage = (fn: () => unknown): UserError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).exitCode).toBe(2);
    return e as UserError;
  }
  throw new Error('expected a usage error');
};

describe('validateBranchName', () => {
  it('accepts lowercase names with digits, - and _', () => {
    for (const n of ['feature-x', 'ci_1234', 'a', 'main']) expect(validateBranchName(n)).toBe(n);
  });

  it('rejects an injection attempt with exit 2 instead of running it', () => {
    const e = usage(() => validateBranchName('x"; drop database main; --'));
    expect(e.message).toContain('not allowed');
  });

  it('rejects upper case, slashes, leading digits, spaces and control characters', () => {
    for (const n of ['Feature', 'feature/login', '1abc', 'a b', 'a\u0000b', '-x', '', 'ünï']) usage(() => validateBranchName(n));
  });

  it('enforces the 63-byte identifier limit including the br_ prefix', () => {
    expect(validateBranchName('a'.repeat(MAX_BRANCH_NAME_BYTES))).toHaveLength(60);
    const e = usage(() => validateBranchName('a'.repeat(MAX_BRANCH_NAME_BYTES + 1)));
    expect(e.message).toContain('61 bytes');
  });

  it('suggests a valid name for a git-style branch name', () => {
    expect(suggestName('Feature/Login_Page')).toBe('feature-login_page');
    expect(usage(() => validateBranchName('feature/login')).hint).toContain("'feature-login'");
  });
});

describe('databaseFor / branchOfDatabase', () => {
  it('maps main to the configured database and branches to br_<name>', () => {
    expect(databaseFor('main', 'app')).toBe('app');
    expect(databaseFor('feature-x', 'app')).toBe('br_feature-x');
    expect(branchOfDatabase('br_feature-x')).toBe('feature-x');
  });

  it('does not take temporary copies or other databases for branches', () => {
    expect(branchOfDatabase('br__tmp_abc')).toBeUndefined();
    expect(branchOfDatabase('app')).toBeUndefined();
    expect(branchOfDatabase('br_main')).toBeUndefined();
  });
});

describe('parseTtl', () => {
  it('reads minutes, hours, days and weeks', () => {
    expect(parseTtl('30m')).toBe(30 * 60_000);
    expect(parseTtl('12h')).toBe(12 * 3_600_000);
    expect(parseTtl('7d')).toBe(7 * 86_400_000);
    expect(parseTtl('2w')).toBe(14 * 86_400_000);
  });

  it('rejects anything else with exit 2', () => {
    for (const t of ['7', 'd', '-1d', '0d', '1y', '7 days']) usage(() => parseTtl(t));
  });
});
