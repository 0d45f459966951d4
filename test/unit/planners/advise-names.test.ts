import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { CATALOG_URL, parseCatalogText } from '../../../src/planners/catalog.js';
import { adviseYaml, runCli, withSimplicity } from '../../helpers/advise.js';

// Fixture chosen before round 92, whose marketplace pair (a database billed through its host) folds
// the stack it reads into another host's line; the weight is pinned to its earlier value.
const pinned = withSimplicity({ billed_through_host: 0 });
const run = (yaml: string, top: number) => adviseYaml(yaml, top, pinned);

/**
 * A stack names a platform by the part it uses where it uses the platform for one role only
 * (catalog `role_names`): a site served from Cloudflare runs on Workers, not on "Workers + D1".
 */
describe('advise: a stack names the part of a platform it uses', () => {
  const web = 'stage: mvp\napp: { kind: web, frontend: react }\ndata: { model: relational }\nauth: { needed: true }\n';
  const named = (key: string): string | undefined => run(web, 60).stacks.find((x) => x.key === key)?.name;

  it('names Cloudflare by Workers where it only runs the code, and in full where it holds the data', () => {
    expect(named('cloudflare+supabase')).toBe('Supabase + Cloudflare Workers');
    expect(named('auth0+cloudflare')).toBe('Cloudflare Workers + D1 + Auth0');
  });

  it('names the part in its track-record line too', () => {
    const s = run(web, 60).stacks.find((x) => x.key === 'cloudflare+supabase');
    const texts = s?.criteria.find((c) => c.id === 'maturity')?.reasons.map((r) => r.text) ?? [];
    expect(texts.some((t) => t.startsWith('Cloudflare Workers: in production since 2018-03'))).toBe(true);
  });

  it('shows the part in the text table', async () => {
    // Under a $10 budget (Vercel's Pro plan breaks it), Supabase's line is served from Workers.
    const { code, out: text } = await runCli(['advise', '--kind', 'content', '--frontend', 'static', '--data-model', 'relational', '--budget', '10']);
    expect(code).toBe(0);
    expect(text).toMatch(/Supabase \+ Cloudflare Workers {2,}\d/);
    expect(text).not.toMatch(/Supabase \+ Cloudflare Workers \+ D1/);
  });

  it('names the hosts folded into a line as people read them, and keeps their ids in --json', async () => {
    const argv = ['advise', '--kind', 'content', '--frontend', 'static', '--data-model', 'relational'];
    const { out } = await runCli(argv);
    expect(out).toMatch(/runs as well on [^(]*Cloudflare Workers/);
    const json = JSON.parse((await runCli([...argv, '--json'])).out) as { stacks: { alsoHostedOn?: string[]; alsoHostedOnNames?: string[] }[] };
    const folded = json.stacks.find((s) => s.alsoHostedOn?.includes('cloudflare'));
    expect(folded?.alsoHostedOnNames?.[folded.alsoHostedOn?.indexOf('cloudflare') ?? -1]).toBe('Cloudflare Workers');
  });

  it('refuses a part name for a role the catalog does not know', () => {
    const text = readFileSync(CATALOG_URL, 'utf8').replace('role_names: { compute: Cloudflare Workers,', 'role_names: { hosting: Cloudflare Workers,');
    expect(() => parseCatalogText(text, 'platforms.yaml')).toThrow(ConfigError);
  });
});
