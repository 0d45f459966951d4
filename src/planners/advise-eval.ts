import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { advise, selfHostedBesideHost, type RankedStack } from './advise.js';
import type { Weights } from './advise-weights.js';
import { ROLES, type Catalog } from './catalog.js';
import { parseRequirementsText, type Requirements } from './requirements.js';

/**
 * The evaluation of `baas advise` against cases written from public stories (see
 * test/fixtures/scenarios/cases/README.md): top-1 and top-3 agreement with the stack each team
 * chose, and picks that break a hard constraint while a stack exists that breaks none, for the
 * tuning half, the validation half, the held-out half and each round's blind half separately.
 */

/** The newest blind round (the round kit's import raises it): its group is the validation of record. */
export const LAST_ROUND = 359;
/** A blind round's group: `blind_r3` for round 3. */
export type BlindName = `blind_r${number}`;
export type HalfName = 'tuning' | 'validation' | 'holdout' | BlindName;
/**
 * `tuning` and `validation`: round 1's split by rule; `holdout`: round 2's cases, scored only at
 * the end of that round; `blind_r3` to `blind_r<LAST_ROUND>`: each later round's cases, written
 * by people who never saw the scorer or its output, each scored once at the end of its round.
 * Each round may tune on every earlier group (their results are known); the newest group is the
 * validation of record.
 */
export const HALVES: readonly HalfName[] = [
  'tuning',
  'validation',
  'holdout',
  ...Array.from({ length: LAST_ROUND - 2 }, (_, i): BlindName => `blind_r${i + 3}`),
];
/** The groups added after round 1's split by rule: every one but the first two. */
export const LATER_HALVES: readonly HalfName[] = HALVES.slice(2);
/** The fewest cases a blind group may have (the eval's test checks it; the round kit's import refuses fewer). */
export const MIN_BLIND_CASES = 25;
/** The group nothing was tuned on: the validation of record. */
export const OF_RECORD: HalfName = `blind_r${LAST_ROUND}`;
export type Split = Record<HalfName, string[]>;

export interface EvalCase {
  file: string;
  requirements: Requirements;
  roles: NonNullable<Requirements['chosen']>['roles'];
}

/**
 * The split rule of the first round, fixed before any tuning: files ordered by SHA-256 of their
 * name, first half tunes. (The held-out half is the list of cases added later, kept apart.)
 */
export function splitCases(files: string[]): { tuning: string[]; validation: string[] } {
  const hash = (f: string): string => createHash('sha256').update(f).digest('hex');
  const ordered = [...files].sort((a, b) => hash(a).localeCompare(hash(b)));
  const half = Math.floor(ordered.length / 2);
  return { tuning: ordered.slice(0, half).sort(), validation: ordered.slice(half).sort() };
}

export function loadCases(dir: string): EvalCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const requirements = parseRequirementsText(readFileSync(path.join(dir, file), 'utf8'), file);
      if (!requirements.chosen || !requirements.source) throw new Error(`${file}: an evaluation case needs source and chosen`);
      return { file, requirements, roles: requirements.chosen.roles };
    });
}

/**
 * A ranked stack agrees with what the team chose when every named role is held as chosen. A
 * host folded into the stack's line (`alsoHostedOn`: the same static build on another host)
 * counts as that line's, since the line offers it.
 */
export function agrees(stack: RankedStack, roles: EvalCase['roles']): boolean {
  if (holdsAll(stack, roles)) return true;
  const others = selfHostedBesideHost(stack);
  return (stack.alsoHostedOn ?? []).some((host) => {
    const compute = host.replace(/:self$/, '');
    const selfHosted = host.endsWith(':self') ? [...others, compute] : others;
    return holdsAll({ ...stack, roles: { ...stack.roles, compute }, selfHosted }, roles);
  });
}

function holdsAll(stack: RankedStack, roles: EvalCase['roles']): boolean {
  return Object.entries(roles).every(([role, want]) => {
    const holder = stack.roles[role as keyof RankedStack['roles']];
    if (!holder || want === undefined) return false;
    const self = stack.selfHosted.includes(holder);
    return (Array.isArray(want) ? want : [want]).some((id) => (id.endsWith(':self') ? id.slice(0, -5) === holder && self : id === holder));
  });
}

