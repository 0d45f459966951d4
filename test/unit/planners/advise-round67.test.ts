import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { CATALOG_URL, findPlatform, loadCatalog, parseCatalogText } from '../../../src/planners/catalog.js';
import { adviseYaml, withSimplicity } from '../../helpers/advise.js';

// Fixture chosen before round 92, whose marketplace pair (a database billed through its host) folds
// the stack it reads into another host's line; the weight is pinned to its earlier value.
const pinned = withSimplicity({ billed_through_host: 0 });
const run = (yaml: string, top: number) => adviseYaml(yaml, top, pinned);

/**
 * Round 67: a part of a platform older than the product its maturity date is for. Cloudflare's
 * date is D1's GA (April 2024); Workers, which runs the code and serves the build, opened to
 * everyone in March 2018. A stack that uses Cloudflare only for compute counts from then.
 */
describe('advise: round 67', () => {
  const web = 'stage: mvp\napp: { kind: web, frontend: react }\ndata: { model: relational }\nauth: { needed: true }\n';
  const maturityText = (key: string) => {
    const s = run(web, 60).stacks.find((x) => x.key === key);
    expect(s, `${key} in the first 60`).toBeDefined();
    return s!.criteria.find((c) => c.id === 'maturity')!.reasons.map((r) => r.text).find((t) => t.startsWith('Cloudflare'));
  };

  it('records the date for Cloudflare holding only compute, with its source', () => {
    const cf = findPlatform(loadCatalog(), 'cloudflare');
    expect(cf.maturity.since).toBe('2024-04');
    expect(cf.maturity.roles_since).toEqual({ compute: '2018-03' });
    expect(cf.sources[cf.maturity.roles_since_source!]?.url).toMatch(/^https:\/\/blog\.cloudflare\.com\//);
  });

  it('counts Workers from 2018 where Cloudflare only hosts, and from D1 where it holds the database', () => {
    expect(maturityText('cloudflare+supabase')).toMatch(/in production since 2018-03 \(8\.\d years\)/);
    expect(maturityText('auth0+cloudflare')).toMatch(/in production since 2024-04/);
  });

  it('refuses a date for some roles without its source', () => {
    const text = readFileSync(CATALOG_URL, 'utf8').replace('roles_since_source: workers_ga, ', '');
    let error: unknown;
    try {
      parseCatalogText(text, 'platforms.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toContainEqual(expect.stringMatching(/maturity\.roles_since_source$/));
  });
});
