import { describe, expect, it } from 'vitest';
import { advise } from '../../../src/planners/advise.js';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';

/** Round 7 of issue 15: data-residency regions from the vendors' own region pages, by country and by area. */

const catalog = loadCatalog();
const run = (yaml: string) => advise(catalog, parseRequirementsText(yaml, 'test.yaml'), { top: 800 });
const byKey = (a: ReturnType<typeof advise>, key: string) => {
  const s = a.stacks.find((x) => x.key === key);
  if (!s) throw new Error(`${key} not ranked`);
  return s;
};

describe('advise round 7: data residency', () => {
  it('records every region list it uses with a source page and a date', () => {
    for (const p of catalog.platforms) {
      if (!p.regions.confirmed) continue;
      const src = p.sources[p.regions.source ?? ''];
      expect(src?.url, p.id).toMatch(/^https:\/\//);
      expect(src?.as_of, p.id).toMatch(/^\d{4}-\d{2}/);
    }
    expect(findPlatform(catalog, 'supabase').regions.confirmed).toContain('de');
  });

  it('keeps data in Germany: a Frankfurt region is clean, an EU-only promise is a warning, a complete list without Germany is a breach', () => {
    const a = run('data: { model: relational }\nconstraints: { regions: [de] }\n');
    expect(byKey(a, 'supabase').violations).toEqual([]);
    expect(byKey(a, 'supabase').warnings).toEqual([]);
    expect(byKey(a, 'neon').violations).toEqual([]);
    const cf = byKey(a, 'cloudflare');
    expect(cf.violations).toEqual([]);
    expect(cf.warnings.map((w) => w.text).join(' ')).toMatch(/residency in de not confirmed/);
    const convex = byKey(a, 'convex');
    expect(convex.violations.map((v) => v.text).join(' ')).toMatch(/Convex offers only us, ie, au, ca, not de/);
    // A clean stack exists, so one is first.
    expect(a.stacks[0]?.violations).toEqual([]);
    expect(a.stacks[0]?.warnings).toEqual([]);
    expect(a.stacks[0]?.selfHosted).toEqual([]);
  });

  it('keeps data in the EU: any region in an EU country meets it, as does an EU jurisdiction', () => {
    const a = run('data: { model: relational }\nconstraints: { regions: [eu] }\n');
    for (const key of ['supabase', 'neon', 'convex', 'cloudflare']) {
      expect(byKey(a, key).violations, key).toEqual([]);
      expect(byKey(a, key).warnings, key).toEqual([]);
    }
  });
});
