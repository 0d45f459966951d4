import { describe, expect, it } from 'vitest';
import { advise, type RankedStack } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';

/** Round 3 of issue 15: the method fixes found on the first three halves of the evaluation. */

const catalog = loadCatalog();
const w = loadWeights();
const req = (yaml: string) => parseRequirementsText(yaml, 'test.yaml');
const run = (yaml: string, top = 400) => advise(catalog, req(yaml), { top });
const stack = (a: ReturnType<typeof advise>, key: string): RankedStack => {
  const s = a.stacks.find((x) => x.key === key);
  if (!s) throw new Error(`${key} not ranked`);
  return s;
};
const criterion = (s: RankedStack, id: string) => {
  const c = s.criteria.find((x) => x.id === id);
  if (!c) throw new Error(`${s.key} has no ${id} criterion`);
  return c;
};

describe('advise round 3: cost without a budget', () => {
  it('does not let a bill within what is normal for the stage decide between stacks', () => {
    const a = run('stage: mvp\napp: { kind: web }\ndata: { model: relational }\nauth: { needed: true }\n');
    const free = a.stacks.find((s) => s.cost.monthly === 0 && !s.cost.hasUnknown && criterion(s, 'cost').score === 1);
    const paid = a.stacks.find((s) => s.cost.monthly > 0 && s.cost.monthly <= w.cost.negligible.mvp && !s.cost.hasUnknown && criterion(s, 'cost').reasons.every((r) => r.effect !== 'con'));
    expect(free, 'a free stack').toBeDefined();
    expect(paid, 'a stack on a small paid plan').toBeDefined();
    expect(criterion(paid as RankedStack, 'cost').score).toBe(1);
  });

  it('still counts cost above that band, and more the further above', () => {
    const base = 'stage: mvp\napp: { kind: web }\ndata: { model: relational, size_gb: 40 }\nauth: { needed: true, mau: 200000 }\n';
    const a = run(base);
    const costly = a.stacks.filter((s) => s.cost.monthly > 2 * w.cost.negligible.mvp && !s.cost.hasUnknown);
    expect(costly.length).toBeGreaterThan(1);
    const sorted = [...costly].sort((x, y) => x.cost.monthly - y.cost.monthly);
    const cheapest = sorted[0] as RankedStack;
    const dearest = sorted[sorted.length - 1] as RankedStack;
    expect(criterion(cheapest, 'cost').score).toBeLessThan(1);
    expect(criterion(dearest, 'cost').score).toBeLessThan(criterion(cheapest, 'cost').score);
  });
});

describe('advise round 3: server functions run wherever the stack runs code', () => {
  it('credits a Convex + Vercel stack with the functions when Vercel hosts the Next.js pages', () => {
    const a = run('stage: growth\napp: { kind: saas, frontend: nextjs }\nfeatures: { functions: core }\nauth: { needed: true }\n');
    const s = stack(a, 'clerk+convex+vercel');
    const reason = criterion(s, 'capabilities').reasons.find((r) => r.requirement === 'features.functions');
    // Round 248: Convex runs them fully, as Vercel does; it is built around its reactive database,
    // not around them, so the stack gets a full implementation's credit, not a specialist's.
    expect(reason?.text).toMatch(/^server functions \(core\): (Convex|Vercel)$/);
    expect(reason?.effect).toBe('note');
    expect(s.violations).toEqual([]);
  });
});

describe('advise round 3: a container host runs a server-rendered framework', () => {
  const yaml = 'stage: growth\napp: { kind: web, frontend: nextjs }\ndata: { model: relational }\nfeatures: { containers: some }\n';
  it('gives a container host part of the credit of a host built for the framework, none to one that cannot run its server', () => {
    const a = run(yaml);
    const railway = criterion(stack(a, 'railway'), 'ecosystem');
    expect(railway.score).toBeCloseTo(w.ecosystem.node_server_host, 5);
    expect(railway.reasons.map((r) => r.text).join(' ')).toMatch(/runs its Node server in a container/);
    // Vercel is built around Next.js: the host share is whole.
    const vercel = a.stacks.find((s) => s.roles.compute === 'vercel' && s.roles.database === 'neon');
    if (vercel) expect(criterion(vercel, 'ecosystem').score).toBeGreaterThan(railway.score);
  });
});

