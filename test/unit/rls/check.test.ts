import { describe, expect, it } from 'vitest';
import type { PolicyInfo, TableInfo } from '../../../src/rls/catalog.js';
import { staticChecks } from '../../../src/rls/check.js';

const policy = (command: string, using: string | null = 'org_id = ( SELECT baas_platform.current_org() AS current_org)'): PolicyInfo => ({
  name: `baas_tenant_${command}`, command, permissive: true, using, withCheck: null,
});
const table = (over: Partial<TableInfo> = {}): TableInfo => ({
  oid: 1, schema: 'public', name: 'notes', display: 'public.notes', rlsEnabled: true, rlsForced: true, owner: 'postgres',
  tenantColumn: 'org_id', tenantColumnType: 'uuid', registeredMode: 'enforce', exemptReason: null, tenantColumnIndexed: true,
  policies: ['select', 'insert', 'update', 'delete'].map((c) => policy(c)), mode: 'enforce', ...over,
});
const failed = (t: TableInfo): string[] => staticChecks(t, 'app').filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`);

describe('staticChecks', () => {
  it('passes an enforced, forced, indexed table with a policy per command', () => {
    expect(failed(table())).toEqual([]);
  });
  it('accepts one FOR ALL policy for every command', () => {
    expect(failed(table({ policies: [policy('all')], mode: 'custom' }))).toEqual([]);
  });
  it('names each missing piece', () => {
    expect(failed(table({ rlsForced: false, tenantColumnIndexed: false, policies: [policy('select')] }))).toEqual([
      'rls forced: not forced: the table owner bypasses the policies',
      'policies: no policy for insert, update, delete',
      'tenant index: no index starts with org_id: every policy check scans',
    ]);
  });
  it('flags audit mode and always-true policies as not enforced', () => {
    expect(failed(table({ mode: 'audit', policies: [policy('all', 'true')] }))[0]).toMatch(/^enforced: policies let every row through \(audit mode\)/);
    expect(failed(table({ mode: 'custom', policies: [...table().policies, policy('all', 'true')] }))[0]).toMatch(/^enforced: .*baas_tenant_all/);
  });
  it('reports a table with no tenant column unless it is exempt', () => {
    expect(failed(table({ tenantColumn: null, tenantColumnType: null }))[0]).toMatch(/no tenant column \(org_id\) and no exemption/);
    expect(failed(table({ tenantColumn: null, exemptReason: 'shared' }))).toEqual([]);
  });
  it('flags a table owned by the application role', () => {
    expect(failed(table({ owner: 'app' }))).toEqual(['owner: owned by the application role app, which can turn RLS off']);
  });
});
