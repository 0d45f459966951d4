import { z } from 'zod';
import { ConfigError, UserError, type ConfigIssue } from '../errors.js';
import { deriveUsage, usageFileSchema, type DerivedUsage, type UsageInput } from './usage.js';
import { readYamlFile, parseYamlWith } from './yaml-file.js';

/**
 * What a project needs, as `baas advise` reads it from flags, a YAML file or prompts.
 * One schema is the source of the type and of every default.
 */

export const STAGES = ['mvp', 'growth', 'scale'] as const;
export const APP_KINDS = ['web', 'mobile', 'saas', 'b2b-saas', 'api', 'internal', 'ecommerce', 'ai', 'game', 'iot', 'content'] as const;
/** The roles `decide` (`--only`) can name. */
export const DECIDE_ROLES = ['database', 'auth', 'compute', 'cache'] as const;
export const FRONTENDS = ['nextjs', 'react', 'vue', 'svelte', 'angular', 'static', 'react-native', 'flutter', 'mobile-native', 'none', 'other'] as const;
export const DATA_MODELS = ['relational', 'document', 'mixed', 'none'] as const;
export const API_STYLES = ['rest', 'graphql', 'rpc', 'sql', 'any'] as const;
export const SELF_HOSTING = ['required', 'preferred', 'any', 'no'] as const;
export const LOCK_IN = ['low', 'medium', 'high'] as const;
export const COMPLIANCE_NAMES = ['soc2', 'iso27001', 'hipaa', 'gdpr'] as const;
/**
 * Why a team is moving off a platform it runs today (`leaving.because`): the bill, being tied to
 * the vendor, outages or lost data, running it, speed, plan or scale limits, missing features,
 * the vendor's support, or a compliance need it cannot meet.
 */
export const LEAVE_REASONS = ['cost', 'lock_in', 'reliability', 'complexity', 'performance', 'limits', 'features', 'support', 'compliance'] as const;
export type LeaveReason = (typeof LEAVE_REASONS)[number];
/** How much of the product rests on a capability: `core` = it is the product, `some` = a part of it. */
export const LEVELS = ['none', 'some', 'core'] as const;
export type Level = (typeof LEVELS)[number];
export const FEATURES = ['realtime', 'offline_sync', 'vector_search', 'branching', 'scale_to_zero', 'cache', 'cache_ha', 'containers', 'functions', 'edge', 'file_storage'] as const;
export type Feature = (typeof FEATURES)[number];

const count = z.number().finite().nonnegative();
/** `true` reads as `some`, `false` as `none`: files written before levels existed keep their meaning. */
const level = z
  .union([z.boolean(), z.enum(LEVELS)])
  .default('none')
  .transform((v): Level => (v === true ? 'some' : v === false ? 'none' : v));

const roleIds = z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(50, 'at most 50 entries')]);

/**
 * A list where order does not matter and repeats mean nothing: repeats are dropped, and the
 * length is capped so a file of 20 000 `- hipaa` lines cannot blow up the planners.
 */
const set = <T extends z.ZodType>(item: T, max = 50) =>
  z
    .array(item)
    .max(max, `at most ${max} entries`)
    .transform((xs) => [...new Set(xs)] as z.output<T>[]);

export type CurrentRole = 'database' | 'auth' | 'compute' | 'cache';
/** A platform in use today: `all` = every role it can hold in a stack (`current: firebase`), else the roles named (`current: { auth: firebase }`). */
export interface CurrentPlatform {
  id: string;
  roles: CurrentRole[] | 'all';
  /** Named as `x:self`: the team runs it on its own servers today, so a role kept stays self-hosted. */
  self?: boolean;
}

/**
 * A platform named in `current` or `leaving`. `keycloak:self` (the notation advise's own stack
 * keys use for a self-hosted copy) names the platform itself; in `current`, `selfRef` also
 * records that the team runs that copy, so a role kept as it runs today stays on its servers.
 */
const platformRef = (id: string): string => id.trim().replace(/:self$/i, '');
const selfRef = (id: string): { self?: true } => (/:self$/i.test(id.trim()) ? { self: true } : {});

