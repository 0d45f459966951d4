import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { advise } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { findPlatform, loadCatalog, parseCatalogText } from '../../../src/planners/catalog.js';
import { adviceText } from '../../../src/planners/render.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { adviseYaml as run } from '../../helpers/advise.js';
import { oneCatalogText } from '../../helpers/catalog.js';

type Advice = ReturnType<typeof run>;
const signInOnly = (a: Advice, id: string) => a.stacks.find((s) => s.roles.auth === id && s.roles.database === undefined);
const simplicity = (s: Advice['stacks'][number] | undefined) => s?.criteria.find((c) => c.id === 'simplicity');

/**
 * Round 37: a sign-in that lives in its platform's own database but that the vendor also offers
 * on its own (catalog `standalone`: Supabase Auth) can hold the sign-in of a product whose data
 * lives elsewhere, a step behind a sign-in product (`simplicity.bundled_sign_in_alone`).
 */
describe('advise: round 37', () => {
  // A GraphQL API on Cloudflare Workers moving its sign-in off Clerk; its data stays where it is.
  const api = 'app: { kind: api }\ndata: { model: relational }\nauth: { needed: true }\ncurrent: { auth: clerk, compute: cloudflare }\nleaving: clerk\ndecide: [auth]\n';
  // A mobile app moving its sign-in off Auth0, with nothing else decided.
  const mobile = 'app: { kind: mobile, frontend: flutter }\nauth: { needed: true }\ncurrent: { auth: auth0 }\nleaving: auth0\ndecide: [auth]\n';

  it('offers Supabase Auth for a product whose data lives elsewhere, and says what it keeps running', () => {
    const a = run(api);
    const sb = signInOnly(a, 'supabase');
    expect(sb, a.stacks.map((s) => s.key).join(' ')).toBeDefined();
    expect(sb!.roles).toEqual({ auth: 'supabase', compute: 'cloudflare' });
    expect(simplicity(sb)!.reasons.map((r) => r.text).join('\n')).toMatch(/Supabase holds only the sign-in: a whole backend project kept for one feature, with a database of its own that holds the users/);
    expect(adviceText(a)).toMatch(/Considered [4-9] stacks\./);
  });

  it('ranks it a step behind Firebase Authentication, by the weight the file gives', () => {
    const a = run(mobile);
    const fb = signInOnly(a, 'firebase');
    const sb = signInOnly(a, 'supabase');
    expect(fb).toBeDefined();
    expect(sb).toBeDefined();
    expect(a.stacks.indexOf(fb!)).toBeLessThan(a.stacks.indexOf(sb!));
    const w = loadWeights();
    expect(simplicity(fb)!.score - simplicity(sb)!.score).toBeCloseTo(w.simplicity.bundled_sign_in_alone, 5);
    expect(simplicity(fb)!.reasons.map((r) => r.text).join('\n')).not.toMatch(/database of its own/);
  });

  it('is a weight: at simplicity.bundled_sign_in_alone 0 both backends kept for the sign-in score alike on simplicity', () => {
    const w = loadWeights();
    const zero = { ...w, simplicity: { ...w.simplicity, bundled_sign_in_alone: 0 } };
    const a = advise(loadCatalog(), parseRequirementsText(mobile, 'r.yaml'), { weights: zero });
    expect(simplicity(signInOnly(a, 'supabase'))!.score).toBeCloseTo(simplicity(signInOnly(a, 'firebase'))!.score, 5);
  });

  it('still keeps a sign-in its vendor does not offer on its own beside that platform database', () => {
    for (const yaml of [api, mobile, 'data: { model: relational }\nauth: { needed: true }\n']) {
      for (const s of run(yaml, 200).stacks) {
        for (const id of ['nhost', 'appwrite', 'pocketbase', 'convex', 'neon']) {
          if (s.roles.auth === id) expect(s.roles.database, `${s.key}`).toBe(id);
        }
      }
    }
  });

  it('takes the fact from the catalog, with the vendor page that says so', () => {
    const supabase = findPlatform(loadCatalog(), 'supabase');
    const fact = supabase.standalone.find((x) => x.role === 'auth');
    expect(fact).toBeDefined();
    expect(supabase.sources[fact!.source]?.url).toBe('https://supabase.com/docs/guides/auth');
    expect(findPlatform(loadCatalog(), 'nhost').standalone).toEqual([]);
  });
});

const PROVIDES = 'database: { engine: postgres, model: relational }, auth: true, storage: false, functions: false, edge: false, hosting: false, containers: false, realtime: false, offline_sync: false, vector_search: false, branching: false, scale_to_zero: false, cache: false, cache_ha: false, enterprise_sso: false, organizations: false, api: [rest]';

describe('catalog: standalone', () => {
  const text = (extra: string): string => oneCatalogText({ provides: PROVIDES, extra });
  const issuePath = (t: string): string | undefined => {
    try {
      parseCatalogText(t, 'cat.yaml');
      return undefined;
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).issues[0]?.path;
    }
  };

  it('accepts a bundled role offered on its own, with its source', () => {
    expect(issuePath(text('    bundled: [auth]\n    standalone: [{ role: auth, source: s, note: n }]'))).toBeUndefined();
  });

  it('refuses one without a declared source, or for a role that is not bundled', () => {
    expect(issuePath(text('    bundled: [auth]\n    standalone: [{ role: auth, source: gone, note: n }]'))).toBe('platforms.0.standalone.0.source');
    expect(issuePath(text('    standalone: [{ role: auth, source: s, note: n }]'))).toBe('platforms.0.standalone.0.role');
  });
});
