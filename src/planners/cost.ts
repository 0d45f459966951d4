import { sourceLabel, type Catalog, type Meter, type Plan, type Platform, type Role } from './catalog.js';
import { scaleUsage, type Metric, type Usage } from './usage.js';

/**
 * The cost engine: pure functions from (catalog, usage) to Infracost-style breakdowns.
 * A platform's cost is the cheapest plan that fits the usage: base fee + overage lines -
 * credits. A price the catalog does not know is an `unknown` line, left out of the total.
 */

export interface CostOptions {
  /** Exclude plans that forbid commercial use (Vercel Hobby). */
  commercial?: boolean;
  /** Exclude plans that pause idle projects (Supabase Free). */
  alwaysOn?: boolean;
  /** Plan features required, e.g. compliance: soc2, hipaa, gdpr. */
  features?: string[];
  /** Overrides the catalog's self-hosted server price assumption. */
  vmPrice?: number;
  /**
   * Which of `features` a platform's plans must carry. Default: all of them. advise gates only the
   * compliance facts a vendor confirms; an unknown fact is a warning there, not a missing plan.
   */
  featureGate?: (platform: Platform, feature: string) => boolean;
  /** Reuses platform costs across the stacks of one advise run (same usage, same options): key = platform and the roles billed to it. */
  memo?: Map<string, PlatformCost>;
}

export interface CostLine {
  /** Meter id, or `base`, `credit`, `add-on:<id>`, `servers`. */
  component: string;
  label: string;
  quantity: number | null;
  unit: string;
  included: number | 'unlimited' | 'unknown' | null;
  billable: number | null;
  /** Price per `per` units, or a tier table in words. */
  price: string | null;
  /** Known monthly USD; when `unknown` is set this is only the known part. */
  monthly: number;
  unknown?: string;
  usageBased: boolean;
  source?: string;
  as_of?: string;
  assumption?: string;
}

export interface PlatformCost {
  platform: string;
  name: string;
  mode: 'cloud' | 'self-hosted';
  plan: { id: string; name: string } | null;
  lines: CostLine[];
  /** Sum of known amounts. */
  knownTotal: number;
  /** True when some line is unknown: the real total is at least knownTotal. */
  hasUnknown: boolean;
  notes: string[];
  rejected: { plan: string; reason: string }[];
  /** Set when no plan fits at all. */
  noFit?: string;
}

interface Evaluated {
  plan: Plan;
  lines: CostLine[];
  knownTotal: number;
  unknownCount: number;
  rejectReason?: string;
}

const round = (n: number): number => Math.round(n * 100) / 100;

function meterQuantity(m: Meter, usage: Usage): number {
  const metrics: Metric[] = Array.isArray(m.metric) ? m.metric : [m.metric];
  return metrics.reduce((s, k) => s + usage[k], 0) * m.factor;
}

function priceText(p: { price?: number | undefined; per: number; tiers?: { up_to: number; price: number }[] | undefined }, unit: string): string | null {
  const per = (n: number): string => (p.per === 1 ? `$${n}/${unit}` : `$${n}/${fmtQty(p.per)} ${unit}`);
  if (p.price !== undefined) return per(p.price);
  if (p.tiers) return p.tiers.map((t) => `${per(t.price)} to ${fmtQty(t.up_to)}`).join(', ');
  return null;
}

export function fmtQty(n: number): string {
  if (n >= 1e9 && n % 1e9 === 0) return `${n / 1e9}B`;
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(Math.round(n * 1000) / 1000);
}

/**
 * Charges quantity `qty` of which the first `incl` units are free, through tier buckets that
 * count total quantity (as vendors publish them: "$0.02/MRU 50,001-100k"). Units past the last
 * tier's bound have no known price.
 */
function charge(qty: number, incl: number, p: { price?: number | undefined; per: number; tiers?: { up_to: number; price: number }[] | undefined }): { usd: number; unknownUnits: number } {
  const billable = Math.max(0, qty - incl);
  if (billable === 0) return { usd: 0, unknownUnits: 0 };
  if (p.price !== undefined) return { usd: (billable * p.price) / p.per, unknownUnits: 0 };
  if (!p.tiers) return { usd: 0, unknownUnits: billable };
  let usd = 0;
  let from = 0;
  for (const t of p.tiers) {
    const lo = Math.max(from, incl);
    const hi = Math.min(t.up_to, qty);
    if (hi > lo) usd += ((hi - lo) * t.price) / p.per;
    from = t.up_to;
  }
  const last = p.tiers[p.tiers.length - 1]?.up_to ?? 0;
  return { usd, unknownUnits: Math.max(0, qty - Math.max(last, incl)) };
}

