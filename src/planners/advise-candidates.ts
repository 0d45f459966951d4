import { isSelfHostable, type Capability, type CapabilityName, type Catalog, type Platform } from './catalog.js';
import { onOwnServers, type Role, type StackMember } from './cost.js';
import { needsCompute, needsHosting, type ResolvedRequirements } from './requirements.js';
import type { Weights } from './advise-weights.js';

/**
 * Candidate generation for `baas advise`: the capabilities the requirements ask for, and every
 * distinct stack of catalog platforms that fills the roles they need.
 */

export const ROLE_ORDER: Role[] = ['database', 'auth', 'compute', 'cache'];

export const CAP_LABEL: Record<CapabilityName, string> = {
  auth: 'auth',
  storage: 'file storage',
  functions: 'server functions',
  edge: 'edge functions',
  hosting: 'web hosting',
  containers: 'containers',
  realtime: 'realtime',
  offline_sync: 'offline sync',
  vector_search: 'vector search',
  branching: 'branching / preview databases',
  scale_to_zero: 'scale to zero',
  cache: 'a cache',
  cache_ha: 'a highly available cache',
  enterprise_sso: 'enterprise SSO',
  organizations: 'organisations',
};

export interface Wanted {
  cap: CapabilityName;
  requirement: string;
  /** Which member must provide it; `any` = some member of the stack. */
  scope: Role | 'any';
  /** `core`: the product rests on it; `some`: a part of it. */
  level: 'some' | 'core';
  /** Missing it is a breach (not merely a lower score). */
  hard: boolean;
  /** The product is an API: the functions wanted are its server, which a container host runs as it runs any service. */
  server?: boolean;
  /** The data it must serve is relational: a database of another model provides it for its own model only (`capabilities.serves_own_model`). */
  relational?: boolean;
}

/** The weights' rules on what the requirements ask for (`capabilities` in the weights file). */
export type WantRules = Partial<Pick<Weights['capabilities'], 'buildable_when_some' | 'serves_own_model' | 'api_of_stated_functions'>>;

/**
 * The capabilities the requirements ask for, each tied to the requirement key that asked.
 * `buildable_when_some`: capabilities a team builds in its own code when it wants them only as a
 * part of the product (`some`): missing them lowers a stack's score but does not rule it out.
 * `serves_own_model`: database features that serve only the database's own data model (Firestore
 * syncs its documents offline): for relational data only a relational database provides them,
 * and missing them never rules a stack out. `api_of_stated_functions`: an API whose requirements
 * also state server functions is built of functions, not a server.
 */
export function wantedCapabilities(r: ResolvedRequirements, scope?: Record<Role, RoleScope>, rules: WantRules = {}): Wanted[] {
  const { buildable_when_some: buildable = [], serves_own_model: ownModel = [], api_of_stated_functions: statedFunctions = false } = rules;
  const w: Wanted[] = [];
  const f = r.features;
  const add = (cap: CapabilityName, requirement: string, scope: Role | 'any', level: 'some' | 'core', hard = true, extra: Pick<Wanted, 'server' | 'relational'> = {}): void =>
    void w.push({ cap, requirement, scope, level, hard, ...extra });
  const feature = (cap: CapabilityName, key: keyof typeof f, scope: Role | 'any', hard = true): void => {
    const v = f[key];
    if (v !== 'some' && v !== 'core') return;
    // Relational data and a feature a database offers for its own model only: where no relational
    // database offers it (offline sync), it is the team's own work on every stack, never a breach.
    if (scope === 'database' && r.data.model === 'relational' && ownModel.includes(cap)) add(cap, `features.${key}`, scope, v, false, { relational: true });
    else add(cap, `features.${key}`, scope, v, hard && !(v === 'some' && buildable.includes(cap)));
  };
  feature('realtime', 'realtime', 'database');
  feature('offline_sync', 'offline_sync', 'database');
  feature('vector_search', 'vector_search', 'database');
  feature('branching', 'branching', 'database');
  feature('scale_to_zero', 'scale_to_zero', 'database', false);
  feature('cache', 'cache', 'cache');
  feature('cache_ha', 'cache_ha', 'cache');
  feature('containers', 'containers', 'compute');
  // "The product is an API": its server code is the core of it, not a couple of functions on
  // the side (unless it runs in containers, which carry the compute themselves). It is a server
  // unless the requirements state functions as well: then it is built of functions.
  if (r.app.kind === 'api' && f.containers === 'none' && f.edge !== 'core') add('functions', 'app.kind (api)', 'compute', 'core', true, statedFunctions && f.functions !== 'none' ? {} : { server: true });
  else feature('functions', 'functions', 'compute');
  feature('edge', 'edge', 'compute');
  if (f.file_storage !== 'none') feature('storage', 'file_storage', 'any');
  else if (r.data.files_gb > 0) add('storage', 'data.files_gb', 'any', 'some');
  if (needsHosting(r)) add('hosting', `app.frontend (${r.app.frontend})`, 'compute', 'some');
  // The sign-in itself: a platform with only partial auth (Neon Auth) holds the role less well.
  if (r.auth.needed) add('auth', 'auth.needed', 'auth', 'some');
  if (r.auth.needed && r.auth.enterprise_sso) add('enterprise_sso', 'auth.enterprise_sso', 'auth', 'some');
  if (r.auth.needed && r.auth.organizations) add('organizations', 'auth.organizations', 'auth', 'some', false);
  // A role outside the decision holds nothing in these stacks: what it would provide is not judged.
  return scope ? w.filter((x) => x.scope === 'any' || scope[x.scope].kind !== 'out') : w;
}