/** A team's chosen roles in words, in the catalog's role order: "database neon, auth clerk, compute vercel or railway". */
export function describeRoles(roles: EvalCase['roles']): string {
  const named: Partial<Record<string, string | string[]>> = roles;
  return ROLES.flatMap((role) => {
    const want = named[role];
    return want === undefined ? [] : [`${role} ${(Array.isArray(want) ? want : [want]).join(' or ')}`];
  }).join(', ');
}

export interface CaseResult {
  file: string;
  top1: boolean;
  top3: boolean;
  /** Rank of the first agreeing stack, if within the first 20. */
  rank: number | null;
  pick: string;
  /** What the team chose, role by role ("database neon, auth clerk"; a list as "vercel or railway"). */
  chosen: string;
  /** The first pick breaks a hard constraint although some stack breaks none. */
  needlessBreach: boolean;
  /** No stack meets every hard constraint. */
  unsatisfiable: boolean;
  /** Against the architect reference, when the case has one. */
  reference?: ReferenceResult;
  /** The platforms in advise's first three stacks, by catalog id (`byProposal`). */
  proposed: string[];
  /** The platforms the team named, in any role, by catalog id. */
  named: string[];
}

/** Role -> catalog id (`:self` for self-hosted), as an architect names a stack. */
export type ReferencePick = Partial<Record<'database' | 'auth' | 'compute' | 'cache', string>>;
/** Case file -> an architect's three stacks for it, best first (architect-reference.json). */
export type ReferencePicks = Record<string, ReferencePick[]>;

export interface ReferenceResult {
  /** The architect's first stack agrees with the team's. */
  top1: boolean;
  /** One of the architect's three agrees with the team's. */
  top3: boolean;
  /** advise's first pick is one of the architect's three. */
  adviseFirstAmongThree: boolean;
  /** The platforms in the architect's three stacks, by catalog id. */
  proposed: string[];
}

/** Catalog ids, once each and sorted, with `:self` dropped (self-hosted or not, one platform). */
function platformIds(ids: readonly (string | string[] | undefined)[]): string[] {
  return [...new Set(ids.flat().flatMap((id) => (id === undefined ? [] : [id.replace(/:self$/, '')])))].sort();
}

/**
 * An architect's stack agrees with the team's when every role the team named is held as chosen.
 * `selfOnly`: platforms that exist only self-hosted (Keycloak, PocketBase), where `x` and
 * `x:self` name the same thing.
 */
export function pickAgrees(pick: ReferencePick, roles: EvalCase['roles'], selfOnly: ReadonlySet<string> = new Set()): boolean {
  const norm = (id: string): string => (id.endsWith(':self') && selfOnly.has(id.slice(0, -5)) ? id.slice(0, -5) : id);
  return Object.entries(roles).every(([role, want]) => {
    const held = pick[role as keyof ReferencePick];
    return held !== undefined && want !== undefined && (Array.isArray(want) ? want : [want]).map(norm).includes(norm(held));
  });
}

export interface HalfResult {
  name: HalfName;
  cases: CaseResult[];
  top1: number;
  top3: number;
  needlessBreaches: number;
  /** Over the cases that have an architect reference. */
  reference?: { n: number; top1: number; top3: number; adviseFirstAmongThree: number };
}

/** Platforms that exist only self-hosted (Keycloak, PocketBase), where `x` and `x:self` name the same thing. */
function selfOnlyIds(catalog: Catalog): Set<string> {
  return new Set(catalog.platforms.filter((p) => p.self_hosting.available === 'only').map((p) => p.id));
}

