import { describe, expect, it } from 'vitest';
import { decodeMeta, encodeMeta, isExpired, type BranchMeta } from '../../../src/branch/meta.js';
import { chooseStrategy, createDatabaseSql, parseStrategy, WAL_LOG_MAX_BYTES } from '../../../src/branch/strategy.js';
import { settingValue, splitSettingList } from '../../../src/branch/lifecycle.js';

const meta: BranchMeta = { kind: 'branch', branch: 'x', parent: 'main', createdAt: '2026-01-01T00:00:00.000Z', creator: 'me', expiresAt: '2026-01-08T00:00:00.000Z', protected: true };

describe('branch metadata in the database comment', () => {
  it('round-trips as {"baas":{...}} with snake_case keys', () => {
    const text = encodeMeta(meta);
    expect(JSON.parse(text)).toEqual({ baas: { kind: 'branch', branch: 'x', parent: 'main', created_at: meta.createdAt, creator: 'me', expires_at: meta.expiresAt, protected: true } });
    expect(decodeMeta(text)).toEqual(meta);
  });

  it("ignores a user's own comment and broken JSON", () => {
    expect(decodeMeta('the production database')).toBeUndefined();
    expect(decodeMeta('{"baas":')).toBeUndefined();
    expect(decodeMeta('{"other":{}}')).toBeUndefined();
    expect(decodeMeta(null)).toBeUndefined();
  });

  it('knows when a branch has expired', () => {
    expect(isExpired(meta, new Date('2026-01-08T00:00:01Z'))).toBe(true);
    expect(isExpired(meta, new Date('2026-01-07T00:00:00Z'))).toBe(false);
    expect(isExpired({ expiresAt: null }, new Date())).toBe(false);
  });
});

describe('chooseStrategy', () => {
  const reflink = { reflink: true, detail: 'xfs with reflink' };
  const noReflink = { reflink: false, detail: 'ext4 cannot clone files' };

  it('clones on Postgres 18 when the data directory supports reflink, whatever the size', () => {
    for (const size of [1e6, 1e10]) {
      const c = chooseStrategy({ serverVersionNum: 180004, clone: reflink, sizeBytes: size });
      expect(c.strategy).toBe('clone');
      expect(c.fallback).toBeUndefined();
      expect(c.fullCopy).toBe(false);
    }
  });

  it('falls back to WAL_LOG for tiny and FILE_COPY for large databases, saying what it costs', () => {
    const small = chooseStrategy({ serverVersionNum: 180004, clone: noReflink, sizeBytes: WAL_LOG_MAX_BYTES / 2 });
    expect(small.strategy).toBe('wal_log');
    const big = chooseStrategy({ serverVersionNum: 180004, clone: noReflink, sizeBytes: 1.2 * 1024 ** 3 });
    expect(big.strategy).toBe('file_copy');
    expect(big.fallback).toMatch(/full copy of 1\.2 GB .*checkpoints/);
    expect(big.reason).toContain('ext4 cannot clone files');
  });

  it('does not clone on Postgres 17 even on XFS', () => {
    const c = chooseStrategy({ serverVersionNum: 170002, clone: reflink, sizeBytes: 1e9 });
    expect(c.strategy).toBe('file_copy');
    expect(c.reason).toContain('needs 18');
    expect(() => chooseStrategy({ serverVersionNum: 170002, clone: reflink, sizeBytes: 1, forced: 'clone' })).toThrow(/Postgres 18/);
  });

  it('honours a forced strategy and warns when a forced clone will really copy', () => {
    expect(chooseStrategy({ serverVersionNum: 180004, clone: reflink, sizeBytes: 1e9, forced: 'wal_log' }).strategy).toBe('wal_log');
    const c = chooseStrategy({ serverVersionNum: 180004, clone: noReflink, sizeBytes: 1e9, forced: 'clone' });
    expect(c.strategy).toBe('clone');
    expect(c.fallback).toContain('silently');
  });

  it('writes quoted SQL: SET file_copy_method = clone and STRATEGY FILE_COPY', () => {
    expect(createDatabaseSql('br_a"b', 'app', 'postgres', 'clone')).toEqual([
      'SET file_copy_method = clone',
      'CREATE DATABASE "br_a""b" TEMPLATE "app" OWNER "postgres" STRATEGY FILE_COPY',
      'RESET file_copy_method',
    ]);
    expect(createDatabaseSql('t', 'app', 'o', 'file_copy')[0]).toBe('SET file_copy_method = copy');
    expect(createDatabaseSql('t', 'app', 'o', 'wal_log')).toEqual(['CREATE DATABASE "t" TEMPLATE "app" OWNER "o" STRATEGY WAL_LOG']);
    expect(createDatabaseSql('t', 'app', 'o', 'file_copy', 170000)).toEqual(['CREATE DATABASE "t" TEMPLATE "app" OWNER "o" STRATEGY FILE_COPY']);
  });

  it('parses --strategy', () => {
    expect(parseStrategy('FILE-COPY')).toBe('file_copy');
    expect(() => parseStrategy('zfs')).toThrow(/must be one of/);
  });
});

describe('settingValue', () => {
  it("quotes other settings as one literal, commas included, with the driver's escaping", () => {
    expect(settingValue('application_name', "it's")).toBe("'it''s'");
    expect(settingValue('application_name', 'one, two')).toBe("'one, two'");
    expect(settingValue('x.note', 'back\\slash')).toBe(" E'back\\\\slash'");
  });

  it('splits list settings (search_path) like Postgres, keeping quoted elements with commas whole', () => {
    expect(settingValue('search_path', '"$user", public')).toBe(`'$user', 'public'`);
    expect(settingValue('search_path', '"we,ird", public, "say ""hi"""')).toBe(`'we,ird', 'public', 'say "hi"'`);
    expect(splitSettingList('')).toEqual([]);
  });
});