export interface Candidate {
  key: string;
  members: StackMember[];
}

function modes(p: Platform): ('cloud' | 'self-hosted')[] {
  const out: ('cloud' | 'self-hosted')[] = [];
  if (p.plans.length > 0 && p.self_hosting.available !== 'only') out.push('cloud');
  if (isSelfHostable(p)) out.push('self-hosted');
  return out;
}

const has = (v: Capability): boolean => v !== false;

/** The platform can hold this role in a stack. */
export const canHold = (p: Platform, role: Role): boolean => {
  const c = p.provides;
  if (role === 'database') return c.database !== null;
  if (role === 'auth') return has(c.auth);
  if (role === 'compute') return has(c.hosting) || has(c.functions) || has(c.containers) || has(c.edge);
  if (role === 'cache') return has(c.cache);
  return has(c.storage);
};

function providers(catalog: Catalog, role: Role): { platform: Platform; mode: 'cloud' | 'self-hosted' }[] {
  return catalog.platforms.filter((p) => canHold(p, role)).flatMap((p) => modes(p).map((mode) => ({ platform: p, mode })));
}

/** The roles a stack must fill for these requirements. */
export function neededRoles(r: ResolvedRequirements): Record<Role, boolean> {
  return {
    database: r.data.model !== 'none',
    auth: r.auth.needed,
    compute: needsCompute(r),
    cache: r.features.cache !== 'none' || r.features.cache_ha !== 'none',
    storage: false,
  };
}

/**
 * What a stack may put in each role when only some roles are being decided (`decide`): the
 * roles asked about take any provider; every other needed role stays on the platform `current`
 * names for it (`keep`), or is out of the decision (`out`): left out of the stacks, and its
 * capabilities not judged. Without `decide`, every needed role is decided.
 */
export type RoleScope = { kind: 'decide' } | { kind: 'keep'; platform: Platform; self?: boolean } | { kind: 'out' };

export function decisionScope(catalog: Catalog, r: ResolvedRequirements): Record<Role, RoleScope> {
  const need = neededRoles(r);
  const scope = {} as Record<Role, RoleScope>;
  for (const role of [...ROLE_ORDER, 'storage'] as Role[]) {
    if (!r.decide || r.decide.includes(role as (typeof r.decide)[number]) || !need[role]) {
      scope[role] = { kind: 'decide' };
      continue;
    }
    // A platform named for this role (`{ id: vercel, roles: [compute] }`) wins over one read as holding every role.
    const today = [...(r.current ?? [])]
      .sort((a, b) => Number(a.roles === 'all') - Number(b.roles === 'all'))
      .filter((c) => c.roles === 'all' || (c.roles as string[]).includes(role))
      .map((c) => ({ c, p: catalog.platforms.find((p) => p.id === c.id) }))
      .find((x): x is { c: (typeof x)['c']; p: Platform } => x.p !== undefined && canHold(x.p, role));
    scope[role] = today ? { kind: 'keep', platform: today.p, ...(today.c.self ? { self: true } : {}) } : { kind: 'out' };
  }
  return scope;
}

