import {
  isSelfHostable,
  type Capability,
  type CapabilityName,
  type Catalog,
  type Compliance,
  type Platform,
} from './catalog.js';
import { costStack, type CostOptions, type Role, type StackCost, type StackMember } from './cost.js';
import { needsCompute, needsHosting, usageFromRequirements, type Requirements } from './requirements.js';
import type { Usage } from './usage.js';

/**
 * `baas advise`: builds candidate stacks by combining catalog platforms by role, checks hard
 * constraints, scores the rest by criterion and ranks them. Pure and deterministic: the same
 * requirements and catalog always give the same ranking.
 */

export interface Reason {
  /** The requirement key that produced this reason, e.g. `features.realtime`. */
  requirement: string;
  text: string;
  effect: 'pro' | 'con' | 'note';
}

export interface Violation {
  /** Constraint id, e.g. `self_hosting`, `budget`, `compliance:hipaa`, `capability:offline_sync`. */
  constraint: string;
  requirement: string;
  text: string;
}

export interface CriterionScore {
  id: string;
  label: string;
  weight: number;
  /** 0..1 */
  score: number;
  reasons: Reason[];
}

export interface RankedStack {
  rank: number;
  key: string;
  name: string;
  roles: Partial<Record<Role, string>>;
  /** 0..100, weighted over the criteria. */
  score: number;
  criteria: CriterionScore[];
  violations: Violation[];
  cost: {
    monthly: number;
    hasUnknown: boolean;
    plans: { platform: string; plan: string | null; monthly: number; hasUnknown: boolean }[];
    warnings: string[];
  };
}

export interface Conflict {
  constraints: string[];
  text: string;
}

export interface Advice {
  requirements: Requirements;
  usage: Usage;
  assumptions: string[];
  considered: number;
  satisfiable: boolean;
  /** When nothing satisfies every hard constraint: which ones cannot be met together. */
  conflicts: Conflict[];
  stacks: RankedStack[];
}

export interface AdviseOptions {
  top?: number;
}