describe('advise round 3: current platforms say which roles they are read as holding', () => {
  it('lists the roles `current: cloudflare` is read as holding, and how to name fewer', () => {
    const a = run('app: { kind: content, frontend: static }\ndata: { model: relational }\nauth: { needed: true }\ncurrent: cloudflare\n', 5);
    expect(a.assumptions.join('\n')).toMatch(/current: cloudflare read as holding every role it can here \(database, compute\); name the roles it holds if fewer/);
    const byRole = run('app: { kind: content, frontend: static }\ndata: { model: relational }\nauth: { needed: true }\ncurrent: { compute: cloudflare }\n', 5);
    expect(byRole.assumptions.join('\n')).not.toMatch(/current: cloudflare read as/);
  });

  it('does not charge a migration for a database the product never had on the current platform', () => {
    const a = run('app: { kind: content, frontend: static }\ndata: { model: relational }\nauth: { needed: true }\ncurrent: { compute: cloudflare }\n');
    const s = a.stacks.find((x) => x.roles.compute === 'cloudflare' && x.roles.database === 'neon');
    expect(s).toBeDefined();
    expect(criterion(s as RankedStack, 'migration').score).toBe(1);
  });
});

describe('advise round 3: catalog corrections carry their sources', () => {
  it('reads Convex as document-relational (its docs: a relational data model storing JSON-like documents)', () => {
    const convex = findPlatform(catalog, 'convex');
    expect(convex.provides.database?.model).toBe('mixed');
    expect(convex.sources.database?.url).toBe('https://docs.convex.dev/database');
  });

  it('reads Cloudflare lock-in as medium, citing the open-source Workers runtime', () => {
    const cf = findPlatform(catalog, 'cloudflare');
    expect(cf.lock_in).toBe('medium');
    expect(cf.sources.workerd?.url).toMatch(/^https:\/\/github\.com\/cloudflare\/workerd/);
  });
});

describe('advise round 4: fixes found on the round 3 blind half', () => {
  it('records Cloudflare Vectorize and PlanetScale branching with their sources', () => {
    const cf = findPlatform(catalog, 'cloudflare');
    expect(cf.provides.vector_search).toBe(true);
    expect(cf.sources.vectorize?.url).toMatch(/^https:\/\/developers\.cloudflare\.com\/vectorize/);
    const ps = findPlatform(catalog, 'planetscale');
    expect(ps.provides.branching).toBe(true);
    expect(ps.designed_for).toContain('branching');
    expect(ps.sources.branch_cli?.url).toMatch(/^https:\/\/planetscale\.com\/docs/);
  });

  it('judges lock-in by the roles a platform holds: Firebase holding only sign-in is medium, holding the data is high', () => {
    const a = run('app: { kind: web, frontend: react }\ndata: { model: relational }\nauth: { needed: true }\n');
    const authOnly = a.stacks.find((s) => s.roles.auth === 'firebase' && s.roles.database !== 'firebase' && s.roles.compute !== 'firebase');
    const whole = a.stacks.find((s) => s.roles.auth === 'firebase' && s.roles.database === 'firebase');
    expect(authOnly && whole).toBeTruthy();
    expect(criterion(authOnly as RankedStack, 'lock_in').reasons.map((r) => r.text).join(' ')).toMatch(/Firebase: medium lock-in/);
    expect(criterion(whole as RankedStack, 'lock_in').reasons.map((r) => r.text).join(' ')).toMatch(/Firebase: high lock-in/);
  });

  it('does not judge a static frontend framework against a database reached only through your own API', () => {
    const a = run('app: { kind: web, frontend: vue }\ndata: { model: relational }\nfeatures: { functions: some }\n');
    const cf = criterion(stack(a, 'cloudflare'), 'ecosystem');
    expect(cf.score).toBe(1);
    expect(cf.reasons.map((r) => r.text).join(' ')).toMatch(/calls its own API, so any framework fits/);
    // A browser SDK without Vue bindings earns part of the credit, Vue bindings all of it.
    const firebase = a.stacks.find((s) => s.roles.database === 'firebase');
    expect(firebase).toBeDefined();
    expect(criterion(firebase as RankedStack, 'ecosystem').reasons.map((r) => r.text).join(' ')).toMatch(/plain browser SDK/);
  });

  it('offers sign-in as a library in your own code only beside a part that runs server code and a database, at no bill', () => {
    const a = run('stage: mvp\napp: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true }\n');
    const lib = a.stacks.filter((s) => s.roles.auth === 'authlib');
    expect(lib.length).toBeGreaterThan(0);
    for (const s of lib) {
      expect(s.roles.database).toBeDefined();
      expect(s.roles.database).not.toBe('authlib');
      const compute = findPlatform(catalog, s.roles.compute as string);
      expect(compute.provides.functions !== false || compute.provides.containers !== false || compute.provides.edge !== false).toBe(true);
      expect(s.cost.plans.map((p) => p.platform)).not.toContain('authlib');
      expect(criterion(s, 'simplicity').reasons.map((r) => r.text).join(' ')).toMatch(/code you keep up/);
      expect(s.name).not.toMatch(/Auth library \(Better Auth\) \(self-hosted\)/);
    }
    // Without a database there is nowhere to keep the users: no library.
    const noDb = run('app: { kind: web, frontend: nextjs }\ndata: { model: none }\nauth: { needed: true }\n');
    expect(noDb.stacks.some((s) => s.roles.auth === 'authlib')).toBe(false);
  });

  it('never counts an auth library as a server when self-hosting is ruled out', () => {
    const a = run('app: { kind: web, frontend: nextjs }\ndata: { model: relational }\nauth: { needed: true }\nconstraints: { self_hosting: "no" }\n');
    const lib = a.stacks.find((s) => s.roles.auth === 'authlib');
    expect(lib).toBeDefined();
    expect((lib as RankedStack).violations.filter((v) => v.constraint === 'self_hosting')).toEqual([]);
  });
});

