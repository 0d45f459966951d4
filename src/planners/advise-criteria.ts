import { canHold, CAP_LABEL, capabilityOf, containerCredit, holderOf, memberName, neededRoles, partName, ROLE_ORDER, type Wanted } from './advise-candidates.js';
import { money, type Reason } from './advise-constraints.js';
import type { Weights } from './advise-weights.js';
import type { Platform } from './catalog.js';
import { onOwnServers, type StackCost, type StackMember } from './cost.js';
import { isMobileApp, needsHosting, STAGES, type CurrentRole, type ResolvedRequirements } from './requirements.js';

/**
 * The scored criteria of `baas advise`: capabilities (by level), data model, operational
 * simplicity, cost, lock-in, ecosystem, maturity and, when asked for, self-hosting and the
 * migration off what runs today. Each returns a 0..1 score with the reasons behind it, every one
 * tied to the requirement key that caused it.
 */

/** What the criteria need beyond the requirements and the stack. */
export interface ScoreContext {
  /** The catalog's review date: years on the market are counted to it. */
  catalogDate: string;
  /** The platforms in use today (`current`), resolved from the catalog. */
  current: { platform: Platform; roles: CurrentRole[] | 'all' }[];
  /** Working days to move from one platform to another (`baas plan migration`'s estimate, memoised by the caller). */
  migrationDays: (from: Platform, to: Platform) => number;
  /**
   * One part's maturity (`memberMaturity` at the catalog's date), memoised by the caller: the
   * maturity criterion and the tie line's track record both read it, for every candidate stack.
   */
  maturityOf: (m: StackMember) => { score: number; text: string };
  /**
   * The team is moving its compute off a host built for the app's server-rendered framework
   * (Vercel for Next.js): a host that runs the framework through its vendor's adapter then
   * stands where a container host does (advisor-weights.yaml `ecosystem.adapter_host_leaving`).
   */
  frameworkHostLeft: boolean;
}

export interface CriterionScore {
  id: string;
  label: string;
  weight: number;
  /** 0..1 */
  score: number;
  reasons: Reason[];
}

/**
 * The compute part only serves a static build: a web frontend that is not server-rendered, and
 * no functions, edge code, containers or API asked for. Any host serves it alike.
 */
export function servesStaticBuildOnly(r: ResolvedRequirements, w: Weights): boolean {
  const f = r.features;
  return needsHosting(r) && !w.ecosystem.server_rendered.includes(r.app.frontend) && f.functions === 'none' && f.edge === 'none' && f.containers === 'none' && r.app.kind !== 'api';
}

/** A tiny tool: a person or two, an MVP, few users and little data. */
export function isTiny(r: ResolvedRequirements, w: Weights): boolean {
  const t = w.simplicity.tiny;
  return r.stage === 'mvp' && r.team_size <= t.team_up_to && r.auth.mau <= t.mau_up_to && r.data.size_gb <= t.db_gb_up_to;
}

/**
 * Organisations that a platform only partly provides (catalog `organizations: partial`) whose
 * own database is SQL (model relational or mixed), wanted for relational data: they are tables of
 * orgs and members beside the product's own, kept apart by row-level security. It reads the
 * providing platform's database model, not which member of the stack holds the data.
 */
function orgsAsTables(r: ResolvedRequirements, x: Wanted, by: StackMember | undefined): boolean {
  const model = by?.platform.provides.database?.model;
  return x.cap === 'organizations' && r.data.model === 'relational' && (model === 'relational' || model === 'mixed');
}

/**
 * Realtime at the core of a product over relational data, from a platform built around live
 * queries over its own store whose joins are written in code (catalog `joins_in_code`: Convex).
 */
function liveOverJoinsInCode(r: ResolvedRequirements, x: Wanted, by: StackMember | undefined): boolean {
  return x.cap === 'realtime' && x.level === 'core' && r.data.model === 'relational' && by?.platform.provides.database?.joins_in_code === true;
}