export function evaluateCase(catalog: Catalog, c: EvalCase, weights?: Weights, reference?: ReferencePick[]): CaseResult {
  // Requirements no stack can be built for (advise refuses them) count as a case with no pick.
  let a: ReturnType<typeof advise> | undefined;
  try {
    a = advise(catalog, c.requirements, { top: 20, ...(weights ? { weights } : {}) });
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
  const stacks = a?.stacks ?? [];
  const idx = stacks.findIndex((s) => agrees(s, c.roles));
  const first = stacks[0];
  const selfOnly = selfOnlyIds(catalog);
  return {
    ...(reference?.length
      ? {
          reference: {
            top1: pickAgrees(reference[0] as ReferencePick, c.roles, selfOnly),
            top3: reference.some((p) => pickAgrees(p, c.roles, selfOnly)),
            adviseFirstAmongThree: Boolean(first && reference.some((p) => agrees(first, p))),
            proposed: platformIds(reference.flatMap((p) => Object.values(p))),
          },
        }
      : {}),
    file: c.file,
    top1: idx === 0,
    top3: idx >= 0 && idx < 3,
    rank: idx >= 0 ? idx + 1 : null,
    pick: first?.key ?? '-',
    chosen: describeRoles(c.roles),
    // advise ranks breach-free stacks first, so a breaching first pick means none exists;
    // checked here all the same, since that is the promise being measured.
    needlessBreach: Boolean(first && first.violations.length > 0 && stacks.some((s) => s.violations.length === 0)),
    unsatisfiable: !a?.satisfiable,
    proposed: platformIds(stacks.slice(0, 3).flatMap((s) => Object.values(s.roles))),
    named: platformIds(Object.values(c.roles)),
  };
}

/** Scores each half asked for (all of them by default), each apart from the others. */
export function evaluate(catalog: Catalog, cases: EvalCase[], split: Split, weights?: Weights, halves: readonly HalfName[] = HALVES, reference: ReferencePicks = {}): HalfResult[] {
  return halves.map((name) => {
    const files = split[name];
    if (!files) throw new Error(`split.json has no group ${name}`);
    const results = cases.filter((c) => files.includes(c.file)).map((c) => evaluateCase(catalog, c, weights, reference[c.file]));
    const referenced = results.flatMap((r) => (r.reference ? [r.reference] : []));
    return {
      name,
      cases: results,
      top1: results.filter((r) => r.top1).length,
      top3: results.filter((r) => r.top3).length,
      needlessBreaches: results.filter((r) => r.needlessBreach).length,
      ...(referenced.length
        ? {
            reference: {
              n: referenced.length,
              top1: referenced.filter((r) => r.top1).length,
              top3: referenced.filter((r) => r.top3).length,
              adviseFirstAmongThree: referenced.filter((r) => r.adviseFirstAmongThree).length,
            },
          }
        : {}),
    };
  });
}

export const EVAL_TARGETS = { top1: 0.8, top3: 0.95, needlessBreaches: 0 } as const;

/** One row of the eval's table by class: the platform holding a case's main role (its file name's prefix). */
/** Every blind half together: cases and agreements, advise's and the architect reference's. */
export function pooledBlind(halves: readonly HalfResult[]): Omit<ClassRow, 'platform'> {
  const blind = halves.filter((h) => h.name.startsWith('blind_'));
  const sum = (f: (h: HalfResult) => number): number => blind.reduce((t, h) => t + f(h), 0);
  return {
    n: sum((h) => h.cases.length),
    top1: sum((h) => h.top1),
    top3: sum((h) => h.top3),
    reference: { n: sum((h) => h.reference?.n ?? 0), top1: sum((h) => h.reference?.top1 ?? 0), top3: sum((h) => h.reference?.top3 ?? 0) },
  };
}

/**
 * What no advisor could beat: cases whose requirements are the same, field for field, but whose
 * teams chose differently. advise sees only the requirements, so it gives each such set one
 * answer; the best one answer per set (any stack made of the platforms those teams chose, role
 * by role, its host aside) agrees with `best` of its cases. Counted over the sets two or more
 * cases share, beside advise's and the architect reference's first picks on the same cases.
 */
export interface SharedRequirements {
  /** Requirement sets shared by two or more cases. */
  sets: number;
  /** The cases in those sets. */
  cases: number;
  /** Of those cases, the most that one answer per set agrees with. */
  best: number;
  /** Of those cases, the ones advise's first pick agrees with. */
  advise: number;
  /** Of those cases, the ones the architect reference's first pick agrees with. */
  reference: number;
}

/** The requirements a case gives advise, as one string: its story fields left out, keys and lists in order. */
function requirementsKey(r: Requirements): string {
  const { name: _n, why: _w, source: _s, chosen: _c, ...asked } = r;
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().flatMap((k) => (o[k] === undefined ? [] : [[k, canon(o[k])]])));
    }
    return v;
  };
  return JSON.stringify(canon(asked));
}

