import { describe, expect, it } from 'vitest';
import { ConfigError, UserError } from '../../../src/errors.js';
import { advise, type RankedStack } from '../../../src/planners/advise.js';
import { memberMaturity } from '../../../src/planners/advise-criteria.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { findPlatform, loadCatalog, parseCatalogText } from '../../../src/planners/catalog.js';
import { costStack } from '../../../src/planners/cost.js';
import { deriveUsage } from '../../../src/planners/usage.js';
import { parseRequirementsText, resolveRequirements, type RequirementsInput } from '../../../src/planners/requirements.js';
import { oneCatalogText } from '../../helpers/catalog.js';

const catalog = loadCatalog();
const w = loadWeights();
const stack = (a: ReturnType<typeof advise>, key: string): RankedStack | undefined => a.stacks.find((s) => s.key === key);
const criterion = (s: RankedStack | undefined, id: string) => s?.criteria.find((c) => c.id === id);

describe('advise: maturity from the vendors own pages', () => {
  it('records every maturity fact with a declared source that has an address and a date', () => {
    for (const p of catalog.platforms) {
      const m = p.maturity;
      for (const id of [m.source, m.sla_source]) {
        if (!id) continue;
        expect(p.sources[id]?.url, `${p.id} ${id}`).toMatch(/^https:\/\//);
        expect(p.sources[id]?.as_of, `${p.id} ${id}`).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
      }
    }
  });

  it('scores unknown as unknown: below a confirmed fact, above the vendor saying "not for production"', () => {
    const part = (id: string, mode: 'cloud' | 'self-hosted' = 'cloud') => memberMaturity({ platform: findPlatform(catalog, id), roles: ['database'], mode }, catalog.assumptions.catalog_date, w);
    // Every catalog platform now has some fact; a copy with none stands for an unresearched one.
    const bare = { ...findPlatform(catalog, 'planetscale'), maturity: { stage: 'unknown' as const } };
    const unknown = memberMaturity({ platform: bare, roles: ['database'], mode: 'cloud' }, catalog.assumptions.catalog_date, w);
    expect(unknown.score).toBeCloseTo(w.maturity.unknown, 5);
    expect(unknown.text).toMatch(/production readiness unknown, no published SLA in the catalog/);
    expect(part('supabase').score).toBeGreaterThan(unknown.score); // GA since 2024-04, SLA
    expect(part('firebase').score).toBe(1); // years in production and an SLA
    expect(part('firebase').text).toMatch(/99\.999% uptime SLA/);
    const pocketbase = part('pocketbase', 'self-hosted');
    expect(pocketbase.score).toBeLessThan(unknown.score);
    expect(pocketbase.text).toMatch(/not for production-critical use yet/);
    // On your own servers there is no vendor SLA to count, in either direction.
    expect(part('supabase', 'self-hosted').text).toMatch(/uptime is yours/);
  });

  it('rejects a maturity fact without the vendor page it comes from', () => {
    const text = oneCatalogText({ maturity: '{ stage: ga, sla: { uptime: 99.9 } }' });
    try {
      parseCatalogText(text, 'cat.yaml');
      expect.fail('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(['platforms.0.maturity.source', 'platforms.0.maturity.sla_source']));
    }
  });

  it('weighs maturity more for a running business than for a prototype, and shows it in --explain', () => {
    const req = (stage: 'mvp' | 'scale') => resolveRequirements({ stage, data: { model: 'relational' }, auth: { needed: false } }, {});
    const mvp = advise(catalog, req('mvp'), { explain: 1 });
    const scale = advise(catalog, req('scale'), { explain: 1 });
    expect(criterion(mvp.stacks[0], 'maturity')?.weight).toBe(w.maturity.weight.mvp);
    expect(criterion(scale.stacks[0], 'maturity')?.weight).toBe(w.maturity.weight.scale);
    expect(w.maturity.weight.scale).toBeGreaterThan(w.maturity.weight.mvp);
    expect(criterion(mvp.stacks[0], 'maturity')?.reasons.length).toBeGreaterThan(0);
  });
});

describe('advise: what runs today (current)', () => {
  const base: RequirementsInput = { stage: 'growth', team_size: 3, app: { kind: 'mobile', frontend: 'flutter' }, auth: { needed: true, mau: 5000 } };

  it('reads current as an id, a list, or by role', () => {
    expect(parseRequirementsText('current: firebase\n').current).toEqual([{ id: 'firebase', roles: 'all' }]);
    expect(parseRequirementsText('current: [firebase, vercel]\n').current).toEqual([
      { id: 'firebase', roles: 'all' },
      { id: 'vercel', roles: 'all' },
    ]);
    expect(parseRequirementsText('current: { auth: auth0, database: supabase }\n').current).toEqual(
      expect.arrayContaining([
        { id: 'auth0', roles: ['auth'] },
        { id: 'supabase', roles: ['database'] },
      ]),
    );
    expect(parseRequirementsText('current: { auth: firebase, database: firebase }\n').current).toEqual([{ id: 'firebase', roles: ['database', 'auth'] }]);
  });

  it('rejects an unknown current platform with a "did you mean"', () => {
    expect(() => advise(catalog, resolveRequirements({ ...base, current: 'firebas' }, {}))).toThrow(UserError);
    expect(() => advise(catalog, resolveRequirements({ ...base, current: 'firebas' }, {}))).toThrow(/did you mean firebase/);
  });

  it('costs nothing to stay and the migration estimate to move; an incumbent moves up the ranking', () => {
    // Relational data, so that Firebase does not lead already (a mobile app naming no model is read as keeping documents).
    const relational: RequirementsInput = { ...base, data: { model: 'relational' } };
    const without = advise(catalog, resolveRequirements(relational, {}), { top: 400 });
    const on = advise(catalog, resolveRequirements({ ...relational, current: 'firebase' }, {}), { top: 400 });
    const stay = criterion(stack(on, 'firebase'), 'migration');
    expect(stay?.score).toBe(1);
    expect(stay?.reasons[0]?.text).toMatch(/stays on Firebase/);
    const move = criterion(stack(on, 'supabase'), 'migration');
    expect(move?.score).toBeLessThan(0.7);
    expect(move?.reasons[0]?.text).toMatch(/moves database, auth off Firebase \(to Supabase\): about \d+ working days/);
    expect(criterion(stack(without, 'firebase'), 'migration')).toBeUndefined();
    const rank = (a: typeof on) => a.stacks.findIndex((s) => s.key === 'firebase');
    expect(rank(on)).toBeLessThan(rank(without));
  });

  it('counts a move of sign-in alone as a share of a whole move', () => {
    const r = resolveRequirements({ stage: 'growth', app: { kind: 'web' }, data: { model: 'relational' }, auth: { needed: true }, current: { auth: 'auth0' } }, {});
    const a = advise(catalog, r, { top: 400 });
    const auth0 = criterion(stack(a, 'auth0+supabase'), 'migration');
    const supabase = criterion(stack(a, 'supabase'), 'migration');
    expect(auth0?.score).toBe(1);
    expect(supabase?.reasons[0]?.text).toMatch(/moves auth off Auth0/);
    // Sign-in alone is a smaller move than a database and its users together.
    const whole = criterion(stack(advise(catalog, resolveRequirements({ ...base, current: 'firebase' }, {}), { top: 400 }), 'supabase'), 'migration');
    expect(supabase?.score).toBeGreaterThan(whole?.score ?? 1);
  });
});

describe('advise: tenants with a database each', () => {
  const req = (tenants?: { count: number; isolation: 'shared' | 'database' }) =>
    resolveRequirements({ stage: 'mvp', app: { kind: 'content' }, data: { model: 'relational' }, auth: { needed: true }, traffic: { egress_gb: 15 }, ...(tenants ? { tenants } : {}) }, {});

  it('multiplies a per-project price by the tenants, and says so', () => {
    const shared = advise(catalog, req({ count: 500, isolation: 'shared' }), { top: 400 });
    const isolated = advise(catalog, req({ count: 500, isolation: 'database' }), { top: 400 });
    expect(isolated.assumptions).toContain('500 separate databases (one per tenant)');
    expect(isolated.usage.projects).toBe(500);
    expect(shared.usage.projects).toBe(1);
    const s = stack(shared, 'supabase')?.cost.monthly ?? 0;
    const i = stack(isolated, 'supabase')?.cost.monthly ?? 0;
    // 499 further projects at a Micro compute each ($0.01344 x 730 h); 15 GB egress keeps both on Pro.
    expect(i - s).toBeCloseTo(499 * 9.81, 0);
  });

  it('never prices further projects as free where the catalog does not know their price', () => {
    const usage = deriveUsage({ projects: 50, db_gb: 1, requests: 100_000 }).usage;
    const c = costStack(catalog, [{ platform: findPlatform(catalog, 'firebase'), roles: ['database'], mode: 'cloud' }], usage);
    expect(c.hasUnknown).toBe(true);
    expect(c.warnings.join('\n')).toMatch(/50 separate projects is not in the catalog/);
    // On your own servers many databases share the server.
    const self = costStack(catalog, [{ platform: findPlatform(catalog, 'pocketbase'), roles: ['database'], mode: 'self-hosted' }], usage);
    expect(self.hasUnknown).toBe(false);
  });
});

describe('advise: branching, sizing, hosting and APIs', () => {
  it('counts a per-pull-request environment with its own database as branching', () => {
    const railway = findPlatform(catalog, 'railway');
    expect(railway.provides.branching).toBe(true);
    expect(railway.notes.branching).toMatch(/not the data/);
    const a = advise(catalog, resolveRequirements({ stage: 'mvp', app: { kind: 'web', frontend: 'other' }, data: { model: 'relational' }, auth: { needed: false } }, { features: { branching: 'core', containers: 'some' } }), { top: 50 });
    expect(stack(a, 'railway')?.violations).toEqual([]);
    expect(criterion(stack(a, 'railway'), 'capabilities')?.reasons.some((x) => /branching.*Railway/.test(x.text))).toBe(true);
  });

  it('sizes self-hosted Supabase for a small tool on a 4 GB server, not 8 GB', () => {
    const a = advise(catalog, resolveRequirements({ stage: 'mvp', data: { model: 'relational', size_gb: 1 }, auth: { mau: 500 } }, { constraints: { self_hosting: 'required' } }), { top: 100, explain: 1 });
    const s = stack(a, 'supabase:self');
    expect(s?.cost.monthly).toBe(20);
  });

  it('judges a static frontend host neutrally: the database platform may host it too', () => {
    const r = resolveRequirements({ stage: 'mvp', app: { kind: 'web', frontend: 'svelte', commercial: false }, data: { model: 'document' }, auth: { needed: true } }, { features: { offline_sync: 'core' } });
    const a = advise(catalog, r, { top: 400 });
    const alone = stack(a, 'firebase');
    // Firebase on Vercel is the same approach on another host: it ranks below Firebase alone
    // (one service fewer) and is folded into it (round 5).
    expect(alone?.alsoHostedOn).toContain('vercel');
    expect(stack(a, 'firebase+vercel')).toBeUndefined();
    // ... while a server-rendered Next.js app still counts the host built for it.
    const next = advise(catalog, resolveRequirements({ ...r, app: { ...r.app, frontend: 'nextjs' } }, {}), { top: 400 });
    expect(criterion(stack(next, 'firebase+vercel'), 'ecosystem')?.score).toBeGreaterThan(criterion(stack(next, 'firebase'), 'ecosystem')?.score ?? 1);
  });

  it("names a vendor-maintained Next.js adapter (Workers' OpenNext) in the reasons, without crediting it", () => {
    const a = advise(catalog, resolveRequirements({ app: { kind: 'web', frontend: 'nextjs' }, data: { model: 'none' } }, {}), { top: 50 });
    const eco = criterion(stack(a, 'cloudflare'), 'ecosystem');
    expect(eco?.reasons.map((x) => x.text).join('\n')).toMatch(/nextjs: Cloudflare Workers runs it through an adapter its vendor maintains \(OpenNext adapter on Workers/);
    expect(eco?.score).toBe(0);
  });

  it('reads "the product is an API" as server functions at the core', () => {
    const a = advise(catalog, resolveRequirements({ stage: 'mvp', app: { kind: 'api', frontend: 'none' }, data: { model: 'relational' }, auth: { needed: false } }, {}), { top: 50 });
    const reasons = a.stacks[0]?.criteria.flatMap((c) => c.reasons) ?? [];
    expect(reasons.some((x) => x.requirement === 'app.kind (api)' && /server functions \(core\)/.test(x.text))).toBe(true);
  });
});
