import { complianceFact, COMPLIANCE_LABEL, type CapabilityName, type Catalog, type Compliance } from './catalog.js';
import { CAP_LABEL, capabilityOf, containerCredit, holderOf, type Wanted } from './advise-candidates.js';
import { onOwnServers, type StackCost, type StackMember } from './cost.js';
import { regionMet, regionPossible } from './regions.js';
import type { ResolvedRequirements } from './requirements.js';
import type { Weights } from './advise-weights.js';

/**
 * Hard constraints and conflicts for `baas advise`: what each stack breaks and by how much,
 * what it leaves unconfirmed, how breaches order the ranking, and which constraints cannot
 * hold together when no stack meets them all.
 */

/** How bad a breach is: policy (compliance, self-hosting, residency) > capability > budget. */
export type Severity = 'policy' | 'capability' | 'budget';

export interface Violation {
  /** Constraint id, e.g. `self_hosting`, `budget`, `compliance:hipaa`, `capability:offline_sync`. */
  constraint: string;
  requirement: string;
  severity: Severity;
  text: string;
  /** Budget breaches: how far over, in USD a month (null: the price is not published) and as a share of the budget. */
  over?: { usd: number | null; ratio: number | null };
  /** Capability breaches: the level the requirement asked for. */
  level?: 'some' | 'core';
}

/** Something no source confirms either way: shown, never counted as a pass or a breach. */
export interface Warning {
  constraint: string;
  requirement: string;
  text: string;
}

export interface Reason {
  /** The requirement key that produced this reason, e.g. `features.realtime`. */
  requirement: string;
  text: string;
  effect: 'pro' | 'con' | 'note';
}

export interface Conflict {
  constraints: string[];
  text: string;
}

// One formatter for the whole run: toLocaleString builds a new one per call, which dominated
// the time of an advise run (thousands of stacks, several amounts each).
const USD = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
export const money = (n: number): string => `$${USD.format(n)}`;
const pct = (n: number): string => `${Math.round(n * 100)}%`;

