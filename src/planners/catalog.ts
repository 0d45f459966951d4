import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { closest } from './suggest.js';
import { METRICS } from './usage.js';
import { SNAPSHOT_DIR } from './data-snapshot.js';
import { loadBundledYaml, parseYamlWith } from './yaml-file.js';

/** Where the catalog lives; resolves from src/planners (vitest) and dist/planners (built) alike. */
export const CATALOG_URL = new URL('../../templates/catalog/platforms.yaml', import.meta.url);

const capability = z.union([z.boolean(), z.literal('partial')]);
export type Capability = z.infer<typeof capability>;

export const CAPABILITIES = [
  'auth',
  'storage',
  'functions',
  'edge',
  'hosting',
  'containers',
  'realtime',
  'offline_sync',
  'vector_search',
  'branching',
  'scale_to_zero',
  'cache',
  'cache_ha',
  'enterprise_sso',
  'organizations',
] as const;
export type CapabilityName = (typeof CAPABILITIES)[number];

/** A date, never a commit id: `baas cost --sources` shows it in its "As of" column. */
const asOf = z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, 'must be a date (YYYY-MM or YYYY-MM-DD); put a commit id under `commit`');

const source = z
  .object({
    title: z.string().min(1),
    as_of: asOf,
    date_kind: z.enum(['published', 'retrieved']).default('published'),
    /** The source repository commit the figures were read at, when the page itself shows no date. */
    commit: z.string().regex(/^[0-9a-f]{7,40}$/).optional(),
    url: z.string().url().optional(),
  })
  .strict();
export type Source = z.infer<typeof source>;

/** How a source reads in outputs: its title, and the commit it was read at when there is one. */
export function sourceLabel(s: Source): string {
  return s.commit && !s.title.includes(s.commit) ? `${s.title} (commit ${s.commit})` : s.title;
}

const included = z.union([z.number().nonnegative(), z.literal('unlimited'), z.literal('unknown')]);
export type Included = z.infer<typeof included>;

const tier = z.object({ up_to: z.number().positive(), price: z.number().nonnegative() }).strict();

const priceFields = {
  price: z.number().nonnegative().optional(),
  per: z.number().positive().default(1),
  tiers: z.array(tier).min(1).optional(),
  source: z.string(),
};

const meter = z
  .object({
    metric: z.union([z.enum(METRICS), z.array(z.enum(METRICS)).min(1)]),
    unit: z.string(),
    factor: z.number().positive().default(1),
    assumption: z.string().optional(),
    note: z.string().optional(),
    ...priceFields,
  })
  .strict();
export type Meter = z.infer<typeof meter>;

const RESTRICTIONS = ['non_commercial', 'pauses_when_idle'] as const;
export type Restriction = (typeof RESTRICTIONS)[number];

const plan = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    name: z.string(),
    base: z.union([z.number().nonnegative(), z.literal('unknown')]),
    base_per: z.enum(['month', 'seat']).default('month'),
    source: z.string(),
    overage: z.boolean(),
    /** The plan stops (rather than bills) once usage exceeds its credit. */
    spend_cap: z.boolean().default(false),
    restrictions: z.array(z.enum(RESTRICTIONS)).default([]),
    features: z.array(z.string()).default([]),
    addons: z.record(z.string(), z.object({ label: z.string(), price: z.number().nonnegative().optional(), source: z.string() }).strict()).default({}),
    included: z.record(z.string(), included).default({}),
    credit: z
      .object({ usd: z.number().nonnegative(), applies_to: z.union([z.literal('all'), z.array(z.string())]), label: z.string() })
      .strict()
      .optional(),
    prices: z.record(z.string(), z.object(priceFields).strict()).default({}),
    notes: z.array(z.string()).default([]),
  })
  .strict();
export type Plan = z.infer<typeof plan>;

/**
 * Compliance facts a requirement can name: SOC 2 (type II report), ISO 27001 certification, a
 * HIPAA business associate agreement (BAA) and a GDPR data processing agreement (DPA).
 */