/**
 * The roles each platform being left (`leaving`) holds today, where it is not offered again:
 * every role it can hold for `current: supabase`, the roles named for `current: { auth: x }`.
 * With `decide`, only the roles being decided move: `--only database --leaving supabase` moves
 * the data off Supabase while its sign-in stays.
 */
export function leftRoles(r: ResolvedRequirements): Map<string, Role[] | 'all'> {
  const out = new Map<string, Role[] | 'all'>();
  if (!r.leaving) return out;
  const ids = r.leaving.platforms ?? (r.current ?? []).map((c) => c.id);
  const decided = r.decide as Role[] | undefined;
  for (const c of r.current ?? []) {
    if (!ids.includes(c.id)) continue;
    const roles = c.roles === 'all' ? (decided ?? 'all') : c.roles.filter((role) => !decided || decided.includes(role));
    if (roles === 'all' || roles.length > 0) out.set(c.id, roles);
  }
  return out;
}

/** A vendor that does sign-in and nothing else a stack needs, and runs only as its own service (Clerk, Auth0). */
export const hostedSignInService = (p: Platform): boolean =>
  p.provides.auth === true && p.provides.database === null && !p.library && p.self_hosting.available === false;

/**
 * The hosted sign-in services not offered for sign-in because the team is moving off another
 * one (advisor-weights.yaml `leaving.same_kind_sign_in`): what drives a team off one is what
 * the kind shares. Empty unless a hosted sign-in service is being left in the auth role.
 */
export function sameKindLeft(catalog: Catalog, left: Map<string, Role[] | 'all'>, w: Weights): Platform[] {
  if (!w.leaving.same_kind_sign_in) return [];
  const leavingOne = [...left].some(([id, roles]) => {
    const p = catalog.platforms.find((x) => x.id === id);
    return p !== undefined && hostedSignInService(p) && (roles === 'all' || roles.includes('auth'));
  });
  return leavingOne ? catalog.platforms.filter((p) => hostedSignInService(p) && !left.has(p.id)) : [];
}

/** `left`, with the platforms `sameKindLeft` named left for sign-in as well. */
export const withKindLeft = (left: Map<string, Role[] | 'all'>, kind: Platform[]): Map<string, Role[] | 'all'> =>
  new Map([...left, ...kind.map((p): [string, Role[]] => [p.id, ['auth']])]);

/** The team is moving off this platform in this role: its hosted service (or its only form). */
export function isLeft(left: Map<string, Role[] | 'all'>, platform: Platform, mode: 'cloud' | 'self-hosted', role: Role): boolean {
  const roles = left.get(platform.id);
  if (!roles || (roles !== 'all' && !roles.includes(role))) return false;
  // `current` names the vendor's service: moving off Nhost's cloud leaves self-hosting Nhost open.
  const hosted = platform.self_hosting.available !== 'only';
  return hosted ? mode === 'cloud' : true;
}

/** The platform runs code you write on a server (not only static files). */
export const runsServerCode = (p: Platform): boolean => p.provides.functions !== false || p.provides.containers !== false || p.provides.edge !== false;

