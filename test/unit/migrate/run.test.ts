import { describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/pg/sql.js';
import type { MigrationFile } from '../../../src/migrate/files.js';
import { acquireLock, migrationError, type MigrateEvent } from '../../../src/migrate/run.js';

/** A fake client whose advisory lock is free after `busyFor` attempts. */
function lockClient(busyFor: number): Sql & { attempts: number } {
  const c = {
    attempts: 0,
    async query(text: string) {
      if (text.includes('pg_try_advisory_lock')) return [{ ok: c.attempts++ >= busyFor }];
      if (text.includes('pg_locks')) return [{ pid: 4242, app: 'baas migrate' }];
      return [];
    },
    async end() {},
  };
  return c as unknown as Sql & { attempts: number };
}

function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

describe('acquireLock', () => {
  it('waits for the holder, says so once, then takes the lock', async () => {
    const events: MigrateEvent[] = [];
    const c = lockClient(3);
    await acquireLock(c, fakeClock(), 10_000, (e) => events.push(e));
    expect(events.map((e) => e.type)).toEqual(['lock-wait', 'lock-acquired']);
    expect(events[0]).toMatchObject({ holderPid: 4242 });
  });
  it('gives up with a timeout error naming the holder', async () => {
    await expect(acquireLock(lockClient(1_000_000), fakeClock(), 2000)).rejects.toMatchObject({
      exitCode: 8,
      message: expect.stringContaining("server pid 4242, 'baas migrate'"),
    });
  });
});

describe('migrationError', () => {
  const m: MigrationFile = { source: 'app', version: '0002', name: 'bad', file: '/x/0002_bad.sql', sql: 'select 1;\nselect * from nope;\n', checksum: '', noTransaction: false };
  const pgError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields['message'])), { severity: 'ERROR', ...fields });

  it('points at file, line and column from the server position', () => {
    const e = migrationError(m, pgError({ message: 'relation "nope" does not exist', code: '42P01', position: '25' }), 0, 1, false);
    expect(e.message).toContain('0002_bad.sql:2:15 failed (line 2, column 15): relation "nope" does not exist [42P01]');
    expect(e.details).toEqual(['2 | select * from nope;', `${' '.repeat(18)}^`, 'This migration was rolled back.', '1 migration(s) applied earlier in this run stay applied.']);
    expect(e.exitCode).toBe(7);
  });
  it('finds an error inside a DO block through the internal query', () => {
    const sql = "select 1;\ndo $$ begin\n  perform nope();\nend $$;\n";
    const e = migrationError({ ...m, sql }, pgError({ message: 'function nope() does not exist', code: '42883', internalQuery: 'SELECT nope()', internalPosition: '8' }), 0, 0, false);
    expect(e.line).toBeUndefined();
    const inner = "select 1;\ndo $$ begin\n  perform nope();\nend $$;\nSELECT nope()";
    const e2 = migrationError({ ...m, sql: inner }, pgError({ message: 'x', code: '42883', internalQuery: 'SELECT nope()', internalPosition: '8' }), 0, 0, false);
    expect([e2.line, e2.column]).toEqual([5, 8]);
  });
  it('says what stays applied for a file without a transaction', () => {
    const e = migrationError({ ...m, noTransaction: true }, pgError({ message: 'boom', code: 'XX000' }), 0, 0, true);
    expect(e.details.join('\n')).toContain('statements before the failing one stay applied');
    expect(e.hint).toContain('not recorded as applied');
  });
});