function evaluatePlan(platform: Platform, plan: Plan, usage: Usage, opts: CostOptions): Evaluated {
  const lines: CostLine[] = [];
  const src = (id: string): { source?: string; as_of?: string } => {
    const s = platform.sources[id];
    return s ? { source: sourceLabel(s), as_of: s.as_of } : {};
  };
  const reject = (reason: string): Evaluated => ({ plan, lines, knownTotal: 0, unknownCount: 0, rejectReason: reason });

  if (opts.commercial && plan.restrictions.includes('non_commercial')) return reject('non-commercial use only');
  if (opts.alwaysOn && plan.restrictions.includes('pauses_when_idle')) return reject('pauses idle projects');
  const addonFeatures: string[] = [];
  for (const f of (opts.features ?? []).filter((x) => !opts.featureGate || opts.featureGate(platform, x))) {
    if (plan.features.includes(f)) {
      if (plan.addons[f]) addonFeatures.push(f);
      continue;
    }
    return reject(`no ${f.toUpperCase()} on this plan`);
  }

  // Base fee.
  const seats = plan.base_per === 'seat' ? Math.max(1, usage.seats) : 1;
  if (plan.base === 'unknown') {
    lines.push({ component: 'base', label: `${plan.name} plan`, quantity: 1, unit: 'month', included: null, billable: null, price: null, monthly: 0, unknown: 'plan price not confirmed', usageBased: false, ...src(plan.source) });
  } else {
    lines.push({
      component: 'base',
      label: `${plan.name} plan${plan.base_per === 'seat' ? ` (${seats} seat${seats === 1 ? '' : 's'})` : ''}`,
      quantity: seats,
      unit: plan.base_per === 'seat' ? 'seat-months' : 'month',
      included: null,
      billable: seats,
      price: `$${plan.base}/${plan.base_per === 'seat' ? 'seat' : 'month'}`,
      monthly: plan.base * seats,
      usageBased: false,
      ...src(plan.source),
    });
  }
  for (const f of addonFeatures) {
    const a = plan.addons[f];
    if (!a) continue;
    lines.push({
      component: `add-on:${f}`,
      label: a.label,
      quantity: 1,
      unit: 'month',
      included: null,
      billable: 1,
      price: a.price === undefined ? null : `$${a.price}/month`,
      monthly: a.price ?? 0,
      ...(a.price === undefined ? { unknown: 'add-on price not confirmed' } : {}),
      usageBased: false,
      ...src(a.source),
    });
  }

  // Usage lines.
  for (const [id, m] of Object.entries(platform.meters)) {
    const qty = meterQuantity(m, usage);
    if (qty <= 0) continue;
    const incl = plan.included[id] ?? 0;
    const p = plan.prices[id] ?? m;
    const base: CostLine = {
      component: id,
      label: m.unit,
      quantity: qty,
      unit: m.unit,
      included: incl,
      billable: null,
      price: priceText(p, m.unit),
      monthly: 0,
      usageBased: true,
      ...src(p.source),
      ...(m.assumption ? { assumption: m.assumption } : {}),
    };
    if (incl === 'unlimited') {
      lines.push({ ...base, billable: 0 });
      continue;
    }
    if (incl === 'unknown') {
      // A paid plan does not include less than the plans listed before it: when the usage fits
      // in what a lower plan includes, it fits here too (said in the line's assumption).
      const lower = platform.plans.slice(0, platform.plans.indexOf(plan)).flatMap((pl) => {
        const v = pl.included[id];
        return typeof v === 'number' ? [{ plan: pl.name, v }] : [];
      });
      const floor = lower.reduce<{ plan: string; v: number } | undefined>((best, x) => (!best || x.v > best.v ? x : best), undefined);
      if (floor && qty <= floor.v) {
        lines.push({ ...base, included: floor.v, billable: 0, assumption: [base.assumption, `allowance on ${plan.name} not confirmed; assumed at least the ${floor.plan} plan's ${fmtQty(floor.v)}`].filter(Boolean).join('; ') });
        continue;
      }
      lines.push({ ...base, unknown: plan.overage ? `allowance on ${plan.name} not confirmed` : `whether ${plan.name} includes this is not confirmed` });
      continue;
    }
    const billable = Math.max(0, qty - incl);
    if (!plan.overage && billable > 0) return reject(`${m.unit}: ${fmtQty(qty)} exceeds the limit of ${fmtQty(incl)}`);
    const c = charge(qty, incl, p);
    lines.push({
      ...base,
      billable,
      monthly: c.usd,
      ...(c.unknownUnits > 0 ? { unknown: p.price === undefined && !p.tiers ? 'price not confirmed' : `price beyond ${fmtQty(qty - c.unknownUnits)} not confirmed` } : {}),
      ...(m.note ? { assumption: [m.assumption, m.note].filter(Boolean).join('; ') } : {}),
    });
  }

  // Several isolated databases (one per tenant): a platform whose per-project price the catalog
  // does not know gets an unknown line, never a silent "free".
  if (usage.projects > 1 && !Object.values(platform.meters).some((m) => (Array.isArray(m.metric) ? m.metric : [m.metric]).includes('projects'))) {
    lines.push({
      component: 'projects',
      label: 'separate projects',
      quantity: usage.projects,
      unit: 'projects',
      included: null,
      billable: null,
      price: null,
      monthly: 0,
      unknown: `the price of ${fmtQty(usage.projects)} separate projects is not in the catalog`,
      usageBased: true,
    });
  }

  // Credits offset the usage lines they apply to, never the base fee.
  if (plan.credit) {
    const credit = plan.credit;
    const applicable = lines
      .filter((l) => l.usageBased && (credit.applies_to === 'all' || credit.applies_to.includes(l.component)))
      .reduce((s, l) => s + l.monthly, 0);
    if (plan.spend_cap && applicable > credit.usd + 1e-9) return reject(`usage ($${round(applicable)}) is beyond the $${credit.usd} ${credit.label}`);
    const used = Math.min(credit.usd, applicable);
    if (used > 0) {
      lines.push({ component: 'credit', label: credit.label, quantity: null, unit: 'USD', included: null, billable: null, price: `-$${credit.usd}/month`, monthly: -used, usageBased: false, ...src(plan.source) });
    }
  }
  const knownTotal = lines.reduce((s, l) => s + l.monthly, 0);
  return { plan, lines, knownTotal, unknownCount: lines.filter((l) => l.unknown).length };
}