/** Every distinct stack that fills the roles the requirements need. */
export function candidateStacks(
  catalog: Catalog,
  r: ResolvedRequirements,
  scope: Record<Role, RoleScope> = decisionScope(catalog, r),
  left: Map<string, Role[] | 'all'> = leftRoles(r),
): Candidate[] {
  const need = neededRoles(r);
  const slots = ROLE_ORDER.map((role) => {
    if (!need[role]) return [null];
    const s = scope[role];
    if (s.kind === 'out') return [null];
    const all = providers(catalog, role)
      .filter((c) => !isLeft(left, c.platform, c.mode, role))
      .map((c) => ({ ...c, role }));
    if (s.kind === 'decide') return all;
    // A role kept as it runs today: that platform, hosted (`current` names the vendor's service),
    // or self-hosted when `current` says so (`supabase:self`) or that is the only way it runs.
    const kept = all.filter((c) => c.platform.id === s.platform.id);
    const want = s.self ? 'self-hosted' : 'cloud';
    // A platform whose sign-in lives in its own database (Supabase Auth in its Postgres) moves
    // as one deployment when the database is being decided: self-hosting Supabase takes its
    // sign-in, and what else stays on Supabase, along. The stack walk keeps one mode per
    // platform, and a role in the other mode only beside the platform's own database (`along`).
    if (s.platform.bundled.length > 0 && scope.database.kind === 'decide' && kept.some((c) => c.mode === want)) {
      return kept.map((c) => ({ ...c, along: c.mode !== want }));
    }
    return kept.some((c) => c.mode === want) ? kept.filter((c) => c.mode === want) : kept;
  });
  // Needed, but outside the decision and not named in current: the product's own, as it runs today.
  // A product that runs today (`current` names something) and decides only some parts has a
  // server and data of its own outside the decision, whether or not the requirements name them.
  const outsideDecision = (role: Role): boolean => Boolean(r.decide && !r.decide.includes(role as (typeof r.decide)[number]));
  const running = (role: Role): boolean => outsideDecision(role) && (r.current ?? []).length > 0;
  const database = need.database ? scope.database.kind === 'out' : running('database');
  // A data model the requirements give, for a database outside the decision, describes data the
  // product keeps today in a database of its own: code of its own works on it, on a server
  // outside the decision too (before round 27, only a product naming what it runs counted).
  const describedData = database && r.data.model !== 'unspecified' && outsideDecision('compute');
  const outside = { database, compute: (need.compute ? scope.compute.kind === 'out' : running('compute')) || describedData };
  const seen = new Set<string>();
  const out: Candidate[] = [];
  const walk = (i: number, picked: { platform: Platform; mode: 'cloud' | 'self-hosted'; role: Role; along?: boolean }[]): void => {
    if (i === slots.length) {
      const members: StackMember[] = [];
      const holdsDatabase = (id: string): boolean => picked.some((q) => q.platform.id === id && q.role === 'database');
      for (const p of picked) {
        // A kept role moves to the platform's other deployment only along with its database.
        if (p.along && !holdsDatabase(p.platform.id)) return;
        // Nhost auth without Nhost's database (and the like) is not a real option, unless the
        // vendor offers that role on its own too (catalog `standalone`: Supabase Auth).
        const bundled = (p.platform.bundled as readonly Role[]).includes(p.role) && !p.platform.standalone.some((x) => x.role === p.role);
        if (bundled && !holdsDatabase(p.platform.id)) return;
        // A library runs in your server code and keeps its data in your database: in the stack,
        // or, when only some roles are being decided, in the product's own outside the decision.
        const ownDatabase = picked.some((q) => q.role === 'database' && !q.platform.library) || outside.database;
        const ownServer = picked.some((q) => q.role === 'compute' && runsServerCode(q.platform)) || outside.compute;
        if (p.platform.library && !(ownDatabase && ownServer)) return;
        const m = members.find((x) => x.platform.id === p.platform.id);
        if (m) {
          if (m.mode !== p.mode) return; // one platform, one deployment mode
          m.roles.push(p.role);
        } else members.push({ platform: p.platform, mode: p.mode, roles: [p.role] });
      }
      if (members.length === 0) return;
      const key = stackKey(members);
      // The same platforms with roles split differently are different stacks; the ranking
      // keeps the best split of each set of platforms.
      const variant = members.map((m) => `${m.platform.id}/${m.mode}:${[...m.roles].sort().join(',')}`).sort().join(' ');
      if (seen.has(variant)) return;
      seen.add(variant);
      out.push({ key, members });
      return;
    }
    for (const choice of slots[i] ?? []) walk(i + 1, choice ? [...picked, choice] : picked);
  };
  walk(0, []);
  return out;
}