export const COMPLIANCE = ['soc2', 'iso27001', 'hipaa', 'gdpr'] as const;
export type Compliance = (typeof COMPLIANCE)[number];
export const COMPLIANCE_LABEL: Record<Compliance, string> = {
  soc2: 'SOC 2 type II',
  iso27001: 'ISO 27001',
  hipaa: 'HIPAA BAA',
  gdpr: 'GDPR DPA',
};

/**
 * One compliance fact, from the vendor's own page: `yes`/`no` name their `source` (declared under
 * the platform's sources, with its address and date); `unknown` means no vendor page said.
 */
const complianceFactSchema = z
  .object({
    status: z.enum(['yes', 'no', 'unknown']),
    /** The cheapest plan it comes with; plans listed after it have it too. Left out: every plan. */
    plan: z.string().optional(),
    /** It costs extra on top of the plan (price not in the catalog unless given under addons). */
    addon: z.string().optional(),
    source: z.string().optional(),
    note: z.string().optional(),
  })
  .strict();
export type ComplianceFact = z.infer<typeof complianceFactSchema>;

/**
 * How established a platform is, from the vendor's own pages: whether it calls the product
 * generally available (`ga`) or not yet ready for production (`pre_ga`), the earliest dated
 * evidence of a production offering (`since`: a GA announcement or a dated SLA), and a published
 * uptime commitment. What no page says stays out (unknown), and advise scores it as unknown.
 */
/** The roles a platform can hold in a stack. */
export const ROLES = ['database', 'auth', 'compute', 'storage', 'cache'] as const;
export type Role = (typeof ROLES)[number];
/** The roles a platform may hold only beside its own database (`bundled`). */
const BUNDLED_ROLES = ['auth', 'storage'] as const;

const yearOrDate = z.string().regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, 'must be a year or a date (YYYY, YYYY-MM or YYYY-MM-DD)');
const maturitySchema = z
  .object({
    stage: z.enum(['ga', 'pre_ga', 'unknown']).default('unknown'),
    since: yearOrDate.optional(),
    source: z.string().optional(),
    // `roles_since`: an earlier start for parts of the platform older than the product `since`
    // dates (Cloudflare's Workers, years before D1): a stack that uses the platform only for
    // roles listed here gets the latest of their dates as its track record.
    roles_since: z.partialRecord(z.enum(ROLES), yearOrDate).optional(),
    roles_since_source: z.string().optional(),
    // `covers`: the roles the commitment is for, when it is one product's (Firebase's is
    // Firestore's): a stack that uses the platform for none of them gets no SLA from it.
    sla: z
      .object({ uptime: z.number().min(90).max(100), plan: z.string().optional(), covers: z.array(z.enum(ROLES)).min(1).optional() })
      .strict()
      .optional(),
    sla_source: z.string().optional(),
    note: z.string().optional(),
  })
  .strict();
export type Maturity = z.infer<typeof maturitySchema>;

/**
 * How the vendor keeps the data it holds safe, from its own pages: whether it runs the database
 * for you (`managed: false` only where the vendor says the customer maintains it, as Railway
 * does of its database templates), point-in-time recovery on some plan (an add-on counts), and
 * high availability (`failover`: a standby takes over automatically; `replicas`: copies in
 * other zones or read replicas, no automatic failover; `none`: one server). Left out = unknown.
 */
const dataSafetySchema = z
  .object({
    managed: z.boolean().optional(),
    pitr: z.boolean().optional(),
    ha: z.enum(['failover', 'replicas', 'none']).optional(),
    source: z.string().optional(),
    note: z.string().optional(),
  })
  .strict();
export type DataSafety = z.infer<typeof dataSafetySchema>;

