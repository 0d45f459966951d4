import { UserError } from '../errors.js';
import { CAPABILITIES, complianceFact, findPlatform, type Catalog, type Compliance, type Platform } from './catalog.js';
import { canHold, candidateStacks, decisionScope, holderOf, isLeft, leftRoles, neededRoles, sameKindLeft, withKindLeft, memberName, ROLE_ORDER, stackName, wantedCapabilities, type RoleScope, type Wanted } from './advise-candidates.js';
import { breachProfile, checkConstraints, compareProfiles, explainConflicts, type BreachProfile, type Conflict, type Violation, type Warning } from './advise-constraints.js';
import { hostsFirstClass, isTiny, memberMaturity, scoreStack, servesStaticBuildOnly, type CriterionScore, type ScoreContext } from './advise-criteria.js';
import { loadWeights, type Weights } from './advise-weights.js';
import { costStack, dropRoleUsage, FALLBACK, type CostOptions, type PlatformCost, type Role, type StackMember } from './cost.js';
import { planMigration } from './migration.js';
import { fillDefaults, usageFromRequirements, type Requirements, type ResolvedRequirements } from './requirements.js';
import type { Usage } from './usage.js';

/**
 * `baas advise`: builds candidate stacks (advise-candidates), checks hard constraints
 * (advise-constraints), scores the rest by criterion (advise-criteria) with the weights in
 * templates/catalog/advisor-weights.yaml, and ranks them by least breach, then score. Pure and
 * deterministic: the same requirements, catalog and weights always give the same ranking.
 */

export type { Conflict, Reason, Violation, Warning } from './advise-constraints.js';
export type { CriterionScore } from './advise-criteria.js';
export { candidateStacks, stackKey, wantedCapabilities } from './advise-candidates.js';
export { explainConflicts } from './advise-constraints.js';

export interface RankedStack {
  rank: number;
  key: string;
  name: string;
  roles: Partial<Record<Role, string>>;
  /** Which members run on your own servers. */
  selfHosted: string[];
  /** 0..100, weighted over the criteria. */
  score: number;
  criteria: CriterionScore[];
  /** Hard constraints broken, each with its severity (and, for the budget, by how much). */
  violations: Violation[];
  /** Facts nobody confirmed (compliance, residency): neither a pass nor a breach. */
  warnings: Warning[];
  breach: BreachProfile;
  /**
   * Other hosts that serve this stack's static build as well: stacks that differ from this one
   * only in who serves the files are folded into it (listed here, best first), so the ranking
   * shows different approaches rather than one approach on every host. A host run on your own
   * servers is written `<id>:self` (Appwrite's cloud and Appwrite self-hosted are two hosts), also
   * for a platform that only runs there, unlike `key`: the line's `selfHosted` does not cover it.
   */
  alsoHostedOn?: string[];
  /** The same hosts by name, for people ("Cloudflare Workers" for `cloudflare`). */
  alsoHostedOnNames?: string[];
  /**
   * Set on a stack moved up as another approach (secondAsAlternative): on #2, the first's
   * platform for this role is replaced (the first's variants follow it); on #3, `also` names
   * the second's, which it does not use either; `lookAlike` names a platform of the same kind
   * as those (look_alike_is_variant) that it passed: a variant as well.
   */
  alternativeTo?: { role: Role; platform: string; also?: string; lookAlike?: string };
  /**
   * Set on #3 when it was moved up as another way to sign users in (signInAsAlternative): the
   * platforms that hold both the data and the users in #1 and #2.
   */
  signInAlternativeTo?: string[];
  /**
   * The parts' maturity (production status, years in production, SLA) on average, 0 to 1: it
   * orders stacks of the same score and breaches, where the maturity criterion sees only the
   * weakest part.
   */
  trackRecord: number;
  /**
   * What the stack's platforms offer between them, asked for or not (`database` and capability
   * names): among stacks of the same score and track record, the one offering more comes first.
   */
  offers: string[];
  cost: {
    monthly: number;
    hasUnknown: boolean;
    plans: { platform: string; plan: string | null; monthly: number; hasUnknown: boolean }[];
    warnings: string[];
    /** Line-by-line breakdown (kept for --explain; left out of the JSON of the other stacks). */
    members?: PlatformCost[];
  };
}