function capabilities(r: ResolvedRequirements, members: StackMember[], wanted: Wanted[], w: Weights): CriterionScore {
  const reasons: Reason[] = [];
  let sum = 0;
  let total = 0;
  for (const x of wanted) {
    const weight = w.capabilities.level_weight[x.level];
    const credit = w.capabilities[x.level];
    const provided = capabilityOf(members, x, containerCredit(w));
    const { by, designed } = provided;
    // A host that only serves files (PocketBase's pb_public) serves a static build as well as any.
    const staticOnPartialHost = x.cap === 'hosting' && provided.value === 'partial' && w.capabilities.partial_host_static_build === 'full' && servesStaticBuildOnly(r, w);
    const value = staticOnPartialHost ? true : provided.value;
    total += weight;
    const note = by?.platform.notes[x.cap];
    const tag = x.level === 'core' ? ' (core)' : '';
    // The part that provides it, named as the stack's name names it.
    const who = by ? partName(by) : 'the stack';
    if (value === true) {
      // A commodity (plain sign-in, file storage, serving pages) is done alike by every
      // provider: full credit for all, no edge for a specialist.
      // Not when it is the whole question (`--only auth`): then how well a provider does
      // sign-in is what is being chosen, and a platform built around it has the edge.
      // The same when serving the site is all the requirements ask: no database, no sign-in,
      // nothing else wanted. Then how well a host serves sites is the whole question too.
      const onlyTheSite = x.cap === 'hosting' && wanted.length === 1 && r.data.model === 'none' && !r.auth.needed;
      const whole = onlyTheSite || (r.decide?.length === 1 && ((x.cap === 'auth' && r.decide[0] === 'auth') || (x.cap === 'hosting' && r.decide[0] === 'compute')));
      const commodity = x.level === 'some' && w.capabilities.commodity.includes(x.cap) && !whole;
      // Live queries over a store with joins in code, for relational data at the core: the
      // platform is built around them, but the product's tables become its documents.
      const overJoins = designed && liveOverJoinsInCode(r, x, by);
      const c = overJoins ? credit[w.capabilities.realtime_joins_in_code] : designed || commodity ? credit.designed_for : credit.full;
      sum += weight * c;
      const how = overJoins ? `${who} is built around it for its own documents, with joins written in code` : designed ? `${who} is built around it` : who;
      const enough = staticOnPartialHost ? ', all a static build needs' : '';
      reasons.push({ requirement: x.requirement, effect: c >= 1 ? 'pro' : 'note', text: `${CAP_LABEL[x.cap]}${tag}: ${how}${note ? ` (${note}${enough})` : enough}` });
    } else if (value === 'partial' && orgsAsTables(r, x, by)) {
      // Organisations a platform with a SQL database leaves to you, for relational data: tables
      // of orgs and members under row-level security, which is how those teams build them.
      sum += weight * w.capabilities.organizations_as_tables;
      reasons.push({ requirement: x.requirement, effect: 'note', text: `${CAP_LABEL[x.cap]}${tag}: as tables of your own in ${who}'s database${note ? ` (${note})` : ''}` });
    } else if (value === 'partial') {
      // A database's own partial sign-in (Convex Auth, Neon Auth) earns less than other partial
      // features: teams on those databases mostly put a sign-in product or library beside it.
      sum += weight * (x.cap === 'auth' ? w.capabilities.partial_sign_in : credit.partial);
      reasons.push({ requirement: x.requirement, effect: 'con', text: `${CAP_LABEL[x.cap]}${tag}: only partly, ${who}${note ? ` (${note})` : ''}` });
    } else if (x.relational && by?.platform.provides[x.cap] === true) {
      reasons.push({ requirement: x.requirement, effect: 'con', text: `${CAP_LABEL[x.cap]}${tag}: ${by.platform.name} offers it for its ${by.platform.provides.database?.model ?? ''} model, not for relational data, so it is yours to build` });
    } else if (x.relational) {
      reasons.push({ requirement: x.requirement, effect: 'con', text: `${CAP_LABEL[x.cap]}${tag}: missing for relational data, so it is yours to build (a local store in the client that syncs with the database)` });
    } else {
      reasons.push({ requirement: x.requirement, effect: 'con', text: `${CAP_LABEL[x.cap]}${tag}: missing${x.hard ? '' : ', so it is yours to build (wanted as a part of the product, it does not rule the stack out)'}` });
    }
  }
  const style = r.features.api_style;
  if (style !== 'any') {
    const weight = w.capabilities.api_style_weight;
    total += weight;
    const m = members.find((y) => y.platform.provides.api.includes(style));
    if (m) {
      sum += weight;
      reasons.push({ requirement: 'features.api_style', effect: 'pro', text: `${style.toUpperCase()} API: ${m.platform.name}` });
    } else reasons.push({ requirement: 'features.api_style', effect: 'con', text: `no ${style.toUpperCase()} API out of the box` });
  }
  return { id: 'capabilities', label: 'Capabilities', weight: w.criteria.capabilities, score: total === 0 ? 1 : sum / total, reasons };
}