export interface ServerSize {
  id: string;
  ram_gb: number;
  price: number;
  label: string;
  /** Memory the stack needs on each server: the platforms' own services plus the workload. */
  needed_gb: number;
}

/**
 * The smallest server tier that holds the self-hosted platforms and the workload (ASSUMPTION,
 * from the catalog): a single binary for a tiny tool rents a small VPS, a stack of services
 * with a large database a big one. `--vm-price` overrides the price, not the sizing.
 */
export function serverSize(catalog: Catalog, platforms: Platform[], usage: Usage, opts: CostOptions = {}): ServerSize {
  const vm = catalog.assumptions.self_hosted_vm;
  const sz = vm.sizing;
  const own = platforms.reduce((s, p) => s + (p.self_hosting.ram_gb ?? 1), 0);
  const work = Math.min(usage.db_gb * sz.db_cache_share, sz.db_cache_max_gb) + (usage.requests / 1e7) * sz.gb_per_10m_requests;
  const needed = Math.round((own + work) * 100) / 100;
  const last = vm.tiers[vm.tiers.length - 1] ?? { id: 'server', ram_gb: 1, price: 0, label: 'server' };
  const tier = vm.tiers.find((t) => t.ram_gb >= needed) ?? last;
  return { ...tier, price: opts.vmPrice ?? tier.price, needed_gb: needed };
}

/** The vm price in force for a given stack and usage: an explicit override, else the sized tier. */
export function vmPrice(catalog: Catalog, opts: CostOptions, platforms: Platform[] = [], usage?: Usage): number {
  if (opts.vmPrice !== undefined) return opts.vmPrice;
  return usage ? serverSize(catalog, platforms, usage, opts).price : (catalog.assumptions.self_hosted_vm.tiers[0]?.price ?? 0);
}

