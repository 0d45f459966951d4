import { describe, expect, it } from 'vitest';
import { describeGap, grantStatements } from '../../../src/rls/access.js';

describe('application role access', () => {
  it('prints the GRANTs that give the app role what it lacks, schema usage once', () => {
    const gaps = [
      { oid: 1, schema: 'billing', name: 'invoices', schemaUsage: false, missing: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      { oid: 2, schema: 'billing', name: 'Line Items', schemaUsage: false, missing: ['DELETE'] },
    ];
    expect(grantStatements(gaps, 'app')).toEqual([
      'GRANT USAGE ON SCHEMA "billing" TO "app";',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON "billing"."invoices" TO "app";',
      'GRANT DELETE ON "billing"."Line Items" TO "app";',
    ]);
    expect(describeGap(gaps[0]!, 'app')).toMatch(/^the application role app cannot use this table \(no USAGE on schema billing; no SELECT, INSERT, UPDATE, DELETE on the table\), so the probe cannot run: GRANT USAGE/);
  });
});