const platform = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    name: z.string(),
    // `role_names`: what the part of the platform a stack uses is called, where the stack uses
    // the platform for that one role only (Cloudflare's compute alone is Workers, not Workers + D1).
    role_names: z.partialRecord(z.enum(ROLES), z.string()).optional(),
    summary: z.string(),
    provides: z
      .object({
        database: z
          .object({ engine: z.string(), model: z.enum(['relational', 'document', 'mixed']), joins_in_code: z.boolean().optional(), documents_by_key: z.boolean().optional() })
          .strict()
          .nullable(),
        ...(Object.fromEntries(CAPABILITIES.map((c) => [c, capability])) as Record<CapabilityName, typeof capability>),
        api: z.array(z.enum(['rest', 'graphql', 'sql', 'rpc', 'sdk'])),
      })
      .strict(),
    notes: z.record(z.string(), z.string()).default({}),
    self_hosting: z
      .object({
        available: z.union([z.boolean(), z.literal('partial'), z.literal('only')]),
        licence: z.string(),
        note: z.string().optional(),
        /** ASSUMPTION: memory the platform's own services take on a server, before your data. */
        ram_gb: z.number().positive().optional(),
      })
      .strict(),
    single_node: z.boolean().default(false),
    /**
     * A library inside your own server code, not a service (an auth library): no bill, no
     * servers of its own, its data in the stack's database. It needs a member that runs server code.
     */
    library: z.boolean().default(false),
    /** What the platform is built around, not merely offers: credited when a requirement calls it `core`. */
    designed_for: z.array(z.enum(CAPABILITIES)).default([]),
    /** Roles that only work together with the platform's own database (Nhost auth needs Nhost's Postgres). */
    bundled: z.array(z.enum(BUNDLED_ROLES)).default([]),
    /**
     * A bundled role the vendor also offers on its own ("You can use Supabase Auth as a
     * standalone product"): the platform may hold it without holding the stack's database, as a
     * whole project kept for it. Each with the vendor page that says so.
     */
    standalone: z.array(z.object({ role: z.enum(BUNDLED_ROLES), source: z.string(), note: z.string() }).strict()).default([]),
    compliance: z.object(Object.fromEntries(COMPLIANCE.map((c) => [c, complianceFactSchema.optional()])) as Record<Compliance, z.ZodOptional<typeof complianceFactSchema>>).strict(),
    /** Data-residency regions the vendor names; `complete` = the list is the whole offer. */
    regions: z
      .object({ confirmed: z.array(z.string()).optional(), complete: z.boolean().default(false), source: z.string().optional(), note: z.string().optional() })
      .strict(),
    lock_in: z.enum(['low', 'medium', 'high']),
    /** A role the platform can be left in more easily (or less) than the whole of it: Firebase Auth exports accounts with their hashes. */
    lock_in_by_role: z.object({ database: z.enum(['low', 'medium', 'high']).optional(), auth: z.enum(['low', 'medium', 'high']).optional(), compute: z.enum(['low', 'medium', 'high']).optional(), cache: z.enum(['low', 'medium', 'high']).optional() }).strict().default({}),
    maturity: maturitySchema.prefault({}),
    data_safety: dataSafetySchema.prefault({}),
    ecosystems: z.array(z.string()),
    /**
     * Server-rendered frameworks the platform hosts through an adapter its vendor documents and
     * maintains (Next.js on Workers through OpenNext, on Firebase App Hosting): their features
     * run, short of a host built around the framework. Each with the vendor page that says so.
     */
    framework_adapters: z.array(z.object({ framework: z.string(), source: z.string(), note: z.string() }).strict()).default([]),
    /**
     * Sign-in products this platform's database is documented to take its users from, where its
     * own sign-in is partial or missing (Convex with Clerk): each with this vendor's page and the
     * partner's page, since the pairing counts only when both vendors document it.
     */
    sign_in_partners: z.array(z.object({ id: z.string(), source: z.string(), partner_source: z.string(), note: z.string() }).strict()).default([]),
    /**
     * Hosts whose marketplace creates this platform's database and bills it on the host's
     * account, with its connection settings put into the host's project (Supabase, Neon and
     * Convex on the Vercel Marketplace): each with this vendor's page that says so.
     */
    billed_through: z.array(z.object({ host: z.string(), source: z.string(), note: z.string() }).strict()).default([]),
    sources: z.record(z.string(), source),
    meters: z.record(z.string(), meter),
    plans: z.array(plan),
  })
  .strict()
  .superRefine((p, ctx) => {
    const needSource = (s: string, path: PropertyKey[]): void => {
      if (!p.sources[s]) ctx.addIssue({ code: 'custom', path, message: `source "${s}" is not declared under sources` });
    };
    for (const [id, m] of Object.entries(p.meters)) {
      needSource(m.source, ['meters', id, 'source']);
      if (m.price !== undefined && m.tiers) ctx.addIssue({ code: 'custom', path: ['meters', id], message: 'give price or tiers, not both' });
    }
    p.plans.forEach((pl, i) => {
      needSource(pl.source, ['plans', i, 'source']);
      for (const k of Object.keys(pl.included)) {
        if (!p.meters[k]) ctx.addIssue({ code: 'custom', path: ['plans', i, 'included', k], message: `no meter "${k}" on ${p.id}` });
      }
      for (const [k, pr] of Object.entries(pl.prices)) {
        if (!p.meters[k]) ctx.addIssue({ code: 'custom', path: ['plans', i, 'prices', k], message: `no meter "${k}" on ${p.id}` });
        needSource(pr.source, ['plans', i, 'prices', k, 'source']);
      }
      for (const [k, a] of Object.entries(pl.addons)) needSource(a.source, ['plans', i, 'addons', k, 'source']);
      if (pl.credit && pl.credit.applies_to !== 'all') {
        for (const k of pl.credit.applies_to) {
          if (!p.meters[k]) ctx.addIssue({ code: 'custom', path: ['plans', i, 'credit'], message: `no meter "${k}" on ${p.id}` });
        }
      }
    });
    for (const c of COMPLIANCE) {
      const f = p.compliance[c];
      if (!f) continue;
      if (f.status !== 'unknown' && !f.source) ctx.addIssue({ code: 'custom', path: ['compliance', c, 'source'], message: `a ${f.status} needs the vendor page it comes from` });
      if (f.source) needSource(f.source, ['compliance', c, 'source']);
      if (f.plan && !p.plans.some((pl) => pl.id === f.plan)) ctx.addIssue({ code: 'custom', path: ['compliance', c, 'plan'], message: `no plan "${f.plan}" on ${p.id}` });
    }
    if (p.regions.source) needSource(p.regions.source, ['regions', 'source']);
    const mat = p.maturity;
    if ((mat.stage !== 'unknown' || mat.since) && !mat.source) ctx.addIssue({ code: 'custom', path: ['maturity', 'source'], message: 'a maturity stage or date needs the vendor page it comes from' });
    if (mat.source) needSource(mat.source, ['maturity', 'source']);
    if (mat.roles_since && !mat.roles_since_source) ctx.addIssue({ code: 'custom', path: ['maturity', 'roles_since_source'], message: 'a date for some roles needs the vendor page it comes from' });
    if (mat.roles_since_source) needSource(mat.roles_since_source, ['maturity', 'roles_since_source']);
    if (mat.sla && !mat.sla_source) ctx.addIssue({ code: 'custom', path: ['maturity', 'sla_source'], message: 'an SLA needs the vendor page it comes from' });
    if (mat.sla_source) needSource(mat.sla_source, ['maturity', 'sla_source']);
    const ds = p.data_safety;
    if ((ds.managed !== undefined || ds.pitr !== undefined || ds.ha !== undefined) && !ds.source) ctx.addIssue({ code: 'custom', path: ['data_safety', 'source'], message: 'a data-safety fact needs the vendor page it comes from' });
    if (ds.source) needSource(ds.source, ['data_safety', 'source']);
    p.framework_adapters.forEach((a, i) => needSource(a.source, ['framework_adapters', i, 'source']));
    p.billed_through.forEach((a, i) => {
      needSource(a.source, ['billed_through', i, 'source']);
      if (p.provides.database === null) ctx.addIssue({ code: 'custom', path: ['billed_through', i], message: `${p.id} has no database for a host to bill` });
    });
    p.sign_in_partners.forEach((a, i) => {
      needSource(a.source, ['sign_in_partners', i, 'source']);
      needSource(a.partner_source, ['sign_in_partners', i, 'partner_source']);
      if (p.provides.auth === true) ctx.addIssue({ code: 'custom', path: ['sign_in_partners', i], message: `${p.id} has full sign-in of its own: a partner for it changes nothing` });
    });
    p.standalone.forEach((a, i) => {
      needSource(a.source, ['standalone', i, 'source']);
      if (!p.bundled.includes(a.role)) ctx.addIssue({ code: 'custom', path: ['standalone', i, 'role'], message: `${a.role} is not bundled: every role that is not works on its own already` });
    });
    if (p.self_hosting.available !== 'only' && p.plans.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['plans'], message: 'a hosted platform needs at least one plan' });
    }
  });
