import { describe, expect, it } from 'vitest';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { assignRoles, costPlatform, costStack, project, serverSize, stalePrices, type PlatformCost } from '../../../src/planners/cost.js';
import { checkUsage, deriveUsage, METRICS, scaleUsage, type Usage, type UsageInput } from '../../../src/planners/usage.js';
import { UserError } from '../../../src/errors.js';

const catalog = loadCatalog();
const usage = (input: UsageInput): Usage => deriveUsage(input).usage;

/** Deterministic pseudo-random numbers (mulberry32) so property tests are reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomUsage(r: () => number): Usage {
  const big = (max: number): number => Math.round(r() ** 3 * max);
  return usage({
    mau: big(500_000),
    sso_mau: big(5_000),
    db_gb: Math.round(r() ** 3 * 200 * 10) / 10,
    storage_gb: big(500),
    egress_gb: big(3000),
    function_invocations: big(50_000_000),
    compute_hours: big(730),
    realtime_messages: big(20_000_000),
    requests: big(80_000_000),
  });
}

describe('costPlatform', () => {
  it('charges nothing for usage inside a free tier', () => {
    const small = usage({ mau: 1000, db_gb: 0.2, egress_gb: 1, storage_gb: 0.5, function_invocations: 10_000, realtime_messages: 10_000 });
    for (const id of ['supabase', 'neon', 'clerk', 'auth0', 'vercel', 'nhost']) {
      const c = costPlatform(catalog, findPlatform(catalog, id), { ...small, requests: 0, db_reads: 0, db_writes: 0, cpu_ms: 0 });
      expect(c.knownTotal, id).toBe(0);
      expect(c.hasUnknown, id).toBe(false);
    }
    // Appwrite's free database allowance is not confirmed: without a database it is $0 and certain.
    const aw = costPlatform(catalog, findPlatform(catalog, 'appwrite'), usage({ mau: 1000, egress_gb: 1, storage_gb: 1 }));
    expect([aw.knownTotal, aw.hasUnknown]).toEqual([0, false]);
    const fb = costPlatform(catalog, findPlatform(catalog, 'firebase'), usage({ mau: 40_000, db_gb: 0.5, egress_gb: 5, requests: 1_000_000 }));
    expect(fb.plan?.id).toBe('spark');
    expect(fb.knownTotal).toBe(0);
  });

  it('moves to the first paid plan when a free limit is exceeded, and says which', () => {
    const c = costPlatform(catalog, findPlatform(catalog, 'supabase'), usage({ mau: 1000, db_gb: 2 }));
    expect(c.plan?.id).toBe('pro');
    expect(c.knownTotal).toBe(25);
    expect(c.rejected.find((r) => r.plan === 'free')?.reason).toMatch(/exceeds the limit of 0\.5/);
  });

  it('splits tiered prices into buckets (Clerk: 60k MRU = 10k over the 50k allowance at $0.02)', () => {
    const c = costPlatform(catalog, findPlatform(catalog, 'clerk'), usage({ mau: 60_000 }));
    expect(c.plan?.id).toBe('pro');
    expect(c.lines.find((l) => l.component === 'mau')?.monthly).toBe(200);
    expect(c.knownTotal).toBe(225);
    const big = costPlatform(catalog, findPlatform(catalog, 'clerk'), usage({ mau: 150_000 }));
    expect(big.knownTotal).toBe(25 + 50_000 * 0.02 + 50_000 * 0.018);
  });

  it('shows unknown prices as unknown and leaves them out of the total', () => {
    const c = costPlatform(catalog, findPlatform(catalog, 'clerk'), usage({ mau: 2_000_000 }));
    const line = c.lines.find((l) => l.component === 'mau');
    expect(line?.unknown).toMatch(/beyond 1M not confirmed/);
    expect(c.hasUnknown).toBe(true);
    expect(c.knownTotal).toBe(25 + 50_000 * 0.02 + 900_000 * 0.018);
    const auth0 = costPlatform(catalog, findPlatform(catalog, 'auth0'), usage({ mau: 30_000 }));
    expect(auth0.plan?.id).toBe('b2c-essentials');
    expect(auth0.lines.find((l) => l.component === 'mau')?.unknown).toBe('price not confirmed');
  });

  it('applies credits to the usage they cover, never below zero', () => {
    const c = costPlatform(catalog, findPlatform(catalog, 'supabase'), usage({ db_gb: 2, compute_hours: 730 }));
    expect(c.plan?.id).toBe('pro');
    const compute = c.lines.find((l) => l.component === 'compute_hours');
    const credit = c.lines.find((l) => l.component === 'credit');
    expect(compute?.monthly).toBeCloseTo(9.81, 2);
    expect(credit?.monthly).toBeCloseTo(-9.81, 2);
    expect(c.knownTotal).toBe(25);
  });

  it('never picks a plan whose price is not published as the cheapest', () => {
    const c = costPlatform(catalog, findPlatform(catalog, 'appwrite'), usage({ mau: 100_000, egress_gb: 10 }));
    expect(c.plan?.id).toBe('pro');
  });

  it('restricts plans to required features (HIPAA on Neon means the Scale plan)', () => {
    const c = costPlatform(catalog, findPlatform(catalog, 'neon'), usage({ db_gb: 1, compute_hours: 100 }), { features: ['hipaa'] });
    expect(c.plan?.id).toBe('scale');
    const clerk = costPlatform(catalog, findPlatform(catalog, 'clerk'), usage({ mau: 10 }), { features: ['hipaa'] });
    expect(clerk.plan).toBeNull();
    expect(clerk.noFit).toMatch(/no HIPAA/);
  });

  it('prices self-hosted platforms as labelled servers, sized to the platforms and the workload', () => {
    // baas needs 2 GB of its own: the 2 GB tier at $10, three times.
    const c = costPlatform(catalog, findPlatform(catalog, 'baas'), usage({ servers: 3 }));
    expect(c.knownTotal).toBe(30);
    expect(c.lines[0]?.assumption).toMatch(/ASSUMPTION/);
    expect(c.lines[0]?.assumption).toMatch(/Sized for 2 GB/);
    expect(costPlatform(catalog, findPlatform(catalog, 'baas'), usage({ servers: 2 }), { vmPrice: 7 }).knownTotal).toBe(14);
  });

  it('rents a small VPS for a tiny tool and a bigger server for a bigger workload (issue 15)', () => {
    const pb = findPlatform(catalog, 'pocketbase');
    const tiny = serverSize(catalog, [pb], usage({ mau: 50, db_gb: 0.5, requests: 100_000 }));
    expect(tiny.price).toBe(5);
    expect(tiny.ram_gb).toBe(1);
    const big = serverSize(catalog, [pb], usage({ db_gb: 200, requests: 100_000_000 }));
    expect(big.ram_gb).toBeGreaterThanOrEqual(16);
    // A dozen services need more than one binary, for the same workload.
    const supa = serverSize(catalog, [findPlatform(catalog, 'supabase')], usage({ mau: 50, db_gb: 0.5, requests: 100_000 }));
    expect(supa.price).toBeGreaterThan(tiny.price);
  });

  it('never sizes a smaller server for more usage (property)', () => {
    const r = rng(7);
    const self = catalog.platforms.filter((p) => p.self_hosting.available === true || p.self_hosting.available === 'only');
    for (let i = 0; i < 200; i++) {
      const u = randomUsage(r);
      const ps = self.filter(() => r() < 0.4);
      const a = serverSize(catalog, ps, u);
      const b = serverSize(catalog, ps, scaleUsage(u, 1 + r() * 5));
      expect(b.price).toBeGreaterThanOrEqual(a.price);
    }
  });

  it('never costs less when usage grows (property, every platform)', () => {
    const r = rng(42);
    for (let i = 0; i < 150; i++) {
      const u = randomUsage(r);
      const grown = scaleUsage(u, 1 + r() * 3);
      for (const p of catalog.platforms) {
        for (const opts of [{}, { commercial: true, alwaysOn: true }]) {
          const a = costPlatform(catalog, p, u, opts).knownTotal;
          const b = costPlatform(catalog, p, grown, opts).knownTotal;
          expect(b, `${p.id} ${JSON.stringify(u)}`).toBeGreaterThanOrEqual(a - 1e-9);
        }
      }
    }
  });
});

describe('costStack', () => {
  it('routes usage by role: MAU to the auth service, database size to the database', () => {
    const members = assignRoles(['neon', 'clerk', 'vercel'].map((id) => ({ platform: findPlatform(catalog, id), mode: 'cloud' as const })));
    // Vercel hosts, and its Blob store holds the files (Neon has no file storage).
    expect(members.map((m) => m.roles)).toEqual([['database'], ['auth'], ['compute', 'storage']]);
    const c = costStack(catalog, members, usage({ mau: 60_000, db_gb: 20, compute_hours: 730 }));
    const clerk = c.members.find((m) => m.platform === 'clerk');
    const neon = c.members.find((m) => m.platform === 'neon');
    expect(clerk?.knownTotal).toBe(225);
    expect(neon?.lines.some((l) => l.component === 'mau')).toBe(false);
    expect(neon?.lines.find((l) => l.component === 'db_gb')?.monthly).toBe(7);
    expect(c.knownTotal).toBeCloseTo(225 + 7 + 19.35, 2);
  });

  it('bills a database that scales to zero for the hours with traffic, not the hours the app is up', () => {
    const members = assignRoles(['neon', 'railway'].map((id) => ({ platform: findPlatform(catalog, id), mode: 'cloud' as const })));
    // 365 h with traffic of 730: Neon runs 0.25 CU for 365 h (91 CU-h, inside Free's 100), Railway all month.
    const half = costStack(catalog, members, usage({ db_gb: 0.5, compute_hours: 730, active_hours: 365 }));
    expect(half.members.find((m) => m.platform === 'neon')?.knownTotal).toBe(0);
    const always = costStack(catalog, members, usage({ db_gb: 0.5, compute_hours: 730 }));
    // Without a figure, active hours are the compute hours: Launch, 182.5 CU-h x $0.106 + 0.5 GB x $0.35.
    expect(always.members.find((m) => m.platform === 'neon')?.knownTotal).toBeCloseTo(19.52, 2);
    expect(half.members.find((m) => m.platform === 'railway')?.knownTotal).toBe(always.members.find((m) => m.platform === 'railway')?.knownTotal);
  });

  it('shares servers between self-hosted members', () => {
    const members = assignRoles(['baas', 'keycloak'].map((id) => ({ platform: findPlatform(catalog, id), mode: 'self-hosted' as const })));
    const c = costStack(catalog, members, usage({ servers: 2, mau: 10_000 }));
    expect(c.members).toHaveLength(1);
    // baas 2 GB + Keycloak 1 GB on one server each: the 4 GB tier ($20), twice.
    expect(c.knownTotal).toBe(40);
  });
});

describe('project', () => {
  it('matches a month-by-month recomputation and reports the plan change', () => {
    const p = findPlatform(catalog, 'supabase');
    const base = usage({ mau: 30_000, db_gb: 0.3 });
    const costOf = (u: Usage) => {
      const c = costPlatform(catalog, p, u);
      return { members: [c], knownTotal: c.knownTotal, hasUnknown: c.hasUnknown, warnings: [] };
    };
    const proj = project(12, 0.15, base, costOf);
    expect(proj.months).toHaveLength(12);
    proj.months.forEach((m, i) => {
      const again = costPlatform(catalog, p, scaleUsage(base, 1.15 ** i));
      expect(m.knownTotal).toBe(again.knownTotal);
      expect(m.plans.supabase).toBe(again.plan?.id);
    });
    expect(proj.planChanges).toEqual([{ month: 5, platform: 'supabase', from: 'free', to: 'pro' }]);
    expect(proj.knownTotal).toBeCloseTo(proj.months.reduce((s, m) => s + m.knownTotal, 0), 2);
  });
});

describe('checkUsage', () => {
  it('rejects negative and absurd quantities as usage errors (exit 2)', () => {
    expect(() => checkUsage({ mau: -1 })).toThrow(UserError);
    expect(() => checkUsage({ db_gb: 1e12 })).toThrow(/beyond any plausible/);
    expect(() => checkUsage({ requests: Number.NaN })).toThrow(UserError);
    expect(() => checkUsage(Object.fromEntries(METRICS.map((m) => [m, 1])))).not.toThrow();
  });
});

describe('stalePrices', () => {
  const cost = (name: string, ...dates: (string | undefined)[]): PlatformCost => ({
    platform: name.toLowerCase(),
    name,
    mode: 'cloud',
    plan: null,
    lines: dates.map((as_of) => ({ label: 'x', quantity: 1, included: null, unit: 'x', billable: 1, price: '$1', monthly: 1, usageBased: false, ...(as_of ? { as_of } : {}) })),
    knownTotal: 0,
    hasUnknown: false,
    notes: [],
    rejected: [],
  });
  const today = new Date(Date.UTC(2026, 11, 3));

  it('names each platform whose oldest price is more than twelve months old, once, with its age', () => {
    expect(stalePrices([cost('Vercel', '2026-09', '2024-06'), cost('Clerk', '2026-09-20'), cost('Neon', '2025-12-01')], today)).toEqual([
      "Vercel: prices as of 2024-06, 30 months old; check the vendor's pricing page before relying on them",
    ]);
  });

  it('counts a price exactly twelve months old as current, and ignores lines without a date', () => {
    expect(stalePrices([cost('Neon', '2025-12'), cost('Self', undefined)], today)).toEqual([]);
    expect(stalePrices([cost('Neon', '2025-11')], today)).toHaveLength(1);
  });
});