export function sharedRequirements(catalog: Catalog, cases: readonly EvalCase[], results: readonly CaseResult[]): SharedRequirements {
  const selfOnly = selfOnlyIds(catalog);
  const byFile = new Map(results.map((r) => [r.file, r]));
  const sets = new Map<string, EvalCase[]>();
  for (const c of cases) {
    if (!byFile.has(c.file)) continue;
    const k = requirementsKey(c.requirements);
    const group = sets.get(k);
    if (group) group.push(c);
    else sets.set(k, [c]);
  }
  const out: SharedRequirements = { sets: 0, cases: 0, best: 0, advise: 0, reference: 0 };
  for (const group of sets.values()) {
    if (group.length < 2) continue;
    out.sets++;
    out.cases += group.length;
    out.best += bestOneAnswer(group, selfOnly);
    for (const c of group) {
      const r = byFile.get(c.file);
      out.advise += Number(Boolean(r?.top1));
      out.reference += Number(Boolean(r?.reference?.top1));
    }
  }
  return out;
}

/**
 * The most cases of a group one stack agrees with, trying every mix of the platforms its teams
 * chose (or none), role by role. The host is left out: a ranked line may fold several hosts of
 * one build into its compute role (`alsoHostedOn`), and holding more hosts never loses a case,
 * so a line can hold every host the teams chose. The bound is loose there, never below advise.
 */
function bestOneAnswer(group: readonly EvalCase[], selfOnly: ReadonlySet<string>): number {
  const withoutHost = group.map((c): Partial<Record<string, string | string[]>> => {
    const { compute: _host, ...rest } = c.roles as Partial<Record<string, string | string[]>>;
    return rest;
  });
  const roles = [...new Set(withoutHost.flatMap((r) => Object.keys(r)))];
  const options = roles.map((role) => [undefined, ...new Set(withoutHost.flatMap((r) => [r[role] ?? []].flat()))]);
  let best = 0;
  const walk = (i: number, pick: Record<string, string>): void => {
    if (i === roles.length) {
      best = Math.max(best, withoutHost.filter((r) => pickAgrees(pick, r as EvalCase['roles'], selfOnly)).length);
      return;
    }
    for (const id of options[i] ?? []) walk(i + 1, id === undefined ? pick : { ...pick, [roles[i] as string]: id });
  };
  walk(0, {});
  return best;
}

export interface ClassRow {
  platform: string;
  n: number;
  top1: number;
  top3: number;
  /** Over the cases of this class that have an architect reference. */
  reference: { n: number; top1: number; top3: number };
}

/**
 * Cases grouped by the platform holding the main role the team chose (the database, else the
 * sign-in, else the host: the `<platform>-` prefix every case file is named with), largest class
 * first: where advise agrees with the teams less often than the architect reference, by class.
 */
export function byMainPlatform(halves: readonly HalfResult[]): ClassRow[] {
  const rows = new Map<string, ClassRow>();
  for (const h of halves) {
    for (const c of h.cases) {
      const platform = c.file.split('-')[0] ?? c.file;
      const row = rows.get(platform) ?? { platform, n: 0, top1: 0, top3: 0, reference: { n: 0, top1: 0, top3: 0 } };
      row.n++;
      row.top1 += Number(c.top1);
      row.top3 += Number(c.top3);
      if (c.reference) {
        row.reference.n++;
        row.reference.top1 += Number(c.reference.top1);
        row.reference.top3 += Number(c.reference.top3);
      }
      rows.set(platform, row);
    }
  }
  return [...rows.values()].sort((a, b) => b.n - a.n || a.platform.localeCompare(b.platform));
}

export interface ProposalRow {
  platform: string;
  /** Cases with the platform in advise's first three. */
  advise: number;
  /** Cases with the platform in the architect reference's three (over the cases that have one). */
  reference: number;
  /** Cases whose team named the platform, in any role. */
  named: number;
}

/**
 * How often each platform is proposed in the first three, by advise and by the architect
 * reference, beside how often the teams named it: a platform advise proposes far more often
 * than either takes places that the teams' stacks could hold. Most proposed by advise first.
 */
export function byProposal(halves: readonly HalfResult[]): ProposalRow[] {
  const rows = new Map<string, ProposalRow>();
  const row = (platform: string): ProposalRow => {
    const found = rows.get(platform) ?? { platform, advise: 0, reference: 0, named: 0 };
    rows.set(platform, found);
    return found;
  };
  for (const c of halves.flatMap((h) => h.cases)) {
    for (const id of c.proposed) row(id).advise++;
    for (const id of c.reference?.proposed ?? []) row(id).reference++;
    for (const id of c.named) row(id).named++;
  }
  return [...rows.values()].sort((a, b) => b.advise - a.advise || a.platform.localeCompare(b.platform));
}