function dataModel(r: ResolvedRequirements, members: StackMember[], w: Weights): CriterionScore {
  const reasons: Reason[] = [];
  let score = 1;
  const db = holderOf(members, 'database');
  // A mobile app that names no model is judged as keeping what mobile backends keep (data.mobile_unspecified).
  const want = r.data.model === 'unspecified' && isMobileApp(r) ? w.data.mobile_unspecified : r.data.model;
  if (want === 'unspecified') reasons.push({ requirement: 'data.model', effect: 'note', text: 'no data model given: every model fits' });
  else if (want !== 'none' && db?.platform.provides.database) {
    const { model: have, engine, joins_in_code, documents_by_key } = db.platform.provides.database;
    score = w.data.fit[want][have];
    // Documents on a relational platform that also keeps values by key (data.documents_by_key):
    // kept whole as JSON by key, with less reshaping than tables.
    const byKey = want === 'document' && documents_by_key === true && w.data.documents_by_key > score;
    if (byKey) score = w.data.documents_by_key;
    const said = r.data.model === 'unspecified' ? ' (assumed for a mobile app)' : '';
    // Relational data on a database without SQL (data.joins_in_code): its joins are the team's code.
    const inCode = want === 'relational' && joins_in_code === true && score >= 1;
    if (inCode) score *= w.data.joins_in_code;
    let text = `${want} data on ${db.platform.name}'s ${have} model (${engine}) means reshaping it`;
    if (score >= 1) text = `${want} data fits ${db.platform.name} (${engine}, ${have})`;
    else if (inCode) text = `${want} data on ${db.platform.name} (${engine}, ${have}) with no SQL: joins and aggregates are written in its functions' code`;
    else if (byKey) text = `${want} data on ${db.platform.name} kept as JSON by key in its key-value store beside its ${have} model (${engine}): read and written whole, queried by key only`;
    reasons.push({ requirement: 'data.model', effect: score >= 1 ? 'pro' : 'con', text: text + said });
    if (db.platform.single_node && r.data.size_gb > w.data.single_node_large_gb) {
      score *= w.data.single_node_large_factor;
      reasons.push({ requirement: 'data.size_gb', effect: 'con', text: `${r.data.size_gb} GB on a single-server database` });
    }
  }
  return { id: 'data', label: 'Data model', weight: w.criteria.data, score, reasons };
}

/**
 * The database and the host of a stack when the host's marketplace creates that database and
 * bills it on the host's account (catalog `billed_through`).
 */
export function billedThroughHost(members: StackMember[]): { database: StackMember; host: StackMember } | undefined {
  const database = holderOf(members, 'database');
  const host = holderOf(members, 'compute');
  if (!database || !host || database === host) return undefined;
  return database.platform.billed_through.some((b) => b.host === host.platform.id) ? { database, host } : undefined;
}

/**
 * The database and the sign-in of a stack when they are a documented pair: the database's own
 * sign-in is partial or missing, and its vendor and the sign-in's both document the pairing
 * (catalog `sign_in_partners`).
 */
export function signInPartner(members: StackMember[]): { database: StackMember; auth: StackMember } | undefined {
  const database = holderOf(members, 'database');
  const auth = holderOf(members, 'auth');
  if (!database || !auth || database === auth || database.platform.provides.auth === true) return undefined;
  return database.platform.sign_in_partners.some((p) => p.id === auth.platform.id) ? { database, auth } : undefined;
}

