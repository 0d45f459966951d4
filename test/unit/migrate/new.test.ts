import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleTable, newMigration } from '../../../src/migrate/new.js';

describe('migrate new', () => {
  it('names the example table after the migration', () => {
    expect(exampleTable('0001_add_notes.sql')).toBe('notes');
    expect(exampleTable('0002_create_invoices_table.sql')).toBe('invoices');
    expect(exampleTable('0003_2fa.sql')).toBe('example');
  });

  it('writes a template with a real tenant table and the enable_tenant_rls call, not only comments', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-new-'));
    const r = newMigration(dir, 'add notes');
    expect(r.fileName).toBe('0001_add_notes.sql');
    const sql = readFileSync(r.file, 'utf8');
    const statements = sql.split('\n').filter((l) => l.trim() && !l.trim().startsWith('--')).join('\n');
    expect(statements).toMatch(/^create table public\.notes \(/m);
    expect(statements).toMatch(/org_id uuid not null default baas_platform\.current_org\(\)/);
    expect(statements).toContain("select baas_platform.enable_tenant_rls('public.notes', 'org_id', 'enforce');");
    expect(newMigration(dir, 'add tags').fileName).toBe('0002_add_tags.sql');
  });
});