export type Platform = z.infer<typeof platform>;

export const catalogSchema = z
  .object({
    version: z.literal(1),
    assumptions: z
      .object({
        self_hosted_vm: z
          .object({
            label: z.string(),
            per: z.string(),
            source: z.string(),
            as_of: asOf,
            /** Server sizes, smallest first: a self-hosted stack rents the smallest that fits. */
            tiers: z.array(z.object({ id: z.string(), ram_gb: z.number().positive(), price: z.number().nonnegative(), label: z.string() }).strict()).min(1),
            /** Memory the workload adds on top of the platforms' own: database cache and request load. */
            sizing: z
              .object({ db_cache_share: z.number().nonnegative(), db_cache_max_gb: z.number().nonnegative(), gb_per_10m_requests: z.number().nonnegative(), label: z.string() })
              .strict(),
          })
          .strict(),
        /** The date the catalog's facts were last reviewed: years on the market are counted to it (never to today, so advise stays deterministic). */
        catalog_date: asOf,
        month_hours: z.number().positive(),
        days_per_month: z.number().positive(),
      })
      .strict(),
    platforms: z.array(platform).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.platforms.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['platforms', i, 'id'], message: `duplicate platform id ${p.id}` });
      seen.add(p.id);
    });
    // Platforms named by another platform's pairings exist and hold the role named.
    const byId = new Map(c.platforms.map((p) => [p.id, p]));
    c.platforms.forEach((p, i) => {
      p.sign_in_partners.forEach((a, j) => {
        if (byId.get(a.id)?.provides.auth !== true) ctx.addIssue({ code: 'custom', path: ['platforms', i, 'sign_in_partners', j, 'id'], message: `"${a.id}" is not a platform with sign-in in the catalog` });
      });
      p.billed_through.forEach((a, j) => {
        const host = byId.get(a.host);
        if (!host || host.provides.hosting === false) ctx.addIssue({ code: 'custom', path: ['platforms', i, 'billed_through', j, 'host'], message: `"${a.host}" is not a host in the catalog` });
      });
    });
  });