const CAP_LABEL: Record<CapabilityName, string> = {
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

const ROLE_ORDER: Role[] = ['database', 'auth', 'compute', 'cache'];

interface Wanted {
  cap: CapabilityName;
  requirement: string;
  /** Which member must provide it; `any` = some member of the stack. */
  scope: Role | 'any';
  hard: boolean;
}

/** The capabilities the requirements ask for, each tied to the requirement key that asked. */
export function wantedCapabilities(r: Requirements): Wanted[] {
  const w: Wanted[] = [];
  const f = r.features;
  const add = (cap: CapabilityName, requirement: string, scope: Role | 'any', hard = true): void => void w.push({ cap, requirement, scope, hard });
  if (f.realtime) add('realtime', 'features.realtime', 'database');
  if (f.offline_sync) add('offline_sync', 'features.offline_sync', 'database');
  if (f.vector_search) add('vector_search', 'features.vector_search', 'database');
  if (f.branching) add('branching', 'features.branching', 'database');
  if (f.scale_to_zero) add('scale_to_zero', 'features.scale_to_zero', 'database', false);
  if (f.cache) add('cache', 'features.cache', 'cache');
  if (f.cache_ha) add('cache_ha', 'features.cache_ha', 'cache');
  if (f.containers) add('containers', 'features.containers', 'compute');
  if (f.functions) add('functions', 'features.functions', 'compute');
  if (f.edge) add('edge', 'features.edge', 'compute');
  if (f.file_storage || r.data.files_gb > 0) add('storage', f.file_storage ? 'features.file_storage' : 'data.files_gb', 'any');
  if (needsHosting(r)) add('hosting', `app.frontend (${r.app.frontend})`, 'compute');
  if (r.auth.needed && r.auth.enterprise_sso) add('enterprise_sso', 'auth.enterprise_sso', 'auth');
  if (r.auth.needed && r.auth.organizations) add('organizations', 'auth.organizations', 'auth', false);
  return w;
}

interface Candidate {
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

function providers(catalog: Catalog, role: Role): { platform: Platform; mode: 'cloud' | 'self-hosted' }[] {
  const ok = (p: Platform): boolean => {
    const c = p.provides;
    if (role === 'database') return c.database !== null;
    if (role === 'auth') return has(c.auth);
    if (role === 'compute') return has(c.hosting) || has(c.functions) || has(c.containers) || has(c.edge);
    if (role === 'cache') return has(c.cache);
    return has(c.storage);
  };
  return catalog.platforms.filter(ok).flatMap((p) => modes(p).map((mode) => ({ platform: p, mode })));
}

/** Every distinct stack that fills the roles the requirements need. */
export function candidateStacks(catalog: Catalog, r: Requirements): Candidate[] {
  const need: Record<Role, boolean> = {
    database: r.data.model !== 'none',
    auth: r.auth.needed,
    compute: needsCompute(r),
    cache: r.features.cache || r.features.cache_ha,
    storage: false,
  };
  const slots = ROLE_ORDER.map((role) => (need[role] ? providers(catalog, role).map((c) => ({ ...c, role })) : [null]));
  const seen = new Set<string>();
  const out: Candidate[] = [];
  const walk = (i: number, picked: { platform: Platform; mode: 'cloud' | 'self-hosted'; role: Role }[]): void => {
    if (i === slots.length) {
      const members: StackMember[] = [];
      for (const p of picked) {
        // Nhost auth without Nhost's database (and the like) is not a real option.
        if (p.platform.bundled.includes('auth') && p.role === 'auth' && !picked.some((q) => q.platform.id === p.platform.id && q.role === 'database')) return;
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

function stackName(members: StackMember[]): string {
  const names = members.map((m) => `${m.platform.name}${m.mode === 'self-hosted' && !m.platform.name.includes('self-hosted') ? ' (self-hosted)' : ''}`);
  return names.length === 1 ? `${names[0]} only` : names.join(' + ');
}

function holderOf(members: StackMember[], role: Role): StackMember | undefined {
  return members.find((m) => m.roles.includes(role));
}

function capabilityOf(members: StackMember[], w: Wanted): { value: Capability; by: StackMember | undefined } {
  if (w.scope === 'any') {
    let best: { value: Capability; by: StackMember | undefined } = { value: false, by: undefined };
    for (const m of members) {
      const v = m.platform.provides[w.cap];
      if (v === true) return { value: true, by: m };
      if (v === 'partial' && best.value === false) best = { value: 'partial', by: m };
    }
    return best;
  }
  const m = holderOf(members, w.scope);
  if (!m) return { value: false, by: undefined };
  let v = m.platform.provides[w.cap];
  // A container host can run your functions.
  if (w.cap === 'functions' && v === false && m.platform.provides.containers !== false) v = 'partial';
  return { value: v, by: m };
}

const money = (n: number): string => `$${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;

function costOptions(r: Requirements): CostOptions {
  return {
    commercial: r.app.commercial,
    alwaysOn: r.stage !== 'mvp',
    features: r.constraints.compliance,
    ...(r.constraints.vm_price !== undefined ? { vmPrice: r.constraints.vm_price } : {}),
  };
}

function checkConstraints(r: Requirements, members: StackMember[], cost: StackCost, wanted: Wanted[]): { violations: Violation[]; notes: Reason[] } {
  const violations: Violation[] = [];
  const notes: Reason[] = [];
  const c = r.constraints;
  if (c.self_hosting === 'required') {
    for (const m of members.filter((x) => x.mode === 'cloud')) {
      violations.push({ constraint: 'self_hosting', requirement: 'constraints.self_hosting', text: `${m.platform.name} is a hosted service and self-hosting is required` });
    }
  }
  if (c.self_hosting === 'no') {
    for (const m of members.filter((x) => x.mode === 'self-hosted')) {
      violations.push({ constraint: 'self_hosting', requirement: 'constraints.self_hosting', text: `${m.platform.name} would run on your own servers, and self-hosting is ruled out` });
    }
  }
  for (const comp of c.compliance) {
    const name = comp.toUpperCase();
    for (const m of members) {
      if (m.mode === 'self-hosted') continue;
      const entry = m.platform.compliance[comp as Compliance];
      if (!entry) {
        violations.push({ constraint: `compliance:${comp}`, requirement: 'constraints.compliance', text: `${m.platform.name}: ${name} not confirmed` });
      } else {
        notes.push({ requirement: 'constraints.compliance', effect: 'pro', text: `${name}: ${m.platform.name}${entry.plan ? ` on the ${entry.plan} plan` : ''}${entry.note ? ` (${entry.note})` : ''}` });
      }
    }
    if (members.some((m) => m.mode === 'self-hosted')) {
      notes.push({ requirement: 'constraints.compliance', effect: 'note', text: `${name} on your own servers is your responsibility (controls, audits, BAAs with your host)` });
    }
  }
  if (c.budget_monthly !== undefined) {
    const unpriced = cost.members.find((m) => m.lines.some((l) => l.component === 'base' && l.unknown));
    if (cost.knownTotal > c.budget_monthly) {
      violations.push({ constraint: 'budget', requirement: 'constraints.budget_monthly', text: `estimated ${money(cost.knownTotal)}/month is over the ${money(c.budget_monthly)} budget` });
    } else if (unpriced) {
      violations.push({ constraint: 'budget', requirement: 'constraints.budget_monthly', text: `${unpriced.name} ${unpriced.plan?.name ?? ''} has no published price, so the ${money(c.budget_monthly)} budget cannot be confirmed` });
    } else if (cost.hasUnknown) {
      notes.push({ requirement: 'constraints.budget_monthly', effect: 'note', text: `known cost ${money(cost.knownTotal)} is within budget, but part of the cost is unknown` });
    }
  }
  for (const region of c.regions) {
    for (const m of members) {
      if (m.mode === 'self-hosted') continue;
      const confirmed = m.platform.regions.confirmed;
      if (confirmed && !confirmed.includes(region.toLowerCase())) {
        violations.push({ constraint: `region:${region}`, requirement: 'constraints.regions', text: `${m.platform.name} does not list region ${region}` });
      } else if (!confirmed) {
        notes.push({ requirement: 'constraints.regions', effect: 'note', text: `${m.platform.name}: availability in ${region} not confirmed by the catalog` });
      }
    }
  }
  for (const w of wanted) {
    if (!w.hard) continue;
    const { value } = capabilityOf(members, w);
    if (value === false) {
      const holder = w.scope === 'any' ? undefined : holderOf(members, w.scope);
      const where = holder ? `${holder.platform.name} (the ${w.scope} part) does not provide it` : 'no part of the stack provides it';
      violations.push({ constraint: `capability:${w.cap}`, requirement: w.requirement, text: `${CAP_LABEL[w.cap]} is required and ${where}` });
    }
  }
  for (const m of cost.members) {
    // A plan that is missing only because of compliance is already reported above.
    if (m.noFit && !violations.some((v) => v.constraint.startsWith('compliance:') && v.text.startsWith(`${m.name}:`))) {
      violations.push({ constraint: 'plan', requirement: 'constraints', text: m.noFit });
    }
  }
  return { violations, notes };
}

function scoreStack(r: Requirements, members: StackMember[], cost: StackCost, wanted: Wanted[], constraintNotes: Reason[]): CriterionScore[] {
  const criteria: CriterionScore[] = [];

  // Capabilities.
  {
    const reasons: Reason[] = [];
    let sum = 0;
    let n = 0;
    for (const w of wanted) {
      const { value, by } = capabilityOf(members, w);
      n++;
      const note = by?.platform.notes[w.cap];
      if (value === true) {
        sum += 1;
        reasons.push({ requirement: w.requirement, effect: 'pro', text: `${CAP_LABEL[w.cap]}: ${by?.platform.name}${note ? ` (${note})` : ''}` });
      } else if (value === 'partial') {
        sum += 0.5;
        reasons.push({ requirement: w.requirement, effect: 'con', text: `${CAP_LABEL[w.cap]}: only partly, ${by?.platform.name}${note ? ` (${note})` : ''}` });
      } else {
        reasons.push({ requirement: w.requirement, effect: 'con', text: `${CAP_LABEL[w.cap]}: missing` });
      }
    }
    const style = r.features.api_style;
    if (style !== 'any') {
      n++;
      const m = members.find((x) => x.platform.provides.api.includes(style));
      if (m) {
        sum += 1;
        reasons.push({ requirement: 'features.api_style', effect: 'pro', text: `${style.toUpperCase()} API: ${m.platform.name}` });
      } else reasons.push({ requirement: 'features.api_style', effect: 'con', text: `no ${style.toUpperCase()} API out of the box` });
    }
    criteria.push({ id: 'capabilities', label: 'Capabilities', weight: 25, score: n === 0 ? 1 : sum / n, reasons });
  }

  // Data model.
  {
    const reasons: Reason[] = [];
    let score = 1;
    const db = holderOf(members, 'database');
    if (r.data.model !== 'none' && db?.platform.provides.database) {
      const have = db.platform.provides.database.model;
      const want = r.data.model;
      const table: Record<string, Record<string, number>> = {
        relational: { relational: 1, mixed: 1, document: 0.3 },
        document: { document: 1, mixed: 1, relational: 0.6 },
        mixed: { mixed: 1, relational: 0.7, document: 0.4 },
      };
      score = table[want]?.[have] ?? 0.5;
      const engine = db.platform.provides.database.engine;
      reasons.push({
        requirement: 'data.model',
        effect: score >= 1 ? 'pro' : 'con',
        text:
          score >= 1
            ? `${want} data fits ${db.platform.name} (${engine}, ${have})`
            : `${want} data on ${db.platform.name}'s ${have} model (${engine}) means reshaping it`,
      });
      if (db.platform.single_node && r.data.size_gb > 50) {
        score *= 0.6;
        reasons.push({ requirement: 'data.size_gb', effect: 'con', text: `${r.data.size_gb} GB on a single-server database` });
      }
    }
    criteria.push({ id: 'data', label: 'Data model', weight: 15, score, reasons });
  }

  // Stage and team: vendors to integrate, servers to run.
  {
    const reasons: Reason[] = [];
    let score = 1;
    const vendors = members.length;
    const step = r.stage === 'mvp' ? 0.15 : r.stage === 'growth' ? 0.1 : 0.05;
    if (vendors > 1) {
      score -= (vendors - 1) * step;
      reasons.push({ requirement: 'stage', effect: vendors > 2 ? 'con' : 'note', text: `${vendors} services to integrate and pay at the ${r.stage} stage` });
    } else {
      reasons.push({ requirement: 'stage', effect: 'pro', text: 'one service to learn, bill and secure' });
    }
    const selfHosted = members.filter((m) => m.mode === 'self-hosted');
    if (selfHosted.length > 0) {
      const wants = r.constraints.self_hosting === 'required' || r.constraints.self_hosting === 'preferred';
      const t = r.team_size;
      let pen = t <= 1 ? 0.5 : t <= 4 ? 0.35 : t <= 15 ? 0.2 : t <= 40 ? 0.1 : 0;
      if (r.stage === 'mvp') pen += 0.1;
      if (wants) pen /= 2;
      // Every self-hosted service is one more thing to upgrade and watch.
      pen *= 1 + 0.5 * (selfHosted.length - 1);
      score -= pen;
      if (pen > 0) reasons.push({ requirement: 'team_size', effect: 'con', text: `a team of ${t} runs ${selfHosted.length === 1 ? 'the servers' : `${selfHosted.length} self-hosted services`} (upgrades, backups, on-call)` });
      else reasons.push({ requirement: 'team_size', effect: 'pro', text: `a team of ${t} can carry its own servers` });
    }
    for (const m of members) {
      if (m.platform.single_node && r.stage !== 'mvp') {
        score -= r.stage === 'scale' ? 0.5 : 0.2;
        reasons.push({ requirement: 'stage', effect: 'con', text: `${m.platform.name} runs on one server: no high availability` });
      }
    }
    if (r.stage === 'scale' && r.auth.needed) {
      const auth = holderOf(members, 'auth');
      if (auth && auth.platform.provides.enterprise_sso === true && auth.platform.provides.organizations === true) {
        reasons.push({ requirement: 'stage', effect: 'pro', text: `${auth.platform.name} covers enterprise identity as you scale` });
      }
    }
    criteria.push({ id: 'stage', label: 'Stage & team', weight: 20, score: Math.max(0, Math.min(1, score)), reasons });
  }

  // Cost.
  {
    const reasons: Reason[] = [];
    const total = cost.knownTotal;
    const budget = r.constraints.budget_monthly;
    let score: number;
    if (budget !== undefined) {
      score = total > budget ? 0 : budget === 0 ? 1 : 1 - (0.5 * total) / budget;
      reasons.push({
        requirement: 'constraints.budget_monthly',
        effect: total > budget ? 'con' : 'pro',
        text: `${money(total)}/month${cost.hasUnknown ? ' + unknown' : ''} against a ${money(budget)} budget`,
      });
    } else {
      const ref = r.stage === 'mvp' ? 50 : r.stage === 'growth' ? 500 : 5000;
      score = 1 / (1 + total / ref);
      reasons.push({ requirement: 'stage', effect: 'note', text: `${money(total)}/month${cost.hasUnknown ? ' + unknown' : ''} at your usage` });
    }
    if (cost.hasUnknown) {
      score *= 0.9;
      reasons.push({ requirement: 'usage', effect: 'con', text: 'part of the price is not confirmed (see warnings)' });
    }
    criteria.push({ id: 'cost', label: 'Cost', weight: 20, score, reasons });
  }

  // Lock-in.
  {
    const reasons: Reason[] = [];
    const tol = r.constraints.lock_in_tolerance;
    const table: Record<string, Record<string, number>> = {
      low: { low: 1, medium: 0.5, high: 0 },
      medium: { low: 1, medium: 0.8, high: 0.4 },
      high: { low: 1, medium: 1, high: 0.8 },
    };
    // The stickiest part decides: adding an open-source part does not make leaving Firebase easier.
    let worst = 1;
    for (const m of members) {
      const level = m.mode === 'self-hosted' ? 'low' : m.platform.lock_in;
      worst = Math.min(worst, table[tol]?.[level] ?? 0.5);
      if (level !== 'low') {
        reasons.push({ requirement: 'constraints.lock_in_tolerance', effect: level === 'high' ? 'con' : 'note', text: `${m.platform.name}: ${level} lock-in (you accept ${tol})` });
      }
    }
    if (reasons.length === 0) reasons.push({ requirement: 'constraints.lock_in_tolerance', effect: 'pro', text: 'open source or standard Postgres/Docker: easy to leave' });
    criteria.push({ id: 'lock_in', label: 'Lock-in', weight: 10, score: worst, reasons });
  }

  // Ecosystem and frontend.
  {
    const reasons: Reason[] = [];
    const wantedTags = new Set(r.constraints.ecosystem.map((e) => e.toLowerCase()));
    if (['nextjs', 'react', 'vue', 'svelte', 'flutter'].includes(r.app.frontend)) wantedTags.add(r.app.frontend);
    if (r.app.kind === 'mobile' || ['react-native', 'flutter', 'mobile-native'].includes(r.app.frontend)) wantedTags.add('mobile');
    let hit = 0;
    // The frontend runs where the stack hosts it (most of the weight); first-class SDKs in
    // the backend parts count for the rest. Other tags may come from any part.
    const host = needsHosting(r) ? holderOf(members, 'compute') : undefined;
    for (const tag of wantedTags) {
      const requirement = r.constraints.ecosystem.includes(tag) ? 'constraints.ecosystem' : 'app.frontend';
      const fits = members.filter((x) => x.platform.ecosystems.includes(tag));
      if (host && tag === r.app.frontend) {
        const onHost = fits.includes(host);
        const backend = fits.filter((x) => x !== host);
        const others = members.filter((x) => x !== host).length;
        hit += (onHost ? 0.7 : 0) + (others > 0 ? (0.3 * backend.length) / others : 0);
        if (onHost) reasons.push({ requirement, effect: 'pro', text: `${tag}: ${host.platform.name} hosts it first-class` });
        else reasons.push({ requirement, effect: 'con', text: `${tag}: ${host.platform.name} is not built around it` });
        if (backend.length > 0) reasons.push({ requirement, effect: 'pro', text: `${tag} SDKs: ${backend.map((x) => x.platform.name).join(', ')}` });
      } else if (fits[0]) {
        hit++;
        reasons.push({ requirement, effect: 'pro', text: `${tag}: ${fits[0].platform.name} is built for it` });
      } else reasons.push({ requirement, effect: 'con', text: `${tag}: no first-class support in this stack` });
    }
    criteria.push({ id: 'ecosystem', label: 'Ecosystem', weight: 10, score: wantedTags.size ? hit / wantedTags.size : 1, reasons });
  }

  if (r.constraints.self_hosting === 'preferred') {
    const self = members.filter((m) => m.mode === 'self-hosted').length;
    criteria.push({
      id: 'self_hosting',
      label: 'Self-hosting',
      weight: 10,
      score: self / members.length,
      reasons: [{ requirement: 'constraints.self_hosting', effect: self === members.length ? 'pro' : 'con', text: `${self} of ${members.length} parts run on your servers` }],
    });
  }

  if (constraintNotes.length > 0) {
    criteria.push({ id: 'constraints', label: 'Constraints', weight: 0, score: 1, reasons: constraintNotes });
  }
  return criteria;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Ranks every candidate stack for the requirements. */
export function advise(catalog: Catalog, r: Requirements, options: AdviseOptions = {}): Advice {
  const { usage, assumptions } = usageFromRequirements(r);
  const opts = costOptions(r);
  const wanted = wantedCapabilities(r);
  const evaluated = candidateStacks(catalog, r).map((c) => {
    const cost = costStack(catalog, c.members, usage, opts);
    const { violations, notes } = checkConstraints(r, c.members, cost, wanted);
    const criteria = scoreStack(r, c.members, cost, wanted, notes);
    const totalWeight = criteria.reduce((s, x) => s + x.weight, 0);
    const score = round1((criteria.reduce((s, x) => s + x.weight * x.score, 0) / totalWeight) * 100);
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
      score,
      criteria,
      violations,
      cost: {
        monthly: cost.knownTotal,
        hasUnknown: cost.hasUnknown,
        plans: cost.members.map((m) => ({ platform: m.platform, plan: m.plan?.id ?? null, monthly: m.knownTotal, hasUnknown: m.hasUnknown })),
        warnings: cost.warnings,
      },
    };
    return stack;
  });
  evaluated.sort(
    (a, b) =>
      Number(a.violations.length > 0) - Number(b.violations.length > 0) ||
      a.violations.length - b.violations.length ||
      b.score - a.score ||
      a.cost.monthly - b.cost.monthly ||
      a.key.localeCompare(b.key),
  );
  const keys = new Set<string>();
  const ranked = evaluated.filter((s) => (keys.has(s.key) ? false : (keys.add(s.key), true)));
  ranked.forEach((s, i) => (s.rank = i + 1));
  const satisfiable = ranked.length > 0 && ranked[0]?.violations.length === 0;
  return {
    requirements: r,
    usage,
    assumptions,
    considered: ranked.length,
    satisfiable,
    conflicts: satisfiable ? [] : explainConflicts(catalog, ranked),
    stacks: ranked.slice(0, options.top ?? 5),
  };
}

/**
 * Names the hard constraints that cannot hold together: first any constraint no stack meets,
 * then pairs that no stack meets at once, each with the closest stack as evidence.
 */
export function explainConflicts(catalog: Catalog, stacks: RankedStack[]): Conflict[] {
  const sets = stacks.map((s) => new Set(s.violations.map((v) => v.constraint)));
  const keys = [...new Set(sets.flatMap((s) => [...s]))].sort();
  const conflicts: Conflict[] = [];
  const describe = (key: string): string => {
    if (key.startsWith('capability:')) {
      const cap = key.slice('capability:'.length) as CapabilityName;
      const by = catalog.platforms.filter((p) => p.provides[cap] === true).map((p) => p.name);
      return `${CAP_LABEL[cap] ?? cap} (offered by ${by.length ? by.join(', ') : 'no platform in the catalog'})`;
    }
    if (key.startsWith('compliance:')) return `${key.slice('compliance:'.length).toUpperCase()} compliance`;
    if (key === 'self_hosting') return 'the self-hosting constraint';
    if (key === 'budget') return 'the budget';
    if (key.startsWith('region:')) return `region ${key.slice('region:'.length)}`;
    return key;
  };
  const alone = keys.filter((k) => sets.every((s) => s.has(k)));
  for (const k of alone) {
    const closest = stacks.find((s) => s.violations.length === 1 && s.violations[0]?.constraint === k) ?? stacks[0];
    const v = closest?.violations.find((x) => x.constraint === k);
    conflicts.push({ constraints: [k], text: `No stack in the catalog meets ${describe(k)}${v ? `: closest is ${closest?.name}, where ${v.text}` : ''}.` });
  }
  const rest = keys.filter((k) => !alone.includes(k));
  const meetsAll = (group: string[]): boolean => sets.some((s) => group.every((k) => !s.has(k)));
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
        text: `${cap1(describe(a))} and ${describe(b)} cannot both be met: every stack that meets the first breaks the second${meetA && vb ? ` (closest: ${meetA.name}, where ${vb.text})` : ''}.`,
      });
    }
  }
  for (let i = 0; i < rest.length && rest.length <= 12; i++) {
    for (let j = i + 1; j < rest.length; j++) {
      for (let k = j + 1; k < rest.length; k++) {
        const group = [rest[i] as string, rest[j] as string, rest[k] as string];
        if (!minimal(group) || meetsAll(group)) continue;
        found.push(group);
        conflicts.push({ constraints: group, text: `${cap1(describe(group[0] as string))}, ${describe(group[1] as string)} and ${describe(group[2] as string)} cannot all be met by one stack.` });
      }
    }
  }
  if (conflicts.length === 0) {
    const closest = stacks[0];
    if (closest) {
      conflicts.push({
        constraints: [...new Set(closest.violations.map((v) => v.constraint))],
        text: `No stack meets every hard constraint together; the closest, ${closest.name}, breaks: ${closest.violations.map((v) => v.text).join('; ')}.`,
      });
    }
  }
  return conflicts.slice(0, 6);
}

const cap1 = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