export const requirementsSchema = z
  .object({
    name: z.string().optional(),
    // Left out = not said: advise fills a default and lists it under "Assumptions".
    stage: z.enum(STAGES).optional(),
    team_size: z.number().int().min(1).max(100_000).optional(),
    app: z
      .object({
        kind: z.enum(APP_KINDS).optional(),
        /** No frontend given = none to host; advise does not invent one. */
        frontend: z.enum(FRONTENDS).optional(),
        // Unset: commercial, unless the budget is $0 (see fillDefaults).
        commercial: z.boolean().optional(),
      })
      .strict()
      .prefault({}),
    data: z
      .object({
        model: z.enum(DATA_MODELS).optional(),
        size_gb: count.max(1e7).optional(),
        files_gb: count.max(1e8).default(0),
      })
      .strict()
      .prefault({}),
    features: z
      .object({
        ...(Object.fromEntries(FEATURES.map((f) => [f, level])) as Record<Feature, typeof level>),
        api_style: z.enum(API_STYLES).default('any'),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** Left out: sign-in is assumed only when MAU, SSO or organisations are given. */
        needed: z.boolean().optional(),
        mau: count.max(1e10).optional(),
        enterprise_sso: z.boolean().default(false),
        organizations: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    traffic: z
      .object({
        requests_per_month: count.max(1e15).optional(),
        egress_gb: count.max(1e8).optional(),
        realtime_messages: count.max(1e15).optional(),
        function_invocations: count.max(1e14).optional(),
      })
      .strict()
      .prefault({}),
    constraints: z
      .object({
        /** Left out: `any`, except for an internal tool deciding only its sign-in (`fillDefaults`). */
        self_hosting: z.enum(SELF_HOSTING).optional(),
        budget_monthly: count.max(1e9).optional(),
        compliance: set(z.enum(COMPLIANCE_NAMES)).default([]),
        regions: set(z.string().min(2)).default([]),
        lock_in_tolerance: z.enum(LOCK_IN).optional(),
        ecosystem: set(z.string()).default([]),
        vm_price: count.max(1e6).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * What runs today: catalog ids of the platforms the product is on now (`current: firebase`,
     * a list, or by role: `current: { auth: firebase }`). Moving off them has a cost (data,
     * users and code to migrate); staying has none.
     */
    current: z
      .union([
        z.string().min(1),
        z.array(z.string().min(1)).min(1).max(50, 'at most 50 entries'),
        z.object({ database: z.string().min(1).optional(), auth: z.string().min(1).optional(), compute: z.string().min(1).optional(), cache: z.string().min(1).optional() }).strict(),
        // The parsed form itself, so a loaded file can be merged with flags and parsed again.
        z
          .array(z.object({ id: z.string().min(1), roles: z.union([z.literal('all'), z.array(z.enum(['database', 'auth', 'compute', 'cache']))]), self: z.boolean().optional() }).strict())
          .min(1)
          .max(50, 'at most 50 entries'),
      ])
      .transform((v): CurrentPlatform[] => {
        if (typeof v === 'string') return [{ id: platformRef(v), roles: 'all', ...selfRef(v) }];
        if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? { id: platformRef(x), roles: 'all', ...selfRef(x) } : { ...x, id: platformRef(x.id), ...selfRef(x.id) }));
        const byId = new Map<string, { roles: CurrentRole[]; self?: true }>();
        for (const [role, raw] of Object.entries(v)) {
          if (!raw) continue;
          const id = platformRef(raw);
          const had = byId.get(id);
          byId.set(id, { roles: [...(had?.roles ?? []), role as CurrentRole], ...(had?.self || selfRef(raw).self ? { self: true as const } : {}) });
        }
        return [...byId].map(([id, x]) => ({ id, ...x }));
      })
      .optional(),
    /**
     * Platforms in `current` the team has decided to move off, and why: `leaving: supabase`, a
     * list, or `{ platforms: [supabase], because: [cost, limits] }` (no platforms named = every
     * platform in `current`). A platform being left is not offered again for the roles it holds
     * today; the move off it is still weighed as migration work.
     */
    leaving: z
      .union([
        z.string().min(1),
        z.array(z.string().min(1)).min(1).max(50, 'at most 50 entries'),
        z.object({ platforms: set(z.string().min(1)).optional(), because: set(z.enum(LEAVE_REASONS), LEAVE_REASONS.length).default([]) }).strict(),
      ], { error: `a platform id, a list of ids, or { platforms: [ids], because: [reasons] } with reasons among ${LEAVE_REASONS.join(', ')}` })
      .transform((v): { platforms?: string[]; because: LeaveReason[] } =>
        typeof v === 'string'
          ? { platforms: [platformRef(v)], because: [] }
          : Array.isArray(v)
            ? { platforms: [...new Set(v.map(platformRef))], because: [] }
            : { ...v, ...(v.platforms ? { platforms: [...new Set(v.platforms.map(platformRef))] } : {}) },
      )
      .optional(),
    /**
     * Only these roles are being decided (`--only auth`: "which sign-in do we add?"). Every
     * other role stays on the platform `current` names for it, or is left out of the stacks and
     * of the judgement when nothing is named.
     */
    decide: set(z.enum(DECIDE_ROLES), 4)
      .refine((xs) => xs.length > 0, 'name at least one role: database, auth, compute or cache')
      .optional(),
    /**
     * Tenants the product serves. `shared`: one database for all (rows or schemas per tenant);
     * `database`: a database (or project) of its own for each, so per-project prices multiply.
     */
    tenants: z
      .object({ count: z.number().int().min(1).max(10_000_000), isolation: z.enum(['shared', 'database']).default('shared') })
      .strict()
      .optional(),
    /** Exact usage quantities; they win over what is derived from the fields above. */
    usage: usageFileSchema.optional(),
    /** Scenario files only: the stack an experienced engineer would pick, and why. Ignored by advise. */
    expect: z
      .object({ any_of: set(z.string()).pipe(z.array(z.string()).min(1)).optional(), none: z.boolean().optional(), conflict: set(z.string()).optional() })
      .strict()
      .optional(),
    why: z.string().optional(),
    /** Evaluation cases only: the public story the case was written from. Ignored by advise. */
    source: z
      .object({
        url: z.string().url(),
        title: z.string().min(1),
        /** The date the page states, or `undated`. */
        published: z.union([z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/), z.literal('undated')]),
        kind: z.enum(['vendor-story', 'team-writeup', 'decision-record']),
      })
      .strict()
      .optional(),
    /** Evaluation cases only: what the team actually chose, per role (a list = any of them). */
    chosen: z
      .object({
        stack: z.string().min(1),
        roles: z.object({ database: roleIds.optional(), auth: roleIds.optional(), compute: roleIds.optional(), cache: roleIds.optional() }).strict(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type Requirements = z.output<typeof requirementsSchema>;
export type RequirementsInput = z.input<typeof requirementsSchema>;

/** Reads and validates a requirements file; problems come back with their key path and line. */
export function loadRequirementsFile(file: string): Requirements {
  return readYamlFile(requirementsSchema, file, '--file');
}

/** Pure: requirements YAML text to the validated type (used by tests and the scenario runner). */
export function parseRequirementsText(text: string, file?: string): Requirements {
  return parseYamlWith(requirementsSchema, text, file);
}

/** Deep-merges flag values over file values (flags win), then validates once with defaults. */
export function resolveRequirements(fromFile: unknown, fromFlags: Record<string, unknown>, flagNames: Record<string, string> = {}): Requirements {
  const merged = deepMerge(isObject(fromFile) ? fromFile : {}, fromFlags);
  const parsed = requirementsSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const issues: ConfigIssue[] = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  const flag = first ? flagNames[first.path] : undefined;
  if (flag && first) {
    throw new UserError(`${flag}: ${first.message}.`, { hint: `Run \`baas advise --help\` for the accepted values of ${flag}.` });
  }
  throw new ConfigError('the requirements', issues);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] = isObject(cur) && isObject(v) ? deepMerge(cur, v) : v;
  }
  return out;
}

type Stage = (typeof STAGES)[number];

/** Requirements with every default filled in: what the planners work from. */
export type ResolvedRequirements = Omit<Requirements, 'stage' | 'team_size' | 'app' | 'data' | 'auth' | 'constraints'> & {
  stage: Stage;
  team_size: number;
  app: { kind: (typeof APP_KINDS)[number]; frontend: (typeof FRONTENDS)[number] | 'unspecified'; commercial: boolean };
  /** `unspecified`: a database is needed, but no data model is preferred (none is assumed). */
  data: { model: (typeof DATA_MODELS)[number] | 'unspecified'; size_gb: number; files_gb: number };
  auth: { needed: boolean; mau: number; enterprise_sso: boolean; organizations: boolean };
  constraints: Omit<Requirements['constraints'], 'self_hosting'> & { self_hosting: (typeof SELF_HOSTING)[number] };
};

/** The team assumed when the requirements give none: for a whole product, and for one deciding only its sign-in. */
export type AssumedTeam = { whole_product: number; sign_in_decision: number };

/** The self-hosting preference assumed when none is given, for an internal tool deciding only its sign-in. */
export type AssumedSelfHosting = { internal_sign_in_decision: 'any' | 'preferred' };

/**
 * Fills what the requirements leave out, and says so: every default becomes a line under
 * "Assumptions". Parts nobody asked for (a web frontend to host, user sign-in) are not added.
 * `mobileModel`: the data model a mobile app naming none is judged as keeping (the model itself
 * stays `unspecified`: nothing else reads it as said).
 */
export function fillDefaults(
  r: Requirements,
  assumedTeam: AssumedTeam,
  mobileModel: (typeof DATA_MODELS)[number] | 'unspecified' = 'unspecified',
  assumedSelfHosting: AssumedSelfHosting = { internal_sign_in_decision: 'any' },
): { requirements: ResolvedRequirements; assumptions: string[] } {
  const notes: string[] = [];
  const stage = r.stage ?? 'mvp';
  if (r.stage === undefined) notes.push('stage not given: mvp assumed (--stage)');
  // A product deciding only its sign-in exists and people run it (advisor-weights.yaml, `assumed_team`).
  const signInOnly = r.decide?.length === 1 && r.decide[0] === 'auth';
  const team = r.team_size ?? (signInOnly ? assumedTeam.sign_in_decision : assumedTeam.whole_product);
  if (r.team_size === undefined) {
    const who = team === 1 ? 'one person' : `a team of ${team}`;
    notes.push(signInOnly && team !== assumedTeam.whole_product ? `team size not given: ${who} assumed, since the product whose sign-in is decided already exists and people run it (--team)` : `team size not given: ${who} assumed (--team)`);
  }
  // A $0 budget with commercial use not stated: the team means to pay nothing, which is what the
  // free hobby plans are for (Vercel Hobby is for non-commercial use only). Said, never silent.
  const freeOnly = r.constraints.budget_monthly === 0;
  const commercial = r.app.commercial ?? !freeOnly;
  if (r.app.commercial === undefined && freeOnly) notes.push('commercial use not stated and the budget is $0: a non-commercial project assumed, so free hobby plans such as Vercel Hobby count (--commercial if it earns money)');
  const kind = r.app.kind ?? 'web';
  if (r.app.kind === undefined) notes.push('kind of app not given: web assumed (--kind)');
  const asked = r.auth.mau !== undefined || r.auth.enterprise_sso || r.auth.organizations;
  const needed = r.auth.needed ?? asked;
  // No data model given: a database only when something in the requirements keeps data. Sign-in
  // alone does not: a sign-in service keeps its users itself. It does when only some parts are
  // being decided (`decide`): the product beyond the decision keeps data of its own about them.
  const keepsData = storesData(r) || ((r.auth.needed === true || asked) && r.decide !== undefined);
  const model = r.data.model ?? (keepsData ? 'unspecified' : 'none');
  // A web or content site that keeps no data, signs nobody in and runs no code of its own is
  // the site itself: its pages are the one thing to host. Without one there is nothing to rank.
  const noCache = r.features.cache === 'none' && r.features.cache_ha === 'none';
  const siteOnly = r.app.frontend === undefined && !needed && model === 'none' && (kind === 'web' || kind === 'content') && !runsOwnCode(r) && noCache;
  const frontend = r.app.frontend ?? (siteOnly ? 'static' : 'unspecified');
  if (siteOnly) notes.push('no frontend given, and nothing else to run (no data, sign-in or functions): the site itself is assumed, a static frontend to host (--frontend)');
  else if (r.app.frontend === undefined) notes.push('no frontend given: no web hosting is added to the stack (--frontend to add one)');
  if (r.data.model === undefined && keepsData && isMobileApp({ app: { kind, frontend } }) && mobileModel !== 'unspecified') notes.push(`data model not given: a database is included, and a mobile app is judged as keeping ${mobileModel === 'document' ? 'documents (records per user, synced to the device)' : `${mobileModel} data`} (--data-model)`);
  else if (r.data.model === undefined) notes.push(keepsData ? 'data model not given: a database is included, with no model preferred (--data-model)' : 'data model not given and nothing asked for keeps data (data features, self-hosting, an app kind that stores records; sign-in alone is kept by its provider): no database assumed (--data-model to add one)');
  const size = r.data.size_gb ?? (model === 'none' ? 0 : DEFAULT_DB_GB[stage]);
  if (r.data.size_gb === undefined && model !== 'none') notes.push(`database size not given: ${DEFAULT_DB_GB[stage]} GB assumed for the ${stage} stage (--data-gb)`);
  if (r.auth.needed === undefined && !needed) notes.push('sign-in not mentioned: no user authentication assumed (--mau to add it)');
  const mau = r.auth.mau ?? (needed ? 1000 : 0);
  if (needed && r.auth.mau === undefined) notes.push('monthly active users not given: 1,000 assumed (--mau)');
  // Leaving a platform because of lock-in says how much lock-in the team will take next.
  const lockInLeaver = r.constraints.lock_in_tolerance === undefined && (r.leaving?.because.includes('lock_in') ?? false);
  if (lockInLeaver) notes.push('lock-in tolerance not given: low assumed, since lock-in is a reason for leaving (--lock-in)');
  else if (r.constraints.lock_in_tolerance === undefined) notes.push('lock-in tolerance not given: weighed between accepting medium and accepting high (--lock-in)');
  // Staff of an internal tool sign in through an identity server their organisation runs
  // (advisor-weights.yaml, `assumed_self_hosting`). Said, never silent.
  const staffSignIn = kind === 'internal' && signInOnly ? assumedSelfHosting.internal_sign_in_decision : 'any';
  const selfHosting = r.constraints.self_hosting ?? staffSignIn;
  if (r.constraints.self_hosting === undefined && staffSignIn !== 'any') notes.push(`self-hosting not given: ${staffSignIn} assumed, since staff of an internal tool usually sign in through an identity server their organisation runs (--self-host any to weigh nothing)`);
  return {
    requirements: {
      ...r,
      stage,
      team_size: team,
      app: { kind, frontend, commercial },
      data: { model, size_gb: size, files_gb: r.data.files_gb },
      auth: { needed, mau, enterprise_sso: r.auth.enterprise_sso, organizations: r.auth.organizations },
      constraints: { ...r.constraints, self_hosting: selfHosting, ...(lockInLeaver ? { lock_in_tolerance: 'low' as const } : {}) },
    },
    assumptions: notes,
  };
}

/**
 * The database size assumed when none is given, by stage: an MVP holds test data and its first
 * users' records (hundreds of megabytes); a growing product about ten gigabytes; at scale about
 * a hundred. One figure for every stage (1 GB, before round 12) overstated an MVP and
 * understated the rest.
 */
const DEFAULT_DB_GB: Record<Stage, number> = { mvp: 0.5, growth: 10, scale: 100 };

/** App kinds whose product is records kept for users (a SaaS, a shop, a mobile app): a database is implied. */
const DATA_KINDS = new Set(['mobile', 'saas', 'b2b-saas', 'internal', 'ecommerce', 'ai', 'game', 'iot']);

/** Something besides sign-in keeps data: a database is implied even when no model is given. */
function storesData(r: Requirements): boolean {
  const f = r.features;
  const dataFeatures = [f.realtime, f.offline_sync, f.vector_search, f.branching, f.file_storage].some((l) => l !== 'none');
  const currentDb = (r.current ?? []).some((c) => c.roles === 'all' || c.roles.includes('database'));
  // Self-hosting is asked of a backend, not of pages: a team that wants to run its own has one.
  const ownBackend = r.constraints.self_hosting === 'preferred' || r.constraints.self_hosting === 'required';
  return dataFeatures || ownBackend || r.data.size_gb !== undefined || r.tenants !== undefined || currentDb || DATA_KINDS.has(r.app.kind ?? 'web') || r.decide?.includes('database') === true;
}

const WEB_FRONTENDS = new Set(['nextjs', 'react', 'vue', 'svelte', 'angular', 'static', 'other']);
const MOBILE_FRONTENDS = new Set(['react-native', 'flutter', 'mobile-native']);

/** An app for phones: the kind says so, or its frontend is a mobile one. */
export function isMobileApp(r: { app: { kind: string; frontend: string } }): boolean {
  return r.app.kind === 'mobile' || MOBILE_FRONTENDS.has(r.app.frontend);
}

/** A web frontend the stack must host (not a mobile app, not one nobody mentioned). */
export function needsHosting(r: ResolvedRequirements): boolean {
  return WEB_FRONTENDS.has(r.app.frontend);
}

export function needsCompute(r: ResolvedRequirements): boolean {
  return needsHosting(r) || runsOwnCode(r);
}

/** Code of the product's own to run besides serving pages: functions, edge code, containers, an API. */
function runsOwnCode(r: { features: Requirements['features']; app: { kind?: Requirements['app']['kind'] } }): boolean {
  const f = r.features;
  return f.functions !== 'none' || f.edge !== 'none' || f.containers !== 'none' || r.app.kind === 'api';
}

/** Servers a self-hosted stack needs: one for an MVP, two for growth, three for HA at scale. */
export function selfHostedServers(r: ResolvedRequirements): number {
  const base = r.stage === 'mvp' ? 1 : r.stage === 'growth' ? 2 : 3;
  return r.features.cache_ha !== 'none' ? Math.max(3, base) : base;
}

/** The usage profile a set of requirements implies, with every assumption in words. */
export function usageFromRequirements(r: ResolvedRequirements): DerivedUsage {
  const notes: string[] = [];
  const f = r.features;
  const mau = r.auth.needed ? r.auth.mau : 0;
  let requests = r.traffic.requests_per_month;
  if (requests === undefined) {
    requests = Math.max(100_000, mau * 300);
    notes.push(`requests = ${requests.toLocaleString('en-US')}/month (300 per active user, at least 100k)`);
  }
  let egress = r.traffic.egress_gb;
  if (egress === undefined) {
    const kb = needsHosting(r) ? 50 : 10;
    egress = Math.round((requests * kb) / 1_000_000);
    notes.push(`egress = ${egress} GB/month (${kb} kB per request${kb === 50 ? '' : ': API responses, no pages served'})`);
  }
  let invocations = r.traffic.function_invocations;
  if (invocations === undefined) {
    invocations = f.functions !== 'none' || f.edge !== 'none' || r.app.frontend === 'nextjs' ? requests : 0;
    if (invocations > 0) notes.push('function invocations = requests (server-rendered or function-backed)');
  }
  const idle = f.scale_to_zero !== 'none';
  const compute = idle ? 180 : 730;
  notes.push(idle ? 'compute active 180 h/month (variable load, scales to zero)' : 'compute always on (730 h/month)');
  // A database that suspends itself when idle (Neon, after 5 minutes) runs only while traffic
  // comes in: an MVP's users keep it up about half the day, until a million requests a month
  // (one every 2.6 s) leave no idle gap.
  let active = compute;
  if (!idle && r.stage === 'mvp' && requests < 1_000_000 && r.data.model !== 'none') {
    active = 365;
    notes.push('a database that scales to zero runs 365 h/month (traffic about half the day)');
  }
  let realtime = 0;
  if (f.realtime !== 'none') {
    realtime = r.traffic.realtime_messages ?? requests;
    if (r.traffic.realtime_messages === undefined) notes.push('realtime messages = requests');
  }
  const ssoMau = r.auth.enterprise_sso ? Math.round(mau * 0.2) : 0;
  if (ssoMau > 0) notes.push('20% of active users sign in through enterprise SSO');
  const servers = selfHostedServers(r);
  // Tenants with a database each multiply per-project prices; shared tenancy is one project.
  const projects = r.tenants?.isolation === 'database' ? r.tenants.count : 1;
  if (projects > 1) notes.push(`${projects.toLocaleString('en-US')} separate databases (one per tenant)`);
  const input: UsageInput = {
    mau,
    sso_mau: ssoMau,
    db_gb: r.data.model === 'none' ? 0 : r.data.size_gb,
    storage_gb: r.data.files_gb,
    egress_gb: egress,
    requests,
    function_invocations: invocations,
    compute_hours: compute,
    active_hours: active,
    realtime_messages: realtime,
    seats: r.team_size,
    servers,
    projects,
    ...r.usage,
  };
  const derived = deriveUsage(input);
  return { usage: derived.usage, assumptions: [...notes, `self-hosted stacks run on ${servers} server${servers === 1 ? '' : 's'}`, ...derived.assumptions] };
}