export function selfHostedCost(catalog: Catalog, platforms: Platform[], usage: Usage, opts: CostOptions): PlatformCost {
  const vm = catalog.assumptions.self_hosted_vm;
  const size = serverSize(catalog, platforms, usage, opts);
  const servers = Math.max(1, usage.servers);
  const names = platforms.map((p) => p.name.replace(/ \(self-hosted\)$/, '')).join(' + ');
  const fits = size.ram_gb >= size.needed_gb;
  return {
    platform: platforms.map((p) => p.id).join('+'),
    name: `${names} (self-hosted)`,
    mode: 'self-hosted',
    plan: { id: 'self-hosted', name: 'your servers' },
    lines: [
      {
        component: 'servers',
        label: `servers you run (${size.label})`,
        quantity: servers,
        unit: 'server-months',
        included: null,
        billable: servers,
        price: `$${size.price}/server-month`,
        monthly: servers * size.price,
        usageBased: true,
        source: opts.vmPrice === undefined ? vm.source : '--vm-price',
        as_of: vm.as_of,
        assumption:
          (opts.vmPrice === undefined ? `${vm.label} ` : `server price $${size.price}/month given with --vm-price; `) +
          `Sized for ${size.needed_gb} GB of memory per server (${vm.sizing.label})${fits ? '' : `; more than the largest tier (${size.ram_gb} GB) holds`}.`,
      },
    ],
    knownTotal: servers * size.price,
    hasUnknown: false,
    notes: ["Licences are free; egress, backups, monitoring and your team's time are not included."],
    rejected: [],
  };
}

/** Monthly cost of one platform: the cheapest plan that fits, with its breakdown. */
export function costPlatform(catalog: Catalog, platform: Platform, usage: Usage, opts: CostOptions = {}): PlatformCost {
  if (platform.plans.length === 0) return selfHostedCost(catalog, [platform], usage, opts);
  const evaluated = platform.plans.map((pl) => evaluatePlan(platform, pl, usage, opts));
  const fitting = evaluated.filter((e) => !e.rejectReason);
  const rejected = evaluated.filter((e) => e.rejectReason).map((e) => ({ plan: e.plan.id, reason: e.rejectReason ?? '' }));
  const order = new Map(platform.plans.map((p, i) => [p.id, i]));
  // Cheapest known total first: keeps cost monotone in usage (a growing load only removes
  // plans, and each plan's cost only grows). Ties go to fewer unknowns, then the smaller plan.
  // A plan without a published price ("contact sales") is a last resort, never "cheapest".
  const unpriced = (e: Evaluated): number => (e.plan.base === 'unknown' ? 1 : 0);
  fitting.sort((a, b) => unpriced(a) - unpriced(b) || round(a.knownTotal) - round(b.knownTotal) || a.unknownCount - b.unknownCount || (order.get(a.plan.id) ?? 0) - (order.get(b.plan.id) ?? 0));
  const best = fitting[0];
  if (!best) {
    return {
      platform: platform.id,
      name: platform.name,
      mode: 'cloud',
      plan: null,
      lines: [],
      knownTotal: 0,
      hasUnknown: true,
      notes: [],
      rejected,
      noFit: `no ${platform.name} plan fits: ${rejected.map((r) => `${r.plan}: ${r.reason}`).join('; ')}`,
    };
  }
  const lines = best.lines.map((l) => ({ ...l, monthly: round(l.monthly) }));
  return {
    platform: platform.id,
    name: platform.name,
    mode: 'cloud',
    plan: { id: best.plan.id, name: best.plan.name },
    lines,
    knownTotal: round(best.knownTotal),
    hasUnknown: best.unknownCount > 0,
    notes: [...new Set([...best.plan.notes, ...best.plan.restrictions.map((r) => (r === 'non_commercial' ? 'non-commercial use only' : 'paused after 1 week idle'))])],
    rejected,
  };
}

// ---------------------------------------------------------------- stacks

export type { Role };

export interface StackMember {
  platform: Platform;
  roles: Role[];
  mode: 'cloud' | 'self-hosted';
}

/** The member runs on servers you keep (self-hosted), not as a library inside your own code. */
export const onOwnServers = (m: StackMember): boolean => m.mode === 'self-hosted' && !m.platform.library;