function simplicity(r: ResolvedRequirements, members: StackMember[], w: Weights): CriterionScore {
  const s = w.simplicity;
  const reasons: Reason[] = [];
  let score = 1;
  // A sign-in library is code in your own app, not a service to integrate and pay: its cost is
  // its upkeep (`library_upkeep`, below).
  const vendors = members.filter((m) => !m.platform.library).length;
  if (vendors > 1) {
    const partner = signInPartner(members);
    const billed = billedThroughHost(members);
    score -= (vendors - 1 - (partner ? s.sign_in_partner : 0) - (billed ? s.billed_through_host : 0)) * s.vendor_step[r.stage];
    reasons.push({ requirement: 'stage', effect: vendors > 2 ? 'con' : 'note', text: `${vendors} services to integrate and pay at the ${r.stage} stage` });
    if (partner && s.sign_in_partner > 0) {
      reasons.push({ requirement: 'stage', effect: 'pro', text: `${partner.auth.platform.name} is the sign-in ${partner.database.platform.name} documents, and ${partner.auth.platform.name} documents ${partner.database.platform.name}: built to work together` });
    }
    if (billed && s.billed_through_host > 0) {
      reasons.push({ requirement: 'stage', effect: 'pro', text: `${partName(billed.database)} is created and billed through ${partName(billed.host)}'s marketplace: one account and one bill` });
    }
  } else if (vendors === 1) {
    reasons.push({ requirement: 'stage', effect: 'pro', text: 'one service to learn, bill and secure' });
  }
  // A library (auth in your own code) runs on no server of its own.
  const selfHosted = members.filter(onOwnServers);
  if (selfHosted.length > 0) {
    const wants = r.constraints.self_hosting === 'required' || r.constraints.self_hosting === 'preferred';
    const t = r.team_size;
    let pen = s.self_hosted_penalty.find((x) => t <= x.team_up_to)?.penalty ?? 0;
    if (r.stage === 'mvp') pen += s.mvp_self_hosted_extra;
    if (wants) pen *= s.wanted_self_hosting_factor;
    pen *= 1 + s.extra_self_hosted_service * (selfHosted.length - 1);
    score -= pen;
    if (pen > 0) reasons.push({ requirement: 'team_size', effect: 'con', text: `a team of ${t} runs ${selfHosted.length === 1 ? 'the servers' : `${selfHosted.length} self-hosted services`} (upgrades, backups, on-call)` });
    else reasons.push({ requirement: 'team_size', effect: 'pro', text: `a team of ${t} can carry its own servers` });
    const only = selfHosted[0];
    if (wants && members.length === 1 && only?.platform.single_node && isTiny(r, w)) {
      score += s.tiny.single_binary_bonus;
      reasons.push({ requirement: 'team_size', effect: 'pro', text: `${only.platform.name} is one binary on one small server: little to run for a tiny tool` });
    }
  }
  // A backend platform (one with a database of its own) that holds only the sign-in: a whole
  // project (console, keys, rules, SDK, bill) kept for one feature; one whose sign-in lives in
  // that database (catalog `bundled`, offered alone through `standalone`) keeps it running too.
  for (const m of members.filter((x) => x.platform.provides.database !== null && x.roles.length === 1 && x.roles[0] === 'auth')) {
    const inOwnDatabase = m.platform.bundled.includes('auth');
    score -= s.backend_for_sign_in + (inOwnDatabase ? s.bundled_sign_in_alone : 0);
    if (s.backend_for_sign_in > 0) reasons.push({ requirement: 'stage', effect: 'con', text: `${m.platform.name} holds only the sign-in: a whole backend project kept for one feature${inOwnDatabase ? ', with a database of its own that holds the users' : ''}` });
  }
  // A backend platform whose own sign-in keeps its users in its database (catalog `bundled`),
  // holding the database while another sign-in holds the users: its data API, access rules and
  // SDK are built on its own sign-in, so the other one is wired into them or the platform
  // serves as a plain database.
  const signIn = holderOf(members, 'auth');
  const data = holderOf(members, 'database');
  if (s.sign_in_elsewhere > 0 && signIn && data && data !== signIn && data.platform.provides.auth === true && data.platform.bundled.includes('auth')) {
    score -= s.sign_in_elsewhere;
    reasons.push({ requirement: 'stage', effect: 'con', text: `${data.platform.name} holds the data and ${signIn.platform.name} the users: ${data.platform.name}'s own sign-in, on which its data API and access rules are built, goes unused` });
  }
  // In a server-rendered framework's own server code (Next.js), the library is the framework's
  // usual way to sign users in, and its upkeep is less (`library_upkeep_server_rendered`).
  const inFramework = w.ecosystem.server_rendered.includes(r.app.frontend);
  for (const m of members.filter((x) => x.platform.library)) {
    score -= inFramework ? s.library_upkeep_server_rendered : s.library_upkeep;
    reasons.push({ requirement: 'stage', effect: 'con', text: `${m.platform.name}: sign-in flows, emails and security updates are code you keep up${inFramework ? `, in ${r.app.frontend}'s own server code` : ''}` });
  }
  for (const m of members) {
    if (m.platform.single_node && r.stage !== 'mvp') {
      score -= r.stage === 'scale' ? s.single_node_scale : s.single_node_growth;
      reasons.push({ requirement: 'stage', effect: 'con', text: `${m.platform.name} runs on one server: no high availability` });
    }
  }
  if (r.stage === 'scale' && r.auth.needed) {
    const auth = holderOf(members, 'auth');
    if (auth && auth.platform.provides.enterprise_sso === true && auth.platform.provides.organizations === true) {
      reasons.push({ requirement: 'stage', effect: 'pro', text: `${auth.platform.name} covers enterprise identity as you scale` });
    }
  }
  return { id: 'simplicity', label: 'Operational simplicity', weight: w.criteria.simplicity, score: Math.max(0, Math.min(1, score)), reasons };
}

function cost(r: ResolvedRequirements, c: StackCost, w: Weights): CriterionScore {
  const reasons: Reason[] = [];
  const total = c.knownTotal;
  const budget = r.constraints.budget_monthly;
  let score: number;
  const unknown = c.hasUnknown ? ' + unknown' : '';
  if (budget !== undefined) {
    if (total <= budget) score = budget === 0 ? 1 : 1 - (w.cost.within_slope * total) / budget;
    else score = budget === 0 ? w.cost.over_start / (1 + total / w.cost.reference[r.stage]) : (w.cost.over_start * budget) / total;
    reasons.push({ requirement: 'constraints.budget_monthly', effect: total > budget ? 'con' : 'pro', text: `${money(total)}/month${unknown} against a ${money(budget)} budget` });
  } else {
    // A bill within what is normal for the stage (cost.negligible) does not decide between stacks,
    // unless the project is non-commercial: paid out of someone's pocket, its bill counts sooner.
    const band = r.app.commercial ? w.cost.negligible[r.stage] : w.cost.negligible_non_commercial;
    score = 1 / (1 + Math.max(0, total - band) / w.cost.reference[r.stage]);
    reasons.push({ requirement: 'stage', effect: 'note', text: `${money(total)}/month${unknown} at your usage` });
  }
  if (c.hasUnknown) {
    score *= w.cost.unknown_price_factor;
    reasons.push({ requirement: 'usage', effect: 'con', text: 'part of the price is not confirmed (see warnings)' });
  } else {
    // Within the allowances today, but the price of growing past them is not published.
    const unpriced = c.members.filter((m) => m.mode === 'cloud' && m.lines.some((l) => l.usageBased && l.price === null));
    if (unpriced.length > 0) {
      score *= w.cost.unpriced_growth_factor;
      // Named either way; a con only while the weights dock it.
      reasons.push({ requirement: 'usage', effect: w.cost.unpriced_growth_factor < 1 ? 'con' : 'note', text: `${unpriced.map((m) => m.name).join(', ')}: usage beyond the allowance has no published price` });
    }
  }
  return { id: 'cost', label: 'Cost', weight: w.criteria.cost, score, reasons };
}

function lockIn(r: ResolvedRequirements, members: StackMember[], w: Weights): CriterionScore {
  const reasons: Reason[] = [];
  const tol = r.constraints.lock_in_tolerance;
  // The stickiest part decides: adding an open-source part does not make leaving Firebase easier.
  let worst = 1;
  // A part that only serves a static build (no functions, edge code or containers asked for)
  // holds nothing that ties you to it: the files run on any host.
  const staticHostOnly = (m: StackMember): boolean => servesStaticBuildOnly(r, w) && m.roles.every((role) => role === 'compute');
  const order = ['low', 'medium', 'high'] as const;
  for (const m of members) {
    if (m.mode === 'cloud' && m.platform.lock_in !== 'low' && staticHostOnly(m)) {
      reasons.push({ requirement: 'constraints.lock_in_tolerance', effect: 'note', text: `${partName(m)} only serves the static build: nothing to move but files` });
      continue;
    }
    // The stickiest of the roles it holds here: Firebase holding only sign-in is as easy to
    // leave as its account export makes it, not as hard as Firestore.
    const byRole = m.roles.map((role) => (role === 'storage' ? undefined : m.platform.lock_in_by_role[role]) ?? m.platform.lock_in);
    const level = m.mode === 'self-hosted' ? 'low' : byRole.reduce((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a), 'low' as (typeof order)[number]);
    worst = Math.min(worst, w.lock_in.fit[tol ?? 'unstated'][level]);
    if (level !== 'low') reasons.push({ requirement: 'constraints.lock_in_tolerance', effect: level === 'high' ? 'con' : 'note', text: `${partName(m)}: ${level} lock-in (${tol ? `you accept ${tol}` : 'no tolerance given'})` });
  }
  if (worst === 1) reasons.push({ requirement: 'constraints.lock_in_tolerance', effect: 'pro', text: 'open source or standard Postgres/Docker: easy to leave' });
  return { id: 'lock_in', label: 'Lock-in', weight: w.criteria.lock_in, score: worst, reasons };
}

/** A platform that hosts a framework first-class: it lists the framework and no adapter for it (Vercel for Next.js). */
export function hostsFirstClass(p: Platform, framework: string): boolean {
  return p.ecosystems.includes(framework) && !p.framework_adapters.some((a) => a.framework === framework);
}

function ecosystem(r: ResolvedRequirements, members: StackMember[], w: Weights, ctx: ScoreContext): CriterionScore {
  const reasons: Reason[] = [];
  const wantedTags = new Set(r.constraints.ecosystem.map((e) => e.toLowerCase()));
  if (['nextjs', 'react', 'vue', 'svelte', 'flutter'].includes(r.app.frontend)) wantedTags.add(r.app.frontend);
  if (isMobileApp(r)) wantedTags.add('mobile');
  let hit = 0;
  // A server-rendered frontend runs where the stack hosts it (most of the weight); first-class
  // SDKs in the backend parts count for the rest. A static build runs on any host, so its tag,
  // like every other tag, may come from any part.
  const host = needsHosting(r) && w.ecosystem.server_rendered.includes(r.app.frontend) ? holderOf(members, 'compute') : undefined;
  const share = w.ecosystem.host_share;
  // A static build runs on any host alike: its framework counts only in the parts the app
  // talks to (SDKs of the database and auth), never in whoever serves the files.
  const staticFrontend = needsHosting(r) && !host ? r.app.frontend : undefined;
  const backendParts = members.filter((x) => x.roles.some((role) => role !== 'compute'));
  let judged = 0;
  for (const tag of wantedTags) {
    const requirement = r.constraints.ecosystem.includes(tag) ? 'constraints.ecosystem' : 'app.frontend';
    if (tag === staticFrontend) {
      // Only parts the browser talks to need an SDK for the framework: a database behind your
      // own API (D1 behind a Worker, Postgres behind a container) is reached with fetch.
      const browserFacing = backendParts.filter((x) => x.platform.ecosystems.includes('web') || x.platform.ecosystems.includes(tag));
      if (browserFacing.length === 0) {
        reasons.push({ requirement, effect: 'note', text: `${tag}: the app calls its own API, so any framework fits (a static build runs on any host)` });
        continue;
      }
      judged++;
      const sdk = browserFacing.filter((x) => x.platform.ecosystems.includes(tag));
      if (sdk[0]) {
        hit++;
        reasons.push({ requirement, effect: 'pro', text: `${tag} SDKs: ${sdk.map((x) => x.platform.name).join(', ')} (a static build runs on any host)` });
      } else {
        hit += w.ecosystem.web_sdk_credit;
        reasons.push({ requirement, effect: 'note', text: `${tag}: ${browserFacing.map((x) => x.platform.name).join(', ')} through the plain browser SDK, no ${tag} bindings (a static build runs on any host)` });
      }
      continue;
    }
    judged++;
    const fits = members.filter((x) => x.platform.ecosystems.includes(tag));
    if (host && tag === r.app.frontend) {
      // A vendor-maintained adapter runs the framework's features with a deploy built for it.
      // Where a host lists one, that is how it serves the framework: its ecosystem tag for the
      // framework then names a client SDK (Appwrite's Next.js quick start), not first-class hosting.
      const adapter = host.platform.framework_adapters.find((a) => a.framework === tag);
      const onHost = hostsFirstClass(host.platform, tag);
      // A container host runs the framework's own Node server, which serves every feature.
      const nodeServer = !onHost && !adapter && host.platform.provides.containers !== false;
      // Once the team leaves the host built for the framework, an adapter runs it as a container does.
      const adapterCredit = ctx.frameworkHostLeft ? w.ecosystem.adapter_host_leaving : w.ecosystem.adapter_host;
      const hostCredit = onHost ? 1 : adapter ? adapterCredit : nodeServer ? w.ecosystem.node_server_host : 0;
      const backend = fits.filter((x) => x !== host);
      // The app's pages in the browser talk to a backend part through its plain browser SDK
      // where it has no bindings for the framework: most of the job, as for a static build.
      const browserSdk = members.filter((x) => x !== host && !fits.includes(x) && x.platform.ecosystems.includes('web'));
      const others = members.filter((x) => x !== host).length;
      // When the host holds every role, it answers for the backend share as well.
      const sdkParts = backend.length + w.ecosystem.web_sdk_credit * browserSdk.length;
      hit += share * hostCredit + (others > 0 ? ((1 - share) * sdkParts) / others : (1 - share) * hostCredit);
      if (onHost) reasons.push({ requirement, effect: 'pro', text: `${tag}: ${partName(host)} hosts it first-class` });
      else if (adapter) reasons.push({ requirement, effect: adapterCredit > 0 ? 'note' : 'con', text: `${tag}: ${partName(host)} runs it through an adapter its vendor maintains (${adapter.note.split(';')[0]})` });
      else if (nodeServer) reasons.push({ requirement, effect: 'note', text: `${tag}: ${partName(host)} runs its Node server in a container (every feature, no framework-specific integration)` });
      else reasons.push({ requirement, effect: 'con', text: `${tag}: ${partName(host)} is not built around it` });
      if (backend.length > 0) reasons.push({ requirement, effect: 'pro', text: `${tag} SDKs: ${backend.map((x) => x.platform.name).join(', ')}` });
      if (browserSdk.length > 0) reasons.push({ requirement, effect: 'note', text: `${tag}: ${browserSdk.map((x) => x.platform.name).join(', ')} through the plain browser SDK, no ${tag} bindings` });
    } else if (fits[0]) {
      hit++;
      reasons.push({ requirement, effect: 'pro', text: `${tag}: ${fits[0].platform.name} is built for it` });
    } else reasons.push({ requirement, effect: 'con', text: `${tag}: no first-class support in this stack` });
  }
  return { id: 'ecosystem', label: 'Ecosystem', weight: w.criteria.ecosystem, score: judged ? hit / judged : 1, reasons };
}

const monthIndex = (date: string): number => {
  const [y, m] = date.split('-').map(Number);
  return (y ?? 0) * 12 + ((m ?? 1) - 1);
};

/**
 * One part's maturity, 0..1, and why: production readiness, track record, SLA (cloud only).
 * `tiny`: the requirements are a tiny tool's (`isTiny`), which is not the production-critical
 * use a vendor's pre-release warning is about, so the warning weighs `pre_ga_tiny` there.
 */
export function memberMaturity(m: StackMember, catalogDate: string, w: Weights, tiny = false): { score: number; text: string } {
  const mat = m.platform.maturity;
  const wm = w.maturity;
  const preGa = tiny ? wm.pre_ga_tiny : wm.pre_ga;
  // Named as in the stack's name: the part it uses ("Cloudflare Workers"), whose date this may be.
  const name = memberName(m);
  const production = mat.stage === 'ga' ? 1 : mat.stage === 'pre_ga' ? preGa : wm.unknown;
  // A part older than the product `since` dates (`roles_since`) counts from its own date when the stack uses nothing else of the platform.
  const roleDates = m.roles.flatMap((role) => mat.roles_since?.[role] ?? []);
  const since = roleDates.length > 0 && roleDates.length === m.roles.length ? roleDates.reduce((a, b) => (monthIndex(a) >= monthIndex(b) ? a : b)) : mat.since;
  const years = since ? Math.max(0, (monthIndex(catalogDate) - monthIndex(since)) / 12) : undefined;
  const track = mat.stage === 'pre_ga' ? preGa : years !== undefined ? Math.min(1, years / wm.full_years) : wm.unknown;
  const signals = [production, track];
  // An SLA written for one product (`covers`) says nothing about the parts of the platform this stack uses instead.
  const sla = mat.sla && (!mat.sla.covers || mat.sla.covers.some((role) => m.roles.includes(role))) ? mat.sla : undefined;
  if (m.mode === 'cloud') signals.push(sla ? 1 : wm.unknown);
  const score = signals.reduce((a, b) => a + b, 0) / signals.length;
  const parts: string[] = [];
  if (mat.stage === 'pre_ga') parts.push(`the vendor says it is not for production-critical use yet${tiny && preGa > wm.pre_ga ? ', which a tiny tool is not' : ''}`);
  else if (mat.stage === 'ga') parts.push(since ? `in production since ${since} (${Math.round((years ?? 0) * 10) / 10} years)` : 'generally available (date unknown)');
  else parts.push('production readiness unknown');
  if (m.mode === 'cloud') {
    if (sla) parts.push(`${sla.uptime}% uptime SLA${sla.plan ? ` (${sla.plan})` : ''}`);
    else if (mat.sla?.covers) parts.push(`no published SLA for the ${m.roles.join(' and ')} it holds here (its ${mat.sla.uptime}% SLA covers the ${mat.sla.covers.join(' and ')})`);
    else parts.push('no published SLA in the catalog');
  }
  else parts.push('on your servers the uptime is yours to keep');
  return { score, text: `${name}: ${parts.join(', ')}` };
}

function maturity(r: ResolvedRequirements, members: StackMember[], ctx: ScoreContext, w: Weights): CriterionScore {
  const reasons: Reason[] = [];
  let worst = 1;
  for (const m of members) {
    const { score, text } = ctx.maturityOf(m);
    worst = Math.min(worst, score);
    reasons.push({ requirement: 'stage', effect: score >= 0.85 ? 'pro' : score < w.maturity.unknown ? 'con' : 'note', text });
  }
  return { id: 'maturity', label: 'Maturity', weight: w.maturity.weight[r.stage], score: worst, reasons };
}

/** How safe the data is on the part that holds the database: who runs it, point-in-time recovery, and (from `ha_from` on) high availability. */
function dataSafety(r: ResolvedRequirements, members: StackMember[], w: Weights): CriterionScore | undefined {
  const db = holderOf(members, 'database');
  if (!db) return undefined;
  const ws = w.data_safety;
  const f = db.platform.data_safety;
  const name = db.platform.name;
  const reasons: Reason[] = [];
  const signals: number[] = [];
  if (onOwnServers(db)) {
    signals.push(ws.self_run);
    reasons.push({ requirement: 'stage', effect: 'note', text: `${name} on your servers: backups, upgrades and restores are yours to run` });
  } else if (f.managed === false) {
    signals.push(ws.unmanaged);
    reasons.push({ requirement: 'stage', effect: 'con', text: `${name}: the vendor says its database is yours to maintain (backups, upgrades)` });
  } else signals.push(1);
  signals.push(f.pitr === true ? 1 : f.pitr === false ? ws.no_pitr : ws.unknown);
  reasons.push({
    requirement: 'stage',
    effect: f.pitr === true ? 'pro' : f.pitr === false ? 'con' : 'note',
    text: f.pitr === true ? `${name}: point-in-time recovery` : f.pitr === false ? `${name}: no point-in-time recovery` : `${name}: point-in-time recovery not confirmed by the catalog`,
  });
  if (STAGES.indexOf(r.stage) >= STAGES.indexOf(ws.ha_from)) {
    signals.push(f.ha ? ws.ha[f.ha] : ws.unknown);
    const words = { failover: 'automatic failover to a standby', replicas: 'copies in other zones, no automatic failover', none: 'one server, no failover' } as const;
    reasons.push({ requirement: 'stage', effect: f.ha === 'failover' ? 'pro' : f.ha ? 'con' : 'note', text: `${name}: ${f.ha ? words[f.ha] : 'high availability not confirmed by the catalog'}` });
  }
  return { id: 'data_safety', label: 'Data safety', weight: ws.weight[r.stage], score: signals.reduce((a, b) => a + b, 0) / signals.length, reasons };
}

/** The migration off what runs today: `baas plan migration`'s estimate of a whole move, times the share of the work the moving roles carry. */
function migration(r: ResolvedRequirements, members: StackMember[], ctx: ScoreContext, w: Weights): CriterionScore {
  const reasons: Reason[] = [];
  const need = neededRoles(r);
  let days = 0;
  for (const cur of ctx.current) {
    const p = cur.platform;
    const held = ROLE_ORDER.filter((role) => need[role] && (cur.roles === 'all' ? canHold(p, role) : cur.roles.includes(role as CurrentRole)));
    if (held.length === 0) {
      reasons.push({ requirement: 'current', effect: 'note', text: `${p.name} holds no role this stack needs` });
      continue;
    }
    const moved = held.filter((role) => holderOf(members, role)?.platform.id !== p.id);
    const target = moved[0] ? holderOf(members, moved[0]) : undefined;
    if (!target) {
      reasons.push({ requirement: 'current', effect: 'pro', text: `stays on ${p.name} (${held.join(', ')}): nothing to migrate` });
      continue;
    }
    const share = Math.min(1, moved.reduce((sum, role) => sum + (role === 'storage' ? 0 : w.migration.role_share[role]), 0));
    const d = ctx.migrationDays(p, target.platform) * share;
    days += d;
    reasons.push({
      requirement: 'current',
      effect: 'con',
      text: `moves ${moved.join(', ')} off ${p.name} (to ${target.platform.name}): about ${Math.round(d)} working days by baas plan migration's estimate`,
    });
  }
  return { id: 'migration', label: 'Migration', weight: w.migration.weight, score: 1 / (1 + days / w.migration.reference_days), reasons };
}

/** Every criterion for one stack; constraint notes ride along with weight 0. */
export function scoreStack(r: ResolvedRequirements, members: StackMember[], c: StackCost, wanted: Wanted[], constraintNotes: Reason[], w: Weights, ctx: ScoreContext): CriterionScore[] {
  const criteria = [
    capabilities(r, members, wanted, w),
    dataModel(r, members, w),
    simplicity(r, members, w),
    cost(r, c, w),
    lockIn(r, members, w),
    ecosystem(r, members, w, ctx),
    maturity(r, members, ctx, w),
  ];
  const safety = dataSafety(r, members, w);
  if (safety) criteria.push(safety);
  if (ctx.current.length > 0) criteria.push(migration(r, members, ctx, w));
  if (r.constraints.self_hosting === 'preferred') {
    const parts = members.filter((m) => !m.platform.library);
    const self = parts.filter((m) => m.mode === 'self-hosted').length;
    criteria.push({
      id: 'self_hosting',
      label: 'Self-hosting',
      weight: w.criteria.self_hosting,
      score: parts.length === 0 ? 1 : self / parts.length,
      reasons: [{ requirement: 'constraints.self_hosting', effect: self === parts.length ? 'pro' : 'con', text: `${self} of ${parts.length} parts run on your servers` }],
    });
  }
  if (constraintNotes.length > 0) criteria.push({ id: 'constraints', label: 'Constraints', weight: 0, score: 1, reasons: constraintNotes });
  return criteria;
}