/** Canonical id of a set of platforms: sorted ids, `:self` marking a self-hosted copy of a hosted platform. */
export function stackKey(members: StackMember[]): string {
  return members
    .map((m) => `${m.platform.id}${m.mode === 'self-hosted' && m.platform.self_hosting.available !== 'only' ? ':self' : ''}`)
    .sort()
    .join('+');
}

/** The part of its platform a member uses: the catalog's name for it where the member holds that one role (`role_names`), else the platform's. */
export function partName(m: StackMember): string {
  const [only, ...more] = m.roles;
  return (only !== undefined && more.length === 0 ? m.platform.role_names?.[only] : undefined) ?? m.platform.name;
}

/** A member's name in a stack: the part it uses, and where it runs on your own servers. */
export function memberName(m: StackMember): string {
  const name = partName(m);
  return `${name}${onOwnServers(m) && !name.includes('self-hosted') ? ' (self-hosted)' : ''}`;
}

export function stackName(members: StackMember[]): string {
  const names = members.map(memberName);
  return names.length === 1 ? `${names[0]} only` : names.join(' + ');
}

export function holderOf(members: StackMember[], role: Role): StackMember | undefined {
  return members.find((m) => m.roles.includes(role));
}

export interface Provided {
  value: Capability;
  by: StackMember | undefined;
  /** The providing platform is built around this capability. */
  designed: boolean;
}

/** How a container host counts for functions: those on the side of a product, and an API product's server (`Wanted.server`). */
export interface ContainerCredit {
  functions: 'full' | 'partial' | 'none';
  server: 'designed_for' | 'full' | 'partial';
}

/** The weights' credit for a container host (`capabilities.container_runs_*`). */
export const containerCredit = (w: Weights): ContainerCredit => ({ functions: w.capabilities.container_runs_functions, server: w.capabilities.container_runs_api });

/** How a stack provides one wanted capability, and by which member. */
export function capabilityOf(members: StackMember[], w: Wanted, containers: ContainerCredit = { functions: 'partial', server: 'partial' }): Provided {
  const designed = (m: StackMember | undefined): boolean => Boolean(m?.platform.designed_for.includes(w.cap));
  if (w.scope === 'any') {
    let best: Provided = { value: false, by: undefined, designed: false };
    for (const m of members) {
      const v = m.platform.provides[w.cap];
      if (v === true && (best.value !== true || (designed(m) && !best.designed))) best = { value: true, by: m, designed: designed(m) };
      if (v === 'partial' && best.value === false) best = { value: 'partial', by: m, designed: false };
    }
    return best;
  }
  const m = holderOf(members, w.scope);
  if (!m) return { value: false, by: undefined, designed: false };
  const model = m.platform.provides.database?.model;
  if (w.relational && model !== undefined && model !== 'relational' && model !== 'mixed') return { value: false, by: m, designed: false };
  let v = m.platform.provides[w.cap];
  let built = v === true && designed(m);
  if (w.cap === 'functions' && v === false && m.platform.provides.containers === true && w.server && containers.server !== 'partial') {
    // The product is an API: its server is a service like any other, which is what a container
    // host runs; one built around containers (Railway) is built around running it.
    v = true;
    built = containers.server === 'designed_for' && m.platform.designed_for.includes('containers');
  } else if (w.cap === 'functions' && v === false && m.platform.provides.containers !== false && containers.functions !== 'none') {
    // A container host can run your functions.
    v = containers.functions === 'full' ? true : 'partial';
    built = v === true && designed(m);
  }
  let best: Provided = { value: v, by: m, designed: built };
  // Server code runs wherever the stack runs code: with Convex for the data and Vercel for the
  // pages, the functions are Convex's, whoever hosts the frontend.
  if (w.cap === 'functions') {
    const rank = (p: Provided): number => (p.value === true ? (p.designed ? 3 : 2) : p.value === 'partial' ? 1 : 0);
    for (const x of members) {
      const fv = x.platform.provides.functions;
      const cand: Provided = { value: fv, by: x, designed: fv === true && designed(x) };
      if (rank(cand) > rank(best)) best = cand;
    }
  }
  return best;
}