export type Catalog = z.infer<typeof catalogSchema>;

const cache = new Map<string, Catalog>();

/** Reads and validates the catalog once per file (from the build's snapshot when it matches, see data-snapshot.ts). */
export function loadCatalog(url: URL = CATALOG_URL, snapshots: string = SNAPSHOT_DIR): Catalog {
  const file = fileURLToPath(url);
  const hit = cache.get(file);
  if (hit) return hit;
  const catalog = withCompliancePlans(loadBundledYaml(catalogSchema, file, snapshots));
  cache.set(file, catalog);
  return catalog;
}

export function parseCatalogText(text: string, file?: string): Catalog {
  return withCompliancePlans(parseYamlWith(catalogSchema, text, file));
}

/**
 * One truth for compliance: a `yes` fact marks the plans that carry it (its `plan` and every
 * plan listed after it, or all plans), and an `addon` becomes that plan's add-on line, so the
 * cost engine prices exactly what the compliance facts say.
 */
function withCompliancePlans(catalog: Catalog): Catalog {
  for (const p of catalog.platforms) {
    for (const c of COMPLIANCE) {
      const f = p.compliance[c];
      if (f?.status !== 'yes') continue;
      const from = f.plan ? p.plans.findIndex((pl) => pl.id === f.plan) : 0;
      p.plans.forEach((pl, i) => {
        if (i < from) return;
        if (!pl.features.includes(c)) pl.features.push(c);
        if (f.addon && !pl.addons[c] && f.source) pl.addons[c] = { label: f.addon, source: f.source };
      });
    }
  }
  return catalog;
}

