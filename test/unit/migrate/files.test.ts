import { describe, expect, it } from 'vitest';
import { checksumOf, nextMigrationFileName, parseMigrationFiles, platformMigrationsDir, readMigrationDir } from '../../../src/migrate/files.js';
import { renderTemplate } from '../../../src/migrate/new.js';

describe('parseMigrationFiles', () => {
  it('orders by version number and ignores files without a version prefix', () => {
    const r = parseMigrationFiles('app', '/m', [
      { fileName: '10_ten.sql', text: 'select 10;' },
      { fileName: '0002_two.sql', text: '-- baas:no-transaction\nselect 2;' },
      { fileName: 'seed.sql', text: 'select 0;' },
    ]);
    expect(r.migrations.map((m) => [m.version, m.name, m.noTransaction])).toEqual([
      ['0002', 'two', true],
      ['10', 'ten', false],
    ]);
    expect(r.ignored).toEqual(['seed.sql']);
  });
  it('refuses two files with the same version number', () => {
    expect(() => parseMigrationFiles('app', '/m', [{ fileName: '0003_a.sql', text: '' }, { fileName: '3_b.sql', text: '' }])).toThrow(/Duplicate migration version in \/m: 0003_a\.sql and 3_b\.sql/);
  });
});

describe('checksumOf', () => {
  it('does not change with line endings but does with content', () => {
    expect(checksumOf('a;\r\nb;\r\n')).toBe(checksumOf('a;\nb;\n'));
    expect(checksumOf('a;')).not.toBe(checksumOf('b;'));
  });
});

describe('nextMigrationFileName', () => {
  it('takes the next number, keeps the width and slugs the name', () => {
    expect(nextMigrationFileName([], 'Add notes!')).toBe('0001_add_notes.sql');
    expect(nextMigrationFileName(['0001_a.sql', '0009_b.sql', 'x.txt'], 'c')).toBe('0010_c.sql');
    expect(nextMigrationFileName(['000001_a.sql'], 'b')).toBe('000002_b.sql');
    expect(() => nextMigrationFileName([], '!!!')).toThrow(/not usable/);
  });
  it('fills the template placeholders', () => {
    expect(renderTemplate('-- {{name}} {{fileName}} {{other}}', { name: 'n', fileName: 'f', createdAt: 'now' })).toBe('-- n f {{other}}');
  });
});

describe('the platform migrations shipped with baas', () => {
  it('are found next to the module and numbered without gaps', () => {
    const { migrations } = readMigrationDir('platform', platformMigrationsDir());
    expect(migrations.length).toBeGreaterThanOrEqual(3);
    expect(migrations.map((m) => Number(m.version))).toEqual(migrations.map((_, i) => i + 1));
    expect(migrations.every((m) => !m.noTransaction)).toBe(true);
  });
  it('write the tenant policies with the (select current_org()) wrapper', () => {
    const { migrations } = readMigrationDir('platform', platformMigrationsDir());
    const rls = migrations.find((m) => m.name === 'tenant_rls')!;
    const policies = rls.sql.split('\n').filter((l) => l.includes('create policy baas_tenant_') && !l.includes('baas_tenant_audit'));
    expect(policies).toHaveLength(4);
    for (const p of policies) expect(p).toContain('(select baas_platform.current_org())');
  });
});
