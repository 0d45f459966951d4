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
export const FRONTENDS = ['nextjs', 'react', 'vue', 'svelte', 'angular', 'static', 'react-native', 'flutter', 'mobile-native', 'none', 'other'] as const;
export const DATA_MODELS = ['relational', 'document', 'mixed', 'none'] as const;
export const API_STYLES = ['rest', 'graphql', 'rpc', 'sql', 'any'] as const;
export const SELF_HOSTING = ['required', 'preferred', 'any', 'no'] as const;
export const LOCK_IN = ['low', 'medium', 'high'] as const;
export const COMPLIANCE_NAMES = ['soc2', 'hipaa', 'gdpr'] as const;

const count = z.number().finite().nonnegative();

/**
 * A list where order does not matter and repeats mean nothing: repeats are dropped, and the
 * length is capped so a file of 20 000 `- hipaa` lines cannot blow up the planners.
 */
const set = <T extends z.ZodType>(item: T, max = 50) =>
  z
    .array(item)
    .max(max, `at most ${max} entries`)
    .transform((xs) => [...new Set(xs)] as z.output<T>[]);

export const requirementsSchema = z
  .object({
    name: z.string().optional(),
    stage: z.enum(STAGES).default('mvp'),
    team_size: z.number().int().min(1).max(100_000).default(1),
    app: z
      .object({
        kind: z.enum(APP_KINDS).default('web'),
        frontend: z.enum(FRONTENDS).default('react'),
        commercial: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    data: z
      .object({
        model: z.enum(DATA_MODELS).default('relational'),
        size_gb: count.max(1e7).default(1),
        files_gb: count.max(1e8).default(0),
      })
      .strict()
      .prefault({}),
    features: z
      .object({
        realtime: z.boolean().default(false),
        offline_sync: z.boolean().default(false),
        vector_search: z.boolean().default(false),
        branching: z.boolean().default(false),
        scale_to_zero: z.boolean().default(false),
        cache: z.boolean().default(false),
        cache_ha: z.boolean().default(false),
        containers: z.boolean().default(false),
        functions: z.boolean().default(false),
        edge: z.boolean().default(false),
        file_storage: z.boolean().default(false),
        api_style: z.enum(API_STYLES).default('any'),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        needed: z.boolean().default(true),
        mau: count.max(1e10).default(1000),
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
        self_hosting: z.enum(SELF_HOSTING).default('any'),
        budget_monthly: count.max(1e9).optional(),
        compliance: set(z.enum(COMPLIANCE_NAMES)).default([]),
        regions: set(z.string().min(2)).default([]),
        lock_in_tolerance: z.enum(LOCK_IN).default('medium'),
        ecosystem: set(z.string()).default([]),
        vm_price: count.max(1e6).optional(),
      })
      .strict()
      .prefault({}),
    /** Exact usage quantities; they win over what is derived from the fields above. */
    usage: usageFileSchema.optional(),
    /** Scenario files only: the stack an experienced engineer would pick, and why. Ignored by advise. */
    expect: z
      .object({ any_of: set(z.string()).pipe(z.array(z.string()).min(1)).optional(), none: z.boolean().optional(), conflict: set(z.string()).optional() })
      .strict()
      .optional(),
    why: z.string().optional(),
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

const WEB_FRONTENDS = new Set(['nextjs', 'react', 'vue', 'svelte', 'angular', 'static', 'other']);

/** What the stack must host: a web frontend, server functions, edge code, containers. */
export function needsHosting(r: Requirements): boolean {
  return WEB_FRONTENDS.has(r.app.frontend);
}

export function needsCompute(r: Requirements): boolean {
  return needsHosting(r) || r.features.functions || r.features.edge || r.features.containers || r.app.kind === 'api';
}

/** Servers a self-hosted stack needs: one for an MVP, two for growth, three for HA at scale. */
export function selfHostedServers(r: Requirements): number {
  const base = r.stage === 'mvp' ? 1 : r.stage === 'growth' ? 2 : 3;
  return r.features.cache_ha ? Math.max(3, base) : base;
}

/** The usage profile a set of requirements implies, with every assumption in words. */
export function usageFromRequirements(r: Requirements): DerivedUsage {
  const notes: string[] = [];
  const mau = r.auth.needed ? r.auth.mau : 0;
  let requests = r.traffic.requests_per_month;
  if (requests === undefined) {
    requests = Math.max(100_000, mau * 300);
    notes.push(`requests = ${requests.toLocaleString('en-US')}/month (300 per active user, at least 100k)`);
  }
  let egress = r.traffic.egress_gb;
  if (egress === undefined) {
    egress = Math.round((requests * 50) / 1_000_000);
    notes.push(`egress = ${egress} GB/month (50 kB per request)`);
  }
  let invocations = r.traffic.function_invocations;
  if (invocations === undefined) {
    invocations = r.features.functions || r.features.edge || r.app.frontend === 'nextjs' ? requests : 0;
    if (invocations > 0) notes.push('function invocations = requests (server-rendered or function-backed)');
  }
  const compute = r.features.scale_to_zero ? 180 : 730;
  notes.push(r.features.scale_to_zero ? 'compute active 180 h/month (variable load, scales to zero)' : 'compute always on (730 h/month)');
  let realtime = 0;
  if (r.features.realtime) {
    realtime = r.traffic.realtime_messages ?? requests;
    if (r.traffic.realtime_messages === undefined) notes.push('realtime messages = requests');
  }
  const ssoMau = r.auth.enterprise_sso ? Math.round(mau * 0.2) : 0;
  if (ssoMau > 0) notes.push('20% of active users sign in through enterprise SSO');
  const servers = selfHostedServers(r);
  const input: UsageInput = {
    mau,
    sso_mau: ssoMau,
    db_gb: r.data.model === 'none' ? 0 : r.data.size_gb,
    storage_gb: r.data.files_gb,
    egress_gb: egress,
    requests,
    function_invocations: invocations,
    compute_hours: compute,
    realtime_messages: realtime,
    seats: r.team_size,
    servers,
    ...r.usage,
  };
  const derived = deriveUsage(input);
  return { usage: derived.usage, assumptions: [...notes, `self-hosted stacks run on ${servers} server${servers === 1 ? '' : 's'}`, ...derived.assumptions] };
}