/** A compliance fact of a platform; a fact the catalog does not list is unknown. */
export function complianceFact(p: Platform, c: Compliance): ComplianceFact {
  return p.compliance[c] ?? { status: 'unknown' };
}

/** Looks a platform up by id or name; an unknown one is a usage error with a "did you mean". */
export function findPlatform(catalog: Catalog, name: string, flag = 'platform'): Platform {
  const key = name.trim().toLowerCase();
  const hit = catalog.platforms.find((p) => p.id === key || p.name.toLowerCase() === key);
  if (hit) return hit;
  const ids = catalog.platforms.map((p) => p.id);
  const guess = closest(key, ids);
  throw new UserError(`Unknown ${flag} "${name}"${guess ? ` (did you mean ${guess}?)` : ''}.`, {
    hint: `Known platforms: ${ids.join(', ')}.`,
  });
}

export function isSelfHostable(p: Platform): boolean {
  return p.self_hosting.available === true || p.self_hosting.available === 'only';
}

export function isSelfHostedOnly(p: Platform): boolean {
  return p.self_hosting.available === 'only';
}

export interface PriceRecord {
  platform: string;
  what: string;
  usd: number | 'unknown';
  source: string;
  as_of: string;
  date_kind: 'published' | 'retrieved' | 'assumption';
}

/** Every price in the catalog with its resolved source and date (what `baas cost --sources` shows). */
export function priceRecords(catalog: Catalog): PriceRecord[] {
  const out: PriceRecord[] = [];
  const vm = catalog.assumptions.self_hosted_vm;
  for (const t of vm.tiers) out.push({ platform: 'self-hosted', what: `${t.id} server, ${t.ram_gb} GB (${vm.per})`, usd: t.price, source: vm.source, as_of: vm.as_of, date_kind: 'assumption' });
  for (const p of catalog.platforms) {
    const rec = (what: string, usd: number | 'unknown', s: string): void => {
      const src = p.sources[s];
      out.push({ platform: p.id, what, usd, source: src ? sourceLabel(src) : '', as_of: src?.as_of ?? '', date_kind: src?.date_kind ?? 'published' });
    };
    for (const [id, m] of Object.entries(p.meters)) {
      if (m.price !== undefined) rec(`meter ${id}`, m.price, m.source);
      for (const t of m.tiers ?? []) rec(`meter ${id} up to ${t.up_to}`, t.price, m.source);
    }
    for (const pl of p.plans) {
      rec(`plan ${pl.id} base`, pl.base, pl.source);
      for (const [k, pr] of Object.entries(pl.prices)) {
        if (pr.price !== undefined) rec(`plan ${pl.id} ${k}`, pr.price, pr.source);
        for (const t of pr.tiers ?? []) rec(`plan ${pl.id} ${k} up to ${t.up_to}`, t.price, pr.source);
      }
      for (const [k, a] of Object.entries(pl.addons)) rec(`plan ${pl.id} add-on ${k}`, a.price ?? 'unknown', a.source);
    }
  }
  return out;
}
