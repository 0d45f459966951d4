import { describe, expect, it } from 'vitest';
import type { MigrationFile, MigrationSet } from '../../../src/migrate/files.js';
import { pendingOrThrow, planStatus, type AppliedMigration } from '../../../src/migrate/plan.js';

const file = (source: 'platform' | 'app', version: string, name: string, checksum = `c-${name}`): MigrationFile => ({
  source, version, name, file: `/${source}/${version}_${name}.sql`, sql: '', checksum, noTransaction: false,
});
const row = (source: 'platform' | 'app', version: string, name: string, checksum = `c-${name}`): AppliedMigration => ({
  source, version, name, checksum, appliedAt: '2025-01-01T00:00:00.000Z', durationMs: 3, appliedBy: 'me as postgres',
});
const set = (platform: MigrationFile[], app: MigrationFile[]): MigrationSet => ({ platformDir: '/platform', appDir: '/app', platform, app, ignored: [] });

describe('planStatus', () => {
  it('lists platform migrations before app ones with applied, pending, changed and missing states', () => {
    const s = set([file('platform', '0001', 'core')], [file('app', '0001', 'a'), file('app', '0002', 'b', 'edited'), file('app', '0004', 'd')]);
    const status = planStatus(s, [row('platform', '0001', 'core'), row('app', '0001', 'a'), row('app', '0002', 'b'), row('app', '0003', 'c')]);
    expect(status.map((m) => `${m.source}:${m.version}:${m.state}`)).toEqual([
      'platform:0001:applied',
      'app:0001:applied',
      'app:0002:changed',
      'app:0003:missing',
      'app:0004:pending',
    ]);
  });
  it('matches versions by number, so 0003 and 3 are the same migration', () => {
    expect(planStatus(set([], [file('app', '0003', 'x')]), [row('app', '3', 'x')])[0]!.state).toBe('applied');
  });
  it('keeps platform and app version numbers apart', () => {
    const status = planStatus(set([file('platform', '0001', 'core')], [file('app', '0001', 'a')]), [row('platform', '0001', 'core')]);
    expect(status.map((m) => m.state)).toEqual(['applied', 'pending']);
  });
});

describe('pendingOrThrow', () => {
  it('returns pending migrations, platform first', () => {
    const s = set([file('platform', '0002', 'roles')], [file('app', '0001', 'a')]);
    expect(pendingOrThrow(s, planStatus(s, [])).map((m) => `${m.source}:${m.version}`)).toEqual(['platform:0002', 'app:0001']);
  });
  it('refuses a changed migration and names the repair command', () => {
    const s = set([], [file('app', '0001', 'a', 'new')]);
    expect(() => pendingOrThrow(s, planStatus(s, [row('app', '0001', 'a', 'old')]))).toThrow(/changed since they were applied: app 0001_a/);
    try {
      pendingOrThrow(s, planStatus(s, [row('app', '0001', 'a', 'old')]));
    } catch (e) {
      expect((e as { hint: string }).hint).toContain('baas migrate repair 0001');
      expect((e as { exitCode: number }).exitCode).toBe(5);
    }
  });
  it('refuses when an applied migration has no file', () => {
    const s = set([], []);
    expect(() => pendingOrThrow(s, planStatus(s, [row('app', '0007', 'gone')]))).toThrow(/no file any more: app 0007_gone/);
  });
});

describe('out-of-order migrations', () => {
  const s = set([], [file('app', '0001', 'a'), file('app', '0002', 'late'), file('app', '0003', 'c'), file('app', '0004', 'd')]);
  const history = [row('app', '0001', 'a'), row('app', '0003', 'c')];

  it('marks a pending file numbered below an applied one', () => {
    const status = planStatus(s, history);
    expect(status.find((m) => m.version === '0002')).toMatchObject({ state: 'pending', outOfOrderAfter: '0003' });
    expect(status.find((m) => m.version === '0004')!.outOfOrderAfter).toBeUndefined();
  });

  it('refuses it, naming both files, with exit 5 and the flag that allows it', () => {
    let error: { message: string; hint: string; exitCode: number; code: string } | undefined;
    try {
      pendingOrThrow(s, planStatus(s, history));
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.message).toBe('0002_late.sql is numbered before 0003_c.sql, which is already applied: applying it now would run it out of order.');
    expect(error?.exitCode).toBe(5);
    expect(error?.code).toBe('migration_out_of_order');
    expect(error?.hint).toContain('--allow-out-of-order');
  });

  it('applies it in file order with allowOutOfOrder', () => {
    expect(pendingOrThrow(s, planStatus(s, history), { allowOutOfOrder: true }).map((m) => m.version)).toEqual(['0002', '0004']);
  });

  it('keeps the platform and app sequences apart', () => {
    const t = set([file('platform', '0001', 'core'), file('platform', '0002', 'roles')], [file('app', '0005', 'x')]);
    expect(pendingOrThrow(t, planStatus(t, [row('platform', '0001', 'core'), row('app', '0005', 'x')])).map((m) => m.version)).toEqual(['0002']);
  });
});