const ROLE_METRICS: Record<Role, Metric[]> = {
  auth: ['mau', 'sso_mau'],
  database: ['db_gb', 'db_reads', 'db_writes', 'db_io_gb', 'branches', 'realtime_messages', 'projects'],
  storage: ['storage_gb'],
  compute: ['function_invocations', 'compute_hours', 'active_hours', 'cpu_ms', 'action_gb_hours', 'egress_gb'],
  cache: [],
};
/** When a stack has no member in a role, that role's usage lands on the next one in line. */
export const FALLBACK: Record<Role, Role[]> = {
  auth: ['database', 'compute'],
  database: ['compute', 'auth'],
  storage: ['database', 'compute'],
  compute: ['database', 'auth'],
  cache: [],
};

/** The usage without what the given roles consume (their metrics set to 0). */
export function dropRoleUsage(usage: Usage, roles: Role[]): Usage {
  const out = { ...usage };
  for (const role of roles) for (const metric of ROLE_METRICS[role]) out[metric] = 0;
  return out;
}

export interface StackCost {
  members: PlatformCost[];
  knownTotal: number;
  hasUnknown: boolean;
  warnings: string[];
}

/** Splits the usage between the members by role, then costs each; self-hosted members share servers. */
export function costStack(catalog: Catalog, members: StackMember[], usage: Usage, opts: CostOptions = {}): StackCost {
  const holder = (role: Role): StackMember | undefined => {
    for (const r of [role, ...FALLBACK[role]]) {
      const m = members.find((x) => x.roles.includes(r));
      if (m) return m;
    }
    return members[0];
  };
  const holders = new Map<Role, StackMember | undefined>((Object.keys(ROLE_METRICS) as Role[]).map((role) => [role, holder(role)]));
  // What a member is billed for follows from the roles that land on it: the routing signature
  // (and the platform) decides its cost, which is what the memo keys on.
  const landing = (m: StackMember): Role[] => (Object.keys(ROLE_METRICS) as Role[]).filter((role) => holders.get(role) === m);
  const routedUsage = (m: StackMember, roles: Role[]): Usage => {
    const u = Object.fromEntries(Object.keys(usage).map((k) => [k, 0])) as Usage;
    u.seats = usage.seats;
    u.servers = usage.servers;
    for (const role of roles) for (const k of ROLE_METRICS[role]) u[k] = usage[k];
    // Every request reaches the host and, for per-call databases (Convex, Firestore, D1), the
    // database; the database's own compute (Neon CU-hours, Supabase instances) runs as long as the app's.
    if (roles.includes('compute') || roles.includes('database')) {
      u.requests = usage.requests;
      u.compute_hours = usage.compute_hours;
      u.active_hours = usage.active_hours;
    }
    return u;
  };

  const results: PlatformCost[] = [];
  // A library (auth in your own code) has no bill and no server of its own.
  const self = members.filter(onOwnServers);
  for (const m of members) {
    if (m.mode === 'self-hosted' || m.platform.library) continue;
    const roles = landing(m);
    const key = opts.memo ? `${m.platform.id}|${roles.join(',')}` : '';
    const hit = opts.memo?.get(key);
    const c = hit ?? costPlatform(catalog, m.platform, routedUsage(m, roles), opts);
    if (opts.memo && !hit) opts.memo.set(key, c);
    results.push(c);
  }
  if (self.length > 0) {
    const key = opts.memo ? `self|${self.map((m) => m.platform.id).join(',')}` : '';
    const hit = opts.memo?.get(key);
    const c = hit ?? selfHostedCost(catalog, self.map((m) => m.platform), usage, opts);
    if (opts.memo && !hit) opts.memo.set(key, c);
    results.push(c);
  }
  return {
    members: results,
    knownTotal: round(results.reduce((s, r) => s + r.knownTotal, 0)),
    hasUnknown: results.some((r) => r.hasUnknown),
    warnings: costWarnings(results),
  };
}

/** What a set of costs cannot promise: a platform no plan fits, and each line whose price is unknown (left out of the total). */
export function costWarnings(costs: PlatformCost[]): string[] {
  return costs.flatMap((c) => [...(c.noFit ? [c.noFit] : []), ...c.lines.filter((l) => l.unknown).map((l) => `${c.name} ${l.label}: ${l.unknown}; left out of the total`)]);
}

