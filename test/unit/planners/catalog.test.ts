import { describe, expect, it } from 'vitest';
import { ConfigError, UserError } from '../../../src/errors.js';
import { findPlatform, loadCatalog, parseCatalogText, priceRecords } from '../../../src/planners/catalog.js';
import { oneCatalogText } from '../../helpers/catalog.js';

describe('platform catalog', () => {
  const catalog = loadCatalog();
  /** The paths of the issues the catalog's checks raise on a text (none when it parses). */
  const issuePaths = (text: string): string[] => {
    try {
      parseCatalogText(text, 'cat.yaml');
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).issues.map((i) => i.path);
    }
  };

  it('covers the platforms the planners promise', () => {
    const ids = catalog.platforms.map((p) => p.id);
    for (const id of ['supabase', 'neon', 'firebase', 'convex', 'vercel', 'clerk', 'auth0', 'railway', 'cloudflare', 'appwrite', 'pocketbase', 'nhost', 'baas']) {
      expect(ids).toContain(id);
    }
  });

  it('gives every price a source and an as_of date', () => {
    const records = priceRecords(catalog);
    expect(records.length).toBeGreaterThan(40);
    for (const r of records) {
      expect(r.source, `${r.platform} ${r.what}`).not.toBe('');
      expect(r.as_of, `${r.platform} ${r.what}`).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
    }
  });

  it('gives every price a date in as_of, never a commit id (a commit goes with the source)', () => {
    const records = priceRecords(catalog);
    const commits = records.filter((r) => !/^\d{4}-\d{2}(-\d{2})?$/.test(r.as_of));
    expect(commits.map((r) => `${r.platform} ${r.what}: ${r.as_of}`)).toEqual([]);
    const supabase = records.find((r) => r.platform === 'supabase' && r.what === 'meter mau');
    expect(supabase?.source).toMatch(/commit 124cddf/);
  });

  it('keeps the seed documents\' placeholder prices out', () => {
    const supabase = findPlatform(catalog, 'supabase');
    expect(supabase.meters.mau?.price).toBe(0.00325);
    expect(findPlatform(catalog, 'neon').meters.db_gb?.price).toBe(0.35);
    // Auth0 per-MAU overage is not confirmed: no price at all rather than the seed's $0.001.
    const auth0 = findPlatform(catalog, 'auth0');
    expect(auth0.meters.mau?.price).toBeUndefined();
    expect(auth0.meters.mau?.tiers).toBeUndefined();
  });

  it('suggests the closest platform for a typo', () => {
    expect(() => findPlatform(catalog, 'supabse')).toThrow(/did you mean supabase\?/);
    expect(() => findPlatform(catalog, 'xyzzyplatform')).toThrow(UserError);
  });

  it('rejects a price whose source is not declared, with its path and line', () => {
    const text = oneCatalogText({ meters: '{ mau: { metric: mau, unit: MAU, price: 1, source: nope } }' });
    try {
      parseCatalogText(text, 'cat.yaml');
      expect.fail('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const issue = (e as ConfigError).issues[0];
      expect(issue?.path).toBe('platforms.0.meters.mau.source');
      expect(issue?.line).toBe(18);
    }
    // A framework adapter needs its vendor page too.
    const adapter = text.replace("    ecosystems: []", "    ecosystems: []\n    framework_adapters: [{ framework: nextjs, source: gone, note: n }]").replace('source: nope', 'source: s');
    try {
      parseCatalogText(adapter, 'cat.yaml');
      expect.fail('should throw');
    } catch (e) {
      expect((e as ConfigError).issues[0]?.path).toBe('platforms.0.framework_adapters.0.source');
    }
    // A sign-in partner needs both vendors' pages, and a platform with sign-in to name.
    const partner = text.replace("    ecosystems: []", "    ecosystems: []\n    sign_in_partners: [{ id: clerk, source: s, partner_source: gone, note: n }]").replace('source: nope', 'source: s');
    expect(issuePaths(partner)).toContain('platforms.0.sign_in_partners.0.partner_source');
    expect(issuePaths(partner)).toContain('platforms.0.sign_in_partners.0.id');
    // A host that bills the database needs the vendor's page, and a host in the catalog.
    const billed = text.replace("    ecosystems: []", "    ecosystems: []\n    billed_through: [{ host: vercel, source: gone, note: n }]").replace('source: nope', 'source: s');
    expect(issuePaths(billed)).toContain('platforms.0.billed_through.0.source');
    expect(issuePaths(billed)).toContain('platforms.0.billed_through.0.host');
  });

  it('names the vendor-maintained Next.js adapters with their pages', () => {
    for (const id of ['cloudflare', 'firebase']) {
      const a = findPlatform(catalog, id).framework_adapters.find((x) => x.framework === 'nextjs');
      expect(a, id).toBeDefined();
      expect(findPlatform(catalog, id).sources[a?.source ?? '']?.url).toMatch(/^https:\/\//);
    }
  });
});