describe('advise round 5: what the architect reference showed', () => {
  it('gives a platform built around a secondary need a little more than one that merely offers it', () => {
    const a = run('stage: growth\napp: { kind: api, frontend: none }\ndata: { model: relational }\nfeatures: { branching: some, containers: some }\n');
    const withNeon = a.stacks.find((s) => s.roles.database === 'neon');
    const withSupabase = a.stacks.find((s) => s.roles.database === 'supabase' && s.roles.compute === withNeon?.roles.compute);
    expect(withNeon && withSupabase).toBeTruthy();
    const reason = (s: RankedStack) => criterion(s, 'capabilities').reasons.find((r) => r.requirement === 'features.branching')?.text ?? '';
    expect(reason(withNeon as RankedStack)).toMatch(/Neon is built around it/);
    expect(criterion(withNeon as RankedStack, 'capabilities').score).toBeGreaterThan(criterion(withSupabase as RankedStack, 'capabilities').score);
  });

  it('gives no such edge for a commodity: plain sign-in scores alike from Clerk and from Supabase', () => {
    const a = run('app: { kind: web }\ndata: { model: relational }\nauth: { needed: true }\n');
    const clerk = a.stacks.find((s) => s.roles.auth === 'clerk' && s.roles.database === 'supabase');
    const own = a.stacks.find((s) => s.key === 'supabase');
    expect(clerk && own).toBeTruthy();
    expect(criterion(clerk as RankedStack, 'capabilities').score).toBe(criterion(own as RankedStack, 'capabilities').score);
    expect(w.capabilities.commodity).toContain('auth');
  });

  it('folds stacks that differ only in who serves a static build, and says where else it runs', () => {
    const a = run('stage: mvp\napp: { kind: web, frontend: react }\ndata: { model: relational }\nauth: { needed: true }\n', 40);
    const sigs = a.stacks.map((s) => `${s.roles.database}|${s.roles.auth}|${s.selfHosted.join(',')}`);
    expect(new Set(sigs).size).toBe(sigs.length);
    expect(a.stacks.some((s) => (s.alsoHostedOn ?? []).length > 0)).toBe(true);
    // With server code asked for, the host is part of the approach: nothing is folded.
    const withCode = run('stage: mvp\napp: { kind: web, frontend: react }\ndata: { model: relational }\nauth: { needed: true }\nfeatures: { functions: some }\n', 40);
    expect(withCode.stacks.every((s) => s.alsoHostedOn === undefined)).toBe(true);
  });
});