/** A price older than this many months is named as a warning: vendors change plans about yearly. */
export const STALE_PRICE_MONTHS = 12;

/**
 * One warning per platform whose oldest price used is more than `maxMonths` before `today`
 * (catalog dates are `YYYY-MM` or `YYYY-MM-DD`): the catalog is dated so that an old figure shows.
 */
export function stalePrices(costs: PlatformCost[], today: Date, maxMonths = STALE_PRICE_MONTHS): string[] {
  return costs.flatMap((c) => {
    const oldest = c.lines.map((l) => l.as_of).filter((d): d is string => d !== undefined && /^\d{4}-\d{2}/.test(d)).sort()[0];
    if (!oldest) return [];
    const months = (today.getUTCFullYear() - Number(oldest.slice(0, 4))) * 12 + (today.getUTCMonth() + 1 - Number(oldest.slice(5, 7)));
    return months > maxMonths ? [`${c.name}: prices as of ${oldest}, ${months} months old; check the vendor's pricing page before relying on them`] : [];
  });
}

// ---------------------------------------------------------------- projection

export interface ProjectionMonth {
  month: number;
  usage: Usage;
  plans: Record<string, string | null>;
  knownTotal: number;
  hasUnknown: boolean;
}

export interface Projection {
  growthPerMonth: number;
  months: ProjectionMonth[];
  planChanges: { month: number; platform: string; from: string | null; to: string | null }[];
  knownTotal: number;
}

/** Month-by-month cost with usage compounding by `growth` (0.15 = 15%/month); month 1 is today's usage. */
export function project(months: number, growth: number, usage: Usage, costOf: (u: Usage) => StackCost): Projection {
  const out: ProjectionMonth[] = [];
  const changes: Projection['planChanges'] = [];
  let prev: Record<string, string | null> | undefined;
  for (let i = 1; i <= months; i++) {
    const u = scaleUsage(usage, (1 + growth) ** (i - 1));
    const c = costOf(u);
    const plans = Object.fromEntries(c.members.map((m) => [m.platform, m.plan?.id ?? null]));
    if (prev) {
      for (const [p, plan] of Object.entries(plans)) {
        if (prev[p] !== plan) changes.push({ month: i, platform: p, from: prev[p] ?? null, to: plan });
      }
    }
    prev = plans;
    out.push({ month: i, usage: u, plans, knownTotal: c.knownTotal, hasUnknown: c.hasUnknown });
  }
  return { growthPerMonth: growth, months: out, planChanges: changes, knownTotal: round(out.reduce((s, m) => s + m.knownTotal, 0)) };
}

/**
 * Gives each platform of a user-named stack (`--stack neon,clerk,vercel`) its roles: the first
 * database, the auth-only service over a database's bundled auth, a host over a database's
 * functions, the first cache.
 */
export function assignRoles(parts: { platform: Platform; mode: 'cloud' | 'self-hosted' }[]): StackMember[] {
  const members: StackMember[] = parts.map((p) => ({ ...p, roles: [] }));
  const pick = (role: Role, ranks: ((m: StackMember) => boolean)[]): void => {
    for (const ok of ranks) {
      const m = members.find(ok);
      if (m) {
        m.roles.push(role);
        return;
      }
    }
  };
  const c = (m: StackMember): Platform['provides'] => m.platform.provides;
  pick('database', [(m) => c(m).database !== null]);
  const db = members.find((m) => m.roles.includes('database'));
  pick('auth', [
    (m) => c(m).auth === true && c(m).database === null,
    (m) => c(m).auth === true && (!m.platform.bundled.includes('auth') || m === db),
    (m) => c(m).auth === 'partial' && (!m.platform.bundled.includes('auth') || m === db),
  ]);
  pick('compute', [
    (m) => c(m).hosting === true && c(m).database === null,
    (m) => c(m).hosting === true,
    (m) => c(m).containers === true || c(m).functions === true || c(m).edge === true,
    (m) => c(m).hosting === 'partial' || c(m).functions === 'partial',
  ]);
  pick('cache', [(m) => c(m).cache === true]);
  pick('storage', [(m) => c(m).storage === true && m.roles.length > 0, (m) => c(m).storage !== false]);
  return members;
}