export interface Advice {
  requirements: ResolvedRequirements;
  usage: Usage;
  /** Every default filled in and every usage figure derived, in words. */
  assumptions: string[];
  considered: number;
  /** The first pick breaks no hard constraint. */
  satisfiable: boolean;
  /** ... and no source leaves one of them unconfirmed (compliance facts, residency). */
  confirmed: boolean;
  /**
   * When the first pick breaks nothing but leaves facts unconfirmed and a stack further down is
   * confirmed on every hard constraint: the best such stack (unconfirmed facts only order stacks
   * of the same score, so it may rank below).
   */
  firstConfirmed?: { rank: number; key: string; name: string; score: number };
  /** When nothing satisfies every hard constraint: which ones cannot be met together. */
  conflicts: Conflict[];
  /**
   * When #1 and #2 breach alike and score alike: what put #1 first (fewer unconfirmed facts, the
   * better track record on average, more on offer, the lower cost), in advise's order.
   */
  tieBreak?: TieBreak;
  stacks: RankedStack[];
}

/** The keys of advise's order that only tell apart stacks of the same breaches and score. */
export type TieBreak = 'warnings' | 'trackRecord' | 'offers' | 'cost';

export interface AdviseOptions {
  top?: number;
  /** Keep this rank in the result with its full cost breakdown (`--explain <rank>`). */
  explain?: number;
  weights?: Weights;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

function costOptions(r: ResolvedRequirements): CostOptions {
  return {
    commercial: r.app.commercial,
    alwaysOn: r.stage !== 'mvp',
    features: r.constraints.compliance,
    // Plans are gated only by compliance a vendor confirms; an unknown fact is a warning.
    featureGate: (p, f) => complianceFact(p, f as Compliance).status === 'yes',
    memo: new Map(),
    ...(r.constraints.vm_price !== undefined ? { vmPrice: r.constraints.vm_price } : {}),
  };
}

/** The platforms in use today (an unknown id is a usage error with a "did you mean"), and memoised migration estimates and maturities. */
function scoreContext(catalog: Catalog, r: ResolvedRequirements, w: Weights, left: Map<string, Role[] | 'all'>): ScoreContext {
  const current = (r.current ?? []).map((c) => ({ platform: findPlatform(catalog, c.id, 'current platform'), roles: c.roles }));
  const memo = new Map<string, number>();
  const migrationDays = (from: Platform, to: Platform): number => {
    const key = `${from.id}>${to.id}`;
    let d = memo.get(key);
    if (d === undefined) {
      const plan = planMigration({ from: { kind: 'platform', platform: from }, to, dataGb: r.data.size_gb });
      d = (plan.effort.days.low + plan.effort.days.high) / 2;
      memo.set(key, d);
    }
    return d;
  };
  const catalogDate = catalog.assumptions.catalog_date;
  // A part's maturity depends on its platform, where it runs and the roles it holds (an SLA may cover only some).
  const maturities = new Map<string, { score: number; text: string }>();
  // A tiny tool is not the production-critical use a vendor's pre-release warning is about.
  const tiny = isTiny(r, w);
  const maturityOf = (m: StackMember): { score: number; text: string } => {
    const key = `${m.platform.id}|${m.mode}|${m.roles.join(',')}`;
    let found = maturities.get(key);
    if (!found) {
      found = memberMaturity(m, catalogDate, w, tiny);
      maturities.set(key, found);
    }
    return found;
  };
  // A host built for the app's server-rendered framework, being left for compute.
  const frontend = r.app.frontend;
  const frameworkHostLeft =
    w.ecosystem.server_rendered.includes(frontend) &&
    catalog.platforms.some((p) => p.provides.hosting === true && hostsFirstClass(p, frontend) && isLeft(left, p, 'cloud', 'compute'));
  return { catalogDate, current, migrationDays, maturityOf, frameworkHostLeft };
}

/**
 * A stack's self-hosted parts other than its host (kept when the host also holds another role):
 * what stays the same when another host serves its static build.
 */
export function selfHostedBesideHost(stack: Pick<RankedStack, 'roles' | 'selfHosted'>): string[] {
  const { compute, ...rest } = stack.roles;
  return stack.selfHosted.filter((id) => id !== compute || Object.values(rest).includes(id));
}

/**
 * When the compute part only serves a static build (no server code asked for, no
 * server-rendered framework), stacks that differ only in that host are one approach: the first
 * (best-ranked) stays, the others are folded into its `alsoHostedOn`.
 */
function foldStaticHosts(r: ResolvedRequirements, stacks: RankedStack[], w: Weights, hostName: ReadonlyMap<RankedStack, string>): RankedStack[] {
  if (!servesStaticBuildOnly(r, w)) return stacks;
  const first = new Map<string, RankedStack>();
  const out: RankedStack[] = [];
  for (const s of stacks) {
    const { compute, ...rest } = s.roles;
    // When the host is the whole stack, the hosts are the choice: nothing to fold.
    if (Object.keys(rest).length === 0) {
      out.push(s);
      continue;
    }
    const sig = `${JSON.stringify(rest)}|${selfHostedBesideHost(s).sort().join(',')}`;
    const kept = first.get(sig);
    // Only fold a stack that breaks no more than the one it folds into.
    if (kept && s.violations.length <= kept.violations.length && compute) {
      (kept.alsoHostedOn ??= []).push(s.selfHosted.includes(compute) ? `${compute}:self` : compute);
      (kept.alsoHostedOnNames ??= []).push(hostName.get(s) ?? compute);
      continue;
    }
    if (!kept) first.set(sig, s);
    out.push(s);
  }
  return out;
}

/**
 * An architect's options are other approaches, not the first with one part swapped: when the
 * second-ranked stack keeps the first's platform for the main part being decided (the
 * database, or the first role in `decide`), the best-ranked stack with another platform there
 * moves up to second, provided it breaks no more than the stack it passes. With
 * `third_is_alternative`, where #2 had to be moved up so, the third likewise: when it keeps the
 * platform of the first or the second there, the best-ranked stack on a third platform moves
 * up. The rest keep their order.
 *
 * With `look_alike_is_variant`, a stack whose database platform is a look-alike of #1's (the
 * same kind, `kindOf`: the same engine and model, keeping the users, run the same way) counts
 * as a variant of #1 too when the database is the part being decided: Nhost after Supabase is
 * not another approach. A look-alike in third place moves down as well, when #2 already
 * differs.
 */
export function secondAsAlternative(stacks: RankedStack[], r: ResolvedRequirements, w: Weights, kindOf: (s: RankedStack) => string | undefined = () => undefined): RankedStack[] {
  const [first] = stacks;
  if (!w.ranking.second_is_alternative || !first || stacks.length < 2) return stacks;
  const role = ROLE_ORDER.find((x) => first.roles[x] !== undefined && (!r.decide || (r.decide as string[]).includes(x)));
  if (!role) return stacks;
  const kind = (s: RankedStack): string | undefined => (role === 'database' && w.ranking.look_alike_is_variant ? kindOf(s) : undefined);
  const kinds = new Set<string>();
  const isUsed = (s: RankedStack, used: Set<string | undefined>): boolean => used.has(s.roles[role]) || kinds.has(kind(s) ?? '');
  const moveUp = (list: RankedStack[], slot: number, used: Set<string | undefined>, alternativeTo: NonNullable<RankedStack['alternativeTo']>): RankedStack[] => {
    const held = list[slot];
    if (!held || !isUsed(held, used)) return list;
    const at = list.findIndex((s, i) => i > slot && !isUsed(s, used) && compareProfiles(s.breach, held.breach) === 0);
    if (at < 0) return list;
    // A look-alike passed over is named, so that the line under the table can say why.
    const lookAlike = !used.has(held.roles[role]) ? { lookAlike: held.roles[role]! } : {};
    return [...list.slice(0, slot), { ...list[at]!, alternativeTo: { ...alternativeTo, ...lookAlike } }, ...list.slice(slot, at), ...list.slice(at + 1)];
  };
  const addKind = (s: RankedStack | undefined): void => {
    const k = s && kind(s);
    if (k) kinds.add(k);
  };
  addKind(first);
  const out = moveUp(stacks, 1, new Set([first.roles[role]]), { role, platform: first.roles[role]! });
  // #3 is looked at where variants of the first crowded the top (#2 had to be moved up), or,
  // where #2 differed already, when #3 is a look-alike of #1.
  const second = out[1]!;
  const third = out[2];
  const lookAlikeThird = third !== undefined && third.roles[role] !== first.roles[role] && kinds.has(kind(third) ?? '');
  if (!w.ranking.third_is_alternative || (!second.alternativeTo && !lookAlikeThird)) return out;
  addKind(second);
  return moveUp(out, 2, new Set([first.roles[role], second.roles[role]]), { role, platform: first.roles[role]!, also: second.roles[role]! });
}

/** Whether a stack keeps its users in the platform that holds its data (Supabase alone, Firebase alone). */
const signsInWithData = (s: Pick<RankedStack, 'roles'>): boolean => s.roles.auth !== undefined && s.roles.auth === s.roles.database;

/**
 * What kind of backend a stack's database platform is, where that platform also signs its users
 * in: its engine and data model, and whether it runs on your servers ("postgres relational
 * managed" for Supabase's cloud and Nhost alike). Undefined where the users sign in elsewhere.
 */
export function lookAlikeKind(catalog: Catalog, s: Pick<RankedStack, 'roles' | 'selfHosted'>): string | undefined {
  const id = s.roles.database;
  if (!id || !signsInWithData(s)) return undefined;
  const db = catalog.platforms.find((p) => p.id === id)?.provides.database;
  return db ? `${db.engine} ${db.model} ${s.selfHosted.includes(id) ? 'self-hosted' : 'managed'}` : undefined;
}

/**
 * Where users sign in is an approach too, and one of the hardest parts to move: when each of
 * the first three keeps its users in the platform that holds its data, the best-ranked stack
 * whose sign-in is a product or library of its own moves up to third, provided it breaks no
 * more than the stack it passes (`ranking.sign_in_is_alternative`). #1 and #2 stay; the rest
 * keep their order. Not when the sign-in is not being decided (`decide` without auth).
 */
export function signInAsAlternative(stacks: RankedStack[], r: ResolvedRequirements, w: Weights): RankedStack[] {
  if (!w.ranking.sign_in_is_alternative || stacks.length < 4) return stacks;
  if (r.decide && !(r.decide as string[]).includes('auth')) return stacks;
  const top = stacks.slice(0, 3);
  if (!top.every(signsInWithData)) return stacks;
  const held = stacks[2]!;
  const at = stacks.findIndex((s, i) => i > 2 && s.roles.auth !== undefined && !signsInWithData(s) && compareProfiles(s.breach, held.breach) === 0);
  if (at < 0) return stacks;
  const platforms = [...new Set(top.slice(0, 2).map((s) => s.roles.auth!))];
  // The stack it passes is no longer a pick moved up as another approach.
  const { alternativeTo: _passed, ...passed } = held;
  return [...stacks.slice(0, 2), { ...stacks[at]!, signInAlternativeTo: platforms }, passed, ...stacks.slice(3, at), ...stacks.slice(at + 1)];
}

/** What a stack's platforms offer between them, asked for or not: a database and each capability they hold in full or in part. */
function stackOffers(members: StackMember[]): string[] {
  const offers = new Set<string>();
  for (const m of members) {
    if (m.platform.provides.database) offers.add('database');
    for (const cap of CAPABILITIES) if (m.platform.provides[cap]) offers.add(cap);
  }
  return [...offers].sort();
}

function totalScore(criteria: CriterionScore[]): number {
  const weight = criteria.reduce((s, x) => s + x.weight, 0);
  return weight === 0 ? 0 : round1((criteria.reduce((s, x) => s + x.weight * x.score, 0) / weight) * 100);
}

/**
 * `decide` in words, after checking that every role it names is one the requirements need
 * (deciding the sign-in of an app without sign-in is a mistake to say, not to rank).
 */
function decisionNotes(r: ResolvedRequirements, scope: Record<Role, RoleScope>): string[] {
  if (!r.decide) return [];
  const need = neededRoles(r);
  const asks: Record<string, string> = { database: 'a data model other than none', auth: 'sign-in (--mau, or auth.needed: true)', compute: 'something to host or run (a frontend, functions, containers, edge or --kind api)', cache: 'a cache (--cache)' };
  const idle = r.decide.filter((role) => !need[role]);
  if (idle.length > 0) {
    throw new UserError(`--only ${idle.join(',')}: the requirements do not ask for ${idle.map((role) => (role === 'auth' ? 'sign-in' : `a ${role}`)).join(' or ')}.`, {
      hint: `Add ${idle.map((role) => asks[role]).join('; ')}, or leave ${idle.join(',')} out of --only.`,
    });
  }
  const others = ROLE_ORDER.filter((role) => need[role] && !(r.decide as string[] | undefined)?.includes(role));
  const words = others.map((role) => {
    const s = scope[role];
    return s.kind === 'keep' ? `${role} stays on ${s.platform.name} (current)` : `${role} is left out (nothing named for it in current)`;
  });
  return [`deciding only ${r.decide.join(', ')}${words.length ? `: ${words.join('; ')}` : ''}`];
}

/** `leaving` in words, after checking that the platforms it names are in `current`. */
function leavingNotes(catalog: Catalog, r: ResolvedRequirements, w: Weights, left: Map<string, Role[] | 'all'>, kind: Platform[]): string[] {
  if (!r.leaving) return [];
  const current = r.current ?? [];
  if (current.length === 0) {
    throw new UserError('leaving: nothing in current to move off.', { hint: 'Name what runs today as well, e.g. --current supabase --leaving supabase (current: supabase in a file).' });
  }
  const stray = (r.leaving.platforms ?? []).filter((id) => !current.some((c) => c.id === id));
  if (stray.length > 0) {
    throw new UserError(`leaving: ${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} not in current (${current.map((c) => c.id).join(', ')}).`, {
      hint: `Add ${stray.join(', ')} to --current, or leave ${stray.length === 1 ? 'it' : 'them'} out of --leaving.`,
    });
  }
  const need = neededRoles(r);
  const because = r.leaving.because;
  const factors = because.flatMap((reason) => Object.entries(w.leaving.because[reason] ?? {}).map(([criterion, f]) => `${criterion.replaceAll('_', ' ')} x${f}`));
  const why = because.length > 0 ? ` because of ${because.join(', ').replaceAll('_', '-')}${factors.length ? ` (weighs ${factors.join(', ')})` : ''}` : '';
  const moving = [...left].map(([id, roles]) => {
    const p = findPlatform(catalog, id, 'leaving');
    const held = roles === 'all' ? ROLE_ORDER.filter((role) => need[role] && canHold(p, role)) : roles;
    return `moving off ${p.name}${why}: not offered again for ${held.join(', ') || 'any role'}; the move is weighed as migration work`;
  });
  // Others of the kind being left (advisor-weights.yaml `leaving.same_kind_sign_in`).
  if (kind.length > 0) {
    moving.push(`${kind.map((p) => p.name).join(', ')} not offered for sign-in either: a hosted sign-in service shares what drives teams off another (a per-user bill, a user store you cannot take along, a third party in every login); run without --leaving to compare ${kind.length === 1 ? 'it' : 'them'}`);
  }
  // Named for leaving, but every role it holds is outside --only: it stays, and the user should know.
  const staying = (r.leaving.platforms ?? current.map((c) => c.id))
    .filter((id) => !left.has(id))
    .map((id) => `leaving ${findPlatform(catalog, id, 'leaving').name}: it holds none of the roles being decided (--only ${r.decide?.join(',') ?? ''}), so it stays as it runs today`);
  return [...moving, ...staying];
}

/**
 * Whether the team itself said it wants to be able to leave (a low lock-in tolerance it gave,
 * not one read from leaving because of lock-in, which weighs lock-in through `leaving`).
 */
function statedLowLockIn(input: Requirements, r: ResolvedRequirements): boolean {
  return input.constraints.lock_in_tolerance === 'low' && !(r.leaving?.because.includes('lock_in') ?? false);
}

/**
 * Whether the team named what runs today and gave no reason to leave it (no `leaving`): then
 * moving off it weighs more (advisor-weights.yaml `migration.staying_factor`).
 */
function stayingPut(r: ResolvedRequirements): boolean {
  return !r.leaving && (r.current?.length ?? 0) > 0;
}

/**
 * The criteria that measure why the team is leaving weigh more (advisor-weights.yaml `leaving`),
 * lock-in weighs more for a team that gave a low tolerance (`lock_in.stated_low_factor`), and
 * migration for a team with no reason to leave what it runs (`migration.staying_factor`).
 */
function weighPriorities(criteria: CriterionScore[], r: ResolvedRequirements, w: Weights, { statedLow, staying }: { statedLow: boolean; staying: boolean }): CriterionScore[] {
  const because = r.leaving?.because ?? [];
  if (because.length === 0 && !statedLow && !staying) return criteria;
  return criteria.map((c) => {
    const leaving = because.reduce((x, reason) => x * ((w.leaving.because[reason] as Record<string, number> | undefined)?.[c.id] ?? 1), 1);
    const f = leaving * (statedLow && c.id === 'lock_in' ? w.lock_in.stated_low_factor : 1) * (staying && c.id === 'migration' ? w.migration.staying_factor : 1);
    return f === 1 ? c : { ...c, weight: c.weight * f };
  });
}

/**
 * What the stacks of a partial decision are billed for: the usage of the roles in it, and of
 * roles that run today where they stay (API traffic on a database kept as it is). Usage of the
 * parts outside the decision never lands on a part being decided: an identity provider is not
 * billed for the app's egress.
 */
function usageInDecision(usage: Usage, r: ResolvedRequirements, scope: Record<Role, RoleScope>): Usage {
  const need = neededRoles(r);
  const drop = (Object.keys(scope) as Role[]).filter((role) =>
    need[role] ? scope[role].kind === 'out' : !FALLBACK[role].some((next) => need[next] && scope[next].kind === 'keep'),
  );
  return dropRoleUsage(usage, drop);
}

/**
 * advise's order, key by key: least breach, then score. Among stacks with the same score, the
 * one with fewer facts no source confirms comes first (round 50: an unknown is a warning, not a
 * breach, so it orders only stacks of the same score), then the one whose parts have the better
 * track record on average (the maturity criterion counts only the weakest part), then the one
 * whose platforms offer more (room to grow), then the cheaper; the key last, so that the order
 * is total.
 */
const STACK_ORDER: readonly (readonly ['breach' | 'score' | TieBreak | 'key', (a: RankedStack, b: RankedStack) => number])[] = [
  ['breach', (a, b) => compareProfiles(a.breach, b.breach)],
  ['score', (a, b) => b.score - a.score],
  ['warnings', (a, b) => a.breach.warnings - b.breach.warnings],
  ['trackRecord', (a, b) => b.trackRecord - a.trackRecord],
  ['offers', (a, b) => b.offers.length - a.offers.length],
  ['cost', (a, b) => a.cost.monthly - b.cost.monthly],
  ['key', (a, b) => a.key.localeCompare(b.key)],
];

function compareStacks(a: RankedStack, b: RankedStack): number {
  for (const [, by] of STACK_ORDER) {
    const d = by(a, b);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Why #1 comes before #2 when they breach alike and score alike: the first key of advise's
 * order that tells them apart, when it puts #1 first (an alternative moved up is not a tie).
 */
export function tieBreak(first: RankedStack | undefined, second: RankedStack | undefined): TieBreak | undefined {
  if (!first || !second || second.alternativeTo) return undefined;
  for (const [key, by] of STACK_ORDER) {
    const d = by(first, second);
    if (d === 0) continue;
    return d < 0 && key !== 'breach' && key !== 'score' && key !== 'key' ? key : undefined;
  }
  return undefined;
}

/** Ranks every candidate stack for the requirements: least breach first, then score, then cost. */
export function advise(catalog: Catalog, input: Requirements, options: AdviseOptions = {}): Advice {
  const w = options.weights ?? loadWeights();
  const { requirements: r, assumptions: defaults } = fillDefaults(input, w.simplicity.assumed_team, w.data.mobile_unspecified, w.simplicity.assumed_self_hosting);
  const { usage: wholeUsage, assumptions } = usageFromRequirements(r);
  const opts = costOptions(r);
  const scope = decisionScope(catalog, r);
  // What the team is moving off, and the hosted sign-in services left out with it: worked out once.
  const left = leftRoles(r);
  const kind = sameKindLeft(catalog, left, w);
  const statedLow = statedLowLockIn(input, r);
  const staying = stayingPut(r);
  const decideNotes = [
    ...decisionNotes(r, scope),
    ...leavingNotes(catalog, r, w, left, kind),
    ...(statedLow && w.lock_in.stated_low_factor !== 1 ? [`lock-in tolerance low: lock-in weighs x${w.lock_in.stated_low_factor}, since being able to leave is a priority`] : []),
    ...(staying && w.migration.staying_factor !== 1 ? [`what runs today (current) with no reason given to leave it: migration weighs x${w.migration.staying_factor}, since a move must earn its cost`] : []),
  ];
  if (!Object.values(neededRoles(r)).some(Boolean)) {
    throw new UserError('The requirements ask for nothing to store, sign in, host or run, so there is no stack to rank.', {
      hint: 'Say what the product needs: a data model (--data-model relational), sign-in (--mau 1000), a frontend to host (--frontend static) or code to run (--functions).',
    });
  }
  const usage = r.decide ? usageInDecision(wholeUsage, r, scope) : wholeUsage;
  const wanted: Wanted[] = wantedCapabilities(r, scope, w.capabilities);
  const ctx = scoreContext(catalog, r, w, left);
  const candidates = candidateStacks(catalog, r, scope, withKindLeft(left, kind));
  if (candidates.length === 0) {
    const kept = ROLE_ORDER.flatMap((role) => {
      const s = scope[role];
      return s.kind === 'keep' ? [`${role} on ${s.platform.name}`] : [];
    });
    const leaving = [...left.keys()].map((id) => catalog.platforms.find((p) => p.id === id)?.name ?? id);
    throw new UserError(
      `No stack can be built: ${kept.length ? `what stays (${kept.join(', ')}) cannot work beside any platform left for the roles being decided` : 'no platform can hold the roles being decided'}${leaving.length ? ` once ${leaving.join(' and ')} ${leaving.length === 1 ? 'is' : 'are'} left` : ''}.`,
      { hint: 'Name where each role runs today (--current database=neon,auth=clerk), decide the kept roles too (--only database,auth), or leave fewer platforms (--leaving).' },
    );
  }
  // The compute part's name, for a stack folded into another as one more host of its static build.
  const hostName = new Map<RankedStack, string>();
  const evaluated = candidates.map((c) => {
    const cost = costStack(catalog, c.members, usage, opts);
    const { violations, warnings, notes } = checkConstraints(r, c.members, cost, wanted, w);
    const criteria = weighPriorities(scoreStack(r, c.members, cost, wanted, notes, w, ctx), r, w, { statedLow, staying });
    const roles: Partial<Record<Role, string>> = {};
    for (const role of ROLE_ORDER) {
      const m = holderOf(c.members, role);
      if (m) roles[role] = m.platform.id;
    }
    const stack: RankedStack = {
      rank: 0,
      key: c.key,
      name: stackName(c.members),
      roles,
      selfHosted: c.members.filter((m) => m.mode === 'self-hosted').map((m) => m.platform.id),
      score: totalScore(criteria),
      trackRecord: round3(c.members.reduce((sum, m) => sum + ctx.maturityOf(m).score, 0) / c.members.length),
      offers: stackOffers(c.members),
      criteria,
      violations,
      warnings,
      breach: breachProfile(violations, warnings, w, r.constraints.budget_monthly),
      cost: {
        monthly: cost.knownTotal,
        hasUnknown: cost.hasUnknown,
        plans: cost.members.map((m) => ({ platform: m.platform, plan: m.plan?.id ?? null, monthly: m.knownTotal, hasUnknown: m.hasUnknown })),
        warnings: cost.warnings,
        members: cost.members,
      },
    };
    const host = holderOf(c.members, 'compute');
    if (host) hostName.set(stack, memberName(host));
    return stack;
  });
  evaluated.sort(compareStacks);
  const keys = new Set<string>();
  const unique = evaluated.filter((s) => (keys.has(s.key) ? false : (keys.add(s.key), true)));
  const ranked = signInAsAlternative(secondAsAlternative(foldStaticHosts(r, unique, w, hostName), r, w, (s) => lookAlikeKind(catalog, s)), r, w);
  ranked.forEach((s, i) => (s.rank = i + 1));
  const satisfiable = ranked.length > 0 && ranked[0]?.violations.length === 0;
  const confirmed = satisfiable && ranked[0]?.warnings.length === 0;
  const clean = satisfiable && !confirmed ? ranked.find((s) => s.violations.length === 0 && s.warnings.length === 0) : undefined;
  // When the first pick breaks nothing but leaves facts open: name the best stack confirmed on
  // every one, or, when there is none, say which constraints no stack confirms together,
  // counting an unconfirmed fact like a breach.
  const conflicts = !satisfiable
    ? explainConflicts(catalog, ranked)
    : !confirmed && !clean
      ? explainConflicts(catalog, ranked.map((s) => ({ name: s.name, violations: [...s.violations, ...s.warnings] })), 'confirmed')
      : [];
  const tie = tieBreak(ranked[0], ranked[1]);
  const top = Math.max(options.top ?? 5, options.explain ?? 0);
  const shown = ranked.slice(0, top);
  for (const s of shown) if (s.rank !== options.explain) delete s.cost.members;
  // `current: firebase` says the platform is in use, not which parts of the product it holds.
  const need = neededRoles(r);
  const currentNotes = ctx.current
    .filter((c) => c.roles === 'all')
    .map((c) => {
      const held = ROLE_ORDER.filter((role) => need[role] && canHold(c.platform, role));
      return `current: ${c.platform.id} read as holding every role it can here (${held.join(', ') || 'none'}); name the roles it holds if fewer (current: { ${held[held.length - 1] ?? 'compute'}: ${c.platform.id} })`;
    });
  return {
    requirements: r,
    usage,
    assumptions: [...defaults, ...decideNotes, ...currentNotes, ...assumptions],
    considered: ranked.length,
    satisfiable,
    confirmed,
    ...(clean ? { firstConfirmed: { rank: clean.rank, key: clean.key, name: clean.name, score: clean.score } } : {}),
    conflicts,
    ...(tie ? { tieBreak: tie } : {}),
    stacks: shown,
  };
}
