import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml as run } from '../../helpers/advise.js';

/**
 * Round 105: Supabase's ISO 27001 certification, read from its security page's source in
 * Supabase's own repository. The certificate, like the SOC 2 report, comes with Team, so a
 * product that requires ISO 27001 is priced on Team, and the fact is no longer a warning.
 */
describe('advise: round 105 compliance fact', () => {
  const catalog = loadCatalog();
  const supabase = catalog.platforms.find((p) => p.id === 'supabase')!;
  const iso = 'app: { kind: b2b-saas }\ndata: { model: relational }\nauth: { needed: true, mau: 1000 }\nconstraints: { compliance: [iso27001] }\n';
  const stackOf = (yaml: string) => run(yaml, 500).stacks.find((s) => s.key === 'supabase');

  it('records the fact with its source and the plan that gets the certificate', () => {
    expect(supabase.compliance.iso27001).toMatchObject({ status: 'yes', plan: 'team', source: 'security_page' });
    expect(supabase.sources['security_page']?.url).toBe('https://supabase.com/security');
  });

  it('prices Supabase on Team when ISO 27001 is required, with no unconfirmed-fact warning', () => {
    const stack = stackOf(iso);
    expect(stack?.violations).toEqual([]);
    expect(stack?.warnings).toEqual([]);
    expect(stack?.cost.plans.find((p) => p.platform === 'supabase')?.plan).toBe('team');
    expect(stackOf(iso.replace('compliance: [iso27001]', 'compliance: []'))?.cost.plans.find((p) => p.platform === 'supabase')?.plan).not.toBe('team');
  });
});