/** Every hard constraint a stack breaks, what it leaves unconfirmed, and notes on what it meets. */
export function checkConstraints(
  r: ResolvedRequirements,
  members: StackMember[],
  cost: StackCost,
  wanted: Wanted[],
  w: Weights,
): { violations: Violation[]; warnings: Warning[]; notes: Reason[] } {
  const violations: Violation[] = [];
  const warnings: Warning[] = [];
  const notes: Reason[] = [];
  const c = r.constraints;
  if (c.self_hosting === 'required') {
    for (const m of members.filter((x) => x.mode === 'cloud')) {
      violations.push({ constraint: 'self_hosting', requirement: 'constraints.self_hosting', severity: 'policy', text: `${m.platform.name} is a hosted service and self-hosting is required` });
    }
  }
  if (c.self_hosting === 'no') {
    for (const m of members.filter(onOwnServers)) {
      violations.push({ constraint: 'self_hosting', requirement: 'constraints.self_hosting', severity: 'policy', text: `${m.platform.name} would run on your own servers, and self-hosting is ruled out` });
    }
  }
  for (const comp of c.compliance as Compliance[]) {
    const name = COMPLIANCE_LABEL[comp];
    for (const m of members) {
      if (m.mode === 'self-hosted') continue;
      const fact = complianceFact(m.platform, comp);
      const src = fact.source ? m.platform.sources[fact.source] : undefined;
      const cite = src ? ` (${src.url ?? src.title}, ${src.as_of}${src.date_kind === 'retrieved' ? ' retrieved' : ''})` : '';
      if (fact.status === 'no') {
        violations.push({ constraint: `compliance:${comp}`, requirement: 'constraints.compliance', severity: 'policy', text: `${m.platform.name}: no ${name}${fact.note ? ` (${fact.note})` : ''}${cite}` });
      } else if (fact.status === 'unknown') {
        warnings.push({ constraint: `compliance:${comp}`, requirement: 'constraints.compliance', text: `${m.platform.name}: ${name} unknown${fact.note ? ` (${fact.note})` : ''}; confirm with the vendor before relying on it` });
      } else {
        notes.push({ requirement: 'constraints.compliance', effect: 'pro', text: `${name}: ${m.platform.name}${fact.plan ? ` on the ${fact.plan} plan` : ''}${fact.addon ? ` with the ${fact.addon}` : ''}${cite}` });
      }
    }
    if (members.some(onOwnServers)) {
      notes.push({ requirement: 'constraints.compliance', effect: 'note', text: `${name} on your own servers is your responsibility (controls, audits, agreements with your host)` });
    }
    for (const m of members.filter((x) => x.platform.library)) {
      notes.push({ requirement: 'constraints.compliance', effect: 'note', text: `${name}: ${m.platform.name} is code in your app; it inherits the compliance of where your app and database run` });
    }
  }
  if (c.budget_monthly !== undefined) {
    const budget = c.budget_monthly;
    const unpriced = cost.members.find((m) => m.lines.some((l) => l.component === 'base' && l.unknown));
    if (cost.knownTotal > budget) {
      const over = cost.knownTotal - budget;
      const ratio = budget > 0 ? over / budget : null;
      violations.push({
        constraint: 'budget',
        requirement: 'constraints.budget_monthly',
        severity: 'budget',
        over: { usd: Math.round(over * 100) / 100, ratio },
        text: `estimated ${money(cost.knownTotal)}/month is ${money(over)}${ratio !== null ? ` (${pct(ratio)})` : ''} over the ${money(budget)} budget`,
      });
    } else if (unpriced) {
      violations.push({
        constraint: 'budget',
        requirement: 'constraints.budget_monthly',
        severity: 'budget',
        over: { usd: null, ratio: null },
        text: `${unpriced.name} ${unpriced.plan?.name ?? ''} has no published price, so the ${money(budget)} budget cannot be confirmed`,
      });
    } else if (cost.hasUnknown) {
      notes.push({ requirement: 'constraints.budget_monthly', effect: 'note', text: `known cost ${money(cost.knownTotal)} is within budget, but part of the cost is unknown` });
    }
  }
  for (const region of c.regions) {
    const want = region.toLowerCase();
    for (const m of members) {
      if (m.mode === 'self-hosted') continue;
      const reg = m.platform.regions;
      const offered = reg.confirmed ?? [];
      if (regionMet(offered, want)) continue;
      if (reg.confirmed && reg.complete && !regionPossible(offered, want)) {
        violations.push({ constraint: `region:${region}`, requirement: 'constraints.regions', severity: 'policy', text: `${m.platform.name} offers only ${reg.confirmed.join(', ')}, not ${region}` });
      } else {
        warnings.push({ constraint: `region:${region}`, requirement: 'constraints.regions', text: `${m.platform.name}: data residency in ${region} not confirmed by the catalog` });
      }
    }
  }
  for (const x of wanted) {
    if (!x.hard) continue;
    const { value } = capabilityOf(members, x, containerCredit(w));
    if (value === false) {
      const holder = x.scope === 'any' ? undefined : holderOf(members, x.scope);
      const where = holder ? `${holder.platform.name} (the ${x.scope} part) does not provide it` : 'no part of the stack provides it';
      violations.push({ constraint: `capability:${x.cap}`, requirement: x.requirement, severity: 'capability', level: x.level, text: `${CAP_LABEL[x.cap]} is required${x.level === 'core' ? ' (core)' : ''} and ${where}` });
    }
  }
  for (const m of cost.members) {
    // A plan that is missing only because of compliance is already reported above.
    if (m.noFit && !violations.some((v) => v.constraint.startsWith('compliance:') && v.text.startsWith(`${m.name}:`))) {
      violations.push({ constraint: 'plan', requirement: 'constraints', severity: 'capability', text: m.noFit });
    }
  }
  return { violations, warnings, notes };
}

/**
 * What orders stacks before their score: breaches by severity. `warnings` (facts no source
 * confirms) order only stacks of the same score: an unknown is neither a pass nor a breach.
 */
export interface BreachProfile {
  policy: number;
  /** Missing capabilities, a `core` one counting `core_missing_counts`. */
  capability: number;
  /** Budget overrun, rounded up to the tie step, as a share of the budget (USD when it is 0); 0 within it. */
  budget: number;
  warnings: number;
}

export function breachProfile(violations: Violation[], warnings: Warning[], w: Weights, budget?: number): BreachProfile {
  let policy = 0;
  let capability = 0;
  let over = 0;
  for (const v of violations) {
    if (v.severity === 'policy') policy++;
    else if (v.severity === 'capability') capability += v.level === 'core' ? w.ranking.core_missing_counts : 1;
    else over = Math.max(over, v.over?.usd ?? Number.POSITIVE_INFINITY);
  }
  // Overruns that differ by less than the tie step rank alike (then by score):
  // $0.15 on a $15 overrun must not outweigh everything else a stack does.
  const step = Math.max(w.ranking.budget_tie_usd, w.ranking.budget_tie_share * (budget ?? 0));
  const bucket = over === 0 ? 0 : Number.isFinite(over) ? Math.ceil(over / step) * step : Number.POSITIVE_INFINITY;
  return { policy, capability, budget: budget ? bucket / budget : bucket, warnings: warnings.length };
}

/**
 * Least breach first: policy, then capability, then the smaller budget overrun. Unconfirmed
 * facts (`warnings`) are not breaches; they order stacks of the same score (see advise).
 */
export function compareProfiles(a: BreachProfile, b: BreachProfile): number {
  return a.policy - b.policy || a.capability - b.capability || cmp(a.budget, b.budget);
}

const cmp = (a: number, b: number): number => (a === b ? 0 : a < b ? -1 : 1);

/**
 * Names the hard constraints that cannot hold together: first any constraint no stack meets,
 * then pairs that no stack meets at once, each with the closest stack as evidence.
 */
export function explainConflicts(catalog: Catalog, stacks: { name: string; violations: { constraint: string; text: string }[] }[], verb: 'met' | 'confirmed' = 'met'): Conflict[] {
  const meets = verb === 'met' ? 'meets' : 'is confirmed to meet';
  const met = verb === 'met' ? 'met' : 'confirmed';
  const sets = stacks.map((s) => new Set(s.violations.map((v) => v.constraint)));
  const keys = [...new Set(sets.flatMap((s) => [...s]))].sort();
  const conflicts: Conflict[] = [];
  const describe = (key: string): string => {
    if (key.startsWith('capability:')) {
      const cap = key.slice('capability:'.length) as CapabilityName;
      const by = catalog.platforms.filter((p) => p.provides[cap] === true).map((p) => p.name);
      return `${CAP_LABEL[cap] ?? cap} (offered by ${by.length ? by.join(', ') : 'no platform in the catalog'})`;
    }
    if (key.startsWith('compliance:')) return `${COMPLIANCE_LABEL[key.slice('compliance:'.length) as Compliance] ?? key} compliance`;
    if (key === 'self_hosting') return 'the self-hosting constraint';
    if (key === 'budget') return 'the budget';
    if (key.startsWith('region:')) return `region ${key.slice('region:'.length)}`;
    return key;
  };
  // Each stack's breaches as a bit mask over the keys, deduplicated: thousands of stacks share a
  // few dozen patterns, and "does some stack avoid all of these" becomes one AND per pattern.
  const bit = new Map(keys.map((k, i) => [k, 1n << BigInt(i)]));
  const masks = [...new Set(sets.map((s) => [...s].reduce((m, k) => m | (bit.get(k) ?? 0n), 0n)))];
  const maskOf = (group: string[]): bigint => group.reduce((m, k) => m | (bit.get(k) ?? 0n), 0n);
  const alone = keys.filter((k) => masks.every((m) => (m & (bit.get(k) ?? 0n)) !== 0n));
  for (const k of alone) {
    const closest = stacks.find((s) => s.violations.length === 1 && s.violations[0]?.constraint === k) ?? stacks[0];
    const v = closest?.violations.find((x) => x.constraint === k);
    conflicts.push({ constraints: [k], text: `No stack in the catalog ${meets} ${describe(k)}${v ? `: closest is ${closest?.name}, where ${v.text}` : ''}.` });
  }
  const rest = keys.filter((k) => !alone.includes(k));
  const meetsAll = (group: string[]): boolean => {
    const g = maskOf(group);
    return masks.some((m) => (m & g) === 0n);
  };
  const found: string[][] = [];
  const minimal = (group: string[]): boolean => !found.some((f) => f.every((k) => group.includes(k)));
  // Smallest groups first: pairs, then triples that contain no conflicting pair.
  for (let i = 0; i < rest.length; i++) {
    for (let j = i + 1; j < rest.length; j++) {
      const group = [rest[i] as string, rest[j] as string];
      if (meetsAll(group)) continue;
      found.push(group);
      const [a, b] = group as [string, string];
      const meetA = stacks.find((_, idx) => !sets[idx]?.has(a));
      const vb = meetA?.violations.find((x) => x.constraint === b);
      conflicts.push({
        constraints: group,
        text: `${cap1(describe(a))} and ${describe(b)} cannot both be ${met}: every stack that ${meets} the first ${verb === 'met' ? 'breaks' : 'breaks or leaves unconfirmed'} the second${meetA && vb ? ` (closest: ${meetA.name}, where ${vb.text})` : ''}.`,
      });
    }
  }
  for (let i = 0; i < rest.length && rest.length <= 12; i++) {
    for (let j = i + 1; j < rest.length; j++) {
      for (let k = j + 1; k < rest.length; k++) {
        const group = [rest[i] as string, rest[j] as string, rest[k] as string];
        if (!minimal(group) || meetsAll(group)) continue;
        found.push(group);
        conflicts.push({ constraints: group, text: `${cap1(describe(group[0] as string))}, ${describe(group[1] as string)} and ${describe(group[2] as string)} cannot all be ${met} by one stack.` });
      }
    }
  }
  if (conflicts.length === 0) {
    const closest = stacks[0];
    if (closest) {
      conflicts.push({
        constraints: [...new Set(closest.violations.map((v) => v.constraint))],
        text: `No stack ${meets} every hard constraint together; the closest, ${closest.name}, ${verb === 'met' ? 'breaks' : 'leaves open'}: ${closest.violations.map((v) => v.text).join('; ')}.`,
      });
    }
  }
  return conflicts.slice(0, 6);
}

const cap1 = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
