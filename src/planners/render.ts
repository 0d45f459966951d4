import { table } from '../format.js';
import type { Advice, RankedStack } from './advise.js';
import type { PlatformCost, Projection, StackCost } from './cost.js';
import type { MigrationPlan } from './migration.js';

/**
 * Text and Markdown renderings of planner results. Pure string builders (no printing), kept
 * next to the planners so the CLI layer stays a thin parse-call-print.
 */

const usd = (n: number): string => `${n < 0 ? '-' : ''}$${Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: n % 1 === 0 ? 0 : 2, maximumFractionDigits: 2 })}`;
const money = (n: number, unknown: boolean): string => (unknown ? `${usd(n)} + unknown` : usd(n));
const qty = (n: number | null): string => (n === null ? '' : n >= 1000 ? Math.round(n).toLocaleString('en-US') : String(Math.round(n * 1000) / 1000));
const pct = (n: number): string => `${Math.round(n * 100)}%`;
/** A share to one decimal (84.4%), where rounding to whole percents would hide the difference. */
const pct1 = (n: number): string => `${(n * 100).toFixed(1)}%`;
/** A capability or feature id in words (`scale_to_zero` as "scale to zero"). */
const spaced = (id: string): string => id.replace(/_/g, ' ');

function requirementLine(a: Advice): string {
  const r = a.requirements;
  const f = Object.entries(r.features)
    .filter(([k, v]) => k !== 'api_style' && v !== 'none')
    .map(([k, v]) => `${spaced(k)}${v === 'core' ? ' (core)' : ''}`);
  if (r.features.api_style !== 'any') f.push(`${r.features.api_style} API`);
  const c = r.constraints;
  const parts = [
    `${r.stage}, team ${r.team_size}`,
    `${r.app.kind}/${r.app.frontend}`,
    r.data.model === 'none' ? 'no database' : `${r.data.model} ${r.data.size_gb} GB`,
    ...(f.length ? [f.join(', ')] : []),
    r.auth.needed ? `auth ${r.auth.mau.toLocaleString('en-US')} MAU${r.auth.enterprise_sso ? ' + SSO' : ''}${r.auth.organizations ? ' + orgs' : ''}` : 'no auth',
    ...(c.self_hosting !== 'any' ? [`self-hosting ${c.self_hosting}`] : []),
    ...(c.budget_monthly !== undefined ? [`budget ${usd(c.budget_monthly)}/month`] : []),
    ...(c.compliance.length ? [c.compliance.map((x) => x.toUpperCase()).join('+')] : []),
    ...(c.regions.length ? [`regions ${c.regions.join(',')}`] : []),
    ...(r.decide ? [`deciding only ${r.decide.join(', ')}`] : []),
  ];
  return parts.join('; ');
}

/** The constraints column: what a stack breaks, worst first, or what it leaves unconfirmed. */
function constraintCell(s: RankedStack): string {
  if (s.violations.length === 0) return s.warnings.length ? `ok, ${s.warnings.length} unconfirmed` : 'ok';
  const order = { policy: 0, capability: 1, budget: 2 } as const;
  const worst = [...s.violations].sort((a, b) => order[a.severity] - order[b.severity]);
  const label = (v: (typeof worst)[number]): string => {
    if (v.constraint === 'budget') return v.over?.usd != null ? `budget +${usd(v.over.usd)}${v.over.ratio !== null ? ` (+${pct(v.over.ratio)})` : ''}` : 'budget unconfirmed';
    return spaced(v.constraint.replace(/^capability:/, '').replace(/^compliance:/, ''));
  };
  return `breaks ${[...new Set(worst.map(label))].join(', ')}`;
}

function stackRow(s: RankedStack): (string | number)[] {
  return [s.rank, s.name, s.score.toFixed(1), money(s.cost.monthly, s.cost.hasUnknown), s.roles.database ?? '-', s.roles.auth ?? '-', s.roles.compute ?? '-', constraintCell(s)];
}

function why(s: RankedStack): string[] {
  const out: string[] = [];
  for (const v of s.violations) out.push(`  ✗ ${v.text} [${v.requirement}]`);
  for (const v of s.warnings) out.push(`  ? ${v.text} [${v.requirement}]`);
  for (const c of s.criteria) {
    for (const r of c.reasons) out.push(`  ${r.effect === 'pro' ? '+' : r.effect === 'con' ? '-' : '·'} ${r.text} [${r.requirement}]`);
  }
  return out;
}

const scoreLine = (s: RankedStack): string => s.criteria.filter((c) => c.weight > 0).map((c) => `${c.label} ${pct(c.score)} (x${c.weight})`).join(', ');
const costLine = (s: RankedStack): string => s.cost.plans.map((p) => `${p.platform} ${p.plan ?? 'no plan fits'} ${money(p.monthly, p.hasUnknown)}`).join(', ');

export function adviceText(a: Advice): string {
  const lines: string[] = [];
  lines.push(`Requirements: ${requirementLine(a)}`);
  lines.push(`Considered ${a.considered} ${a.considered === 1 ? 'stack' : 'stacks'}.`, '');
  if (!a.satisfiable) {
    lines.push('No stack meets every hard constraint; the stacks below are ranked by least breach.');
    for (const c of a.conflicts) lines.push(`  ! ${c.text}`);
    lines.push('Relax one of the constraints above to get a clean pick.', '');
  } else if (a.firstConfirmed) {
    lines.push(confirmedNote(a, a.firstConfirmed), '');
  } else if (!a.confirmed) {
    lines.push('No stack is confirmed to meet every hard constraint: the first picks break none, but no vendor page confirms:');
    for (const c of a.conflicts) lines.push(`  ? ${c.text}`);
    lines.push('Confirm the open facts with the vendors (see `?` lines below) before relying on the pick.', '');
  }
  lines.push(table(['#', 'Stack', 'Score', '$/month', 'Database', 'Auth', 'Compute', 'Constraints'], a.stacks.map(stackRow), { alignRight: [0, 2, 3] }).trimEnd());
  const top = a.stacks[0];
  if (top) {
    lines.push('', `Why #1 ${top.name}:`);
    lines.push(...why(top));
    if (top.alsoHostedOn?.length) lines.push(`  · the static build runs as well on ${(top.alsoHostedOnNames ?? top.alsoHostedOn).join(', ')} (the same stack on another host, folded into this line)`);
    lines.push('', `Score: ${scoreLine(top)}`);
    lines.push(`Cost: ${costLine(top)} (run \`baas cost --stack ${top.key.replace(/\+/g, ',')}\` for the breakdown)`);
    if (top.cost.warnings.length) {
      lines.push('Warnings:');
      for (const w of top.cost.warnings) lines.push(`  ! ${w}`);
    }
  }
  const alternatives = alternativeNote(a) ?? tieNote(a);
  if (alternatives) lines.push('', alternatives);
  for (const s of a.stacks.slice(1)) {
    const cons = [...s.violations.map((v) => v.text), ...s.warnings.map((v) => v.text)];
    if (cons.length) lines.push(`#${s.rank} ${s.name}: ${cons.join('; ')}`);
  }
  lines.push('', 'Assumptions:');
  for (const x of a.assumptions) lines.push(`  · ${x}`);
  lines.push('', `Run \`baas advise ... --explain <rank>\` for one stack's full score breakdown.`);
  return `${lines.join('\n')}\n`;
}

/** `--explain <rank>`: one stack's breaches, warnings, every criterion with its weight and contribution, and its cost lines. */
export function explainText(a: Advice, s: RankedStack): string {
  const lines: string[] = [];
  const weight = s.criteria.reduce((sum, c) => sum + c.weight, 0);
  lines.push(`#${s.rank} of ${a.considered}: ${s.name} (${s.key}), score ${s.score.toFixed(1)}, ${money(s.cost.monthly, s.cost.hasUnknown)}/month`);
  lines.push(`Requirements: ${requirementLine(a)}`, '');
  lines.push(`Roles: ${Object.entries(s.roles).map(([role, id]) => `${role} ${id}${s.selfHosted.includes(id) ? ' (self-hosted)' : ''}`).join(', ')}`, '');
  lines.push('Breaches (they rank a stack before its score: policy, then capability, then budget):');
  if (s.violations.length === 0) lines.push('  none');
  for (const v of s.violations) lines.push(`  ✗ [${v.severity}] ${v.text} [${v.requirement}]`);
  lines.push('Unconfirmed (warnings, neither a pass nor a breach):');
  if (s.warnings.length === 0) lines.push('  none');
  for (const v of s.warnings) lines.push(`  ? ${v.text} [${v.requirement}]`);
  lines.push('');
  const rows = s.criteria
    .filter((c) => c.weight > 0)
    .map((c) => [c.label, String(c.weight), pct(c.score), weight ? ((c.weight * c.score * 100) / weight).toFixed(1) : '0']);
  rows.push(['Total', String(weight), '', s.score.toFixed(1)]);
  lines.push(table(['Criterion', 'Weight', 'Score', 'Points'], rows, { alignRight: [1, 2, 3] }).trimEnd());
  lines.push(
    `Among stacks of the same score: unconfirmed facts ${s.warnings.length} (fewer first), then track record ${pct1(s.trackRecord)} on average, then what the platforms offer (${s.offers.length}: ${s.offers.map(spaced).join(', ')}), then cost.`,
    '',
  );
  for (const c of s.criteria) {
    if (c.reasons.length === 0) continue;
    lines.push(`${c.label}:`);
    for (const r of c.reasons) lines.push(`  ${r.effect === 'pro' ? '+' : r.effect === 'con' ? '-' : '·'} ${r.text} [${r.requirement}]`);
  }
  lines.push('');
  if (s.cost.members) for (const m of s.cost.members) lines.push(platformCostText(m));
  else lines.push(`Cost: ${costLine(s)}`);
  if (s.cost.warnings.length) lines.push('Warnings:', ...s.cost.warnings.map((w) => `  ! ${w}`));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** When #1 and #2 breach alike and score alike, the line that says what put #1 first (advise's `tieBreak`), or nothing. */
function tieNote(a: Advice): string | undefined {
  const [first, second] = a.stacks;
  if (!a.tieBreak || !first || !second) return undefined;
  const alike = `#1 and #2 score alike (${first.score.toFixed(1)}); #1 comes first because`;
  switch (a.tieBreak) {
    case 'warnings':
      return `${alike} fewer of its facts are unconfirmed (${first.warnings.length} against ${second.warnings.length}; \`?\` lines under --explain).`;
    case 'trackRecord':
      return `${alike} its parts have the better track record on average (${pct1(first.trackRecord)} against ${pct1(second.trackRecord)}; Maturity under --explain).`;
    case 'offers':
      return `${alike} its platforms offer more, room to grow (${first.offers.filter((x) => !second.offers.includes(x)).map(spaced).join(', ')}).`;
    case 'cost':
      return `${alike} it costs less.`;
  }
}

/**
 * When #1 breaks nothing but leaves facts unconfirmed and another stack is confirmed on every
 * hard constraint: an unknown is not a breach, so it ranks by score; say where the confirmed one is.
 */
function confirmedNote(a: Advice, c: NonNullable<Advice['firstConfirmed']>): string {
  const n = a.stacks[0]?.warnings.length ?? 0;
  return `#1 breaks no hard constraint but leaves ${n === 1 ? 'a fact' : `${n} facts`} unconfirmed (\`?\` below): an unknown counts as neither a pass nor a breach. The best stack confirmed on every hard constraint: #${c.rank} ${c.name} (score ${c.score.toFixed(1)}${c.rank > a.stacks.length ? `; \`--top ${c.rank}\` shows it` : ''}).`;
}

/** The line that says which picks were moved up as other approaches (secondAsAlternative, signInAsAlternative), or nothing. */
function alternativeNote(a: Advice): string | undefined {
  const alt = a.stacks[1]?.alternativeTo;
  const alt3 = a.stacks[2]?.alternativeTo;
  const signIn = a.stacks[2]?.signInAlternativeTo;
  const signInText = signIn ? `the best stack whose users sign in apart from its data (#1 and #2 keep them in ${signIn.join(' and ')})` : undefined;
  // A look-alike passed over (the same database engine and model, keeping the users) is named.
  const kin = (x: typeof alt, their: 'its' | 'their'): string => (x?.lookAlike ? ` ${their === 'its' ? 'or' : 'nor'} one of ${their} kind (${x.lookAlike}: the same engine and data model, holding the users too)` : '');
  const second = alt && `#2 is the best stack on another ${alt.role} platform than ${alt.platform}${kin(alt, 'its')}`;
  if (second && alt3?.also) return `${second}, #3 the best on neither ${alt3.platform} nor ${alt3.also}${alt3.lookAlike !== alt.lookAlike ? kin(alt3, 'their') : ''}; the stacks after them resume score order (variants included).`;
  if (second && signInText) return `${second}, #3 ${signInText}; the stacks after them resume score order (variants of #1 included).`;
  if (second) return `${second}; the stacks after it resume score order (variants of #1 included).`;
  if (alt3?.lookAlike) return `#3 is the best stack on neither ${alt3.platform} nor ${alt3.also}${kin(alt3, 'their')}; the stacks after it resume score order (variants included).`;
  if (signInText) return `#3 is ${signInText}; the stacks after it resume score order.`;
  return undefined;
}

export function adviceMarkdown(a: Advice): string {
  const lines: string[] = [];
  lines.push(`# Stack advice${a.requirements.name ? `: ${a.requirements.name}` : ''}`, '', `**Requirements:** ${requirementLine(a)}`, '');
  if (!a.satisfiable) {
    lines.push('> **No stack meets every hard constraint; the stacks below are ranked by least breach.**');
    for (const c of a.conflicts) lines.push(`> - ${c.text}`);
    lines.push('');
  } else if (a.firstConfirmed) {
    lines.push(`> ${confirmedNote(a, a.firstConfirmed)}`, '');
  } else if (!a.confirmed) {
    lines.push('> **No stack is confirmed to meet every hard constraint: the first picks break none, but leave facts unconfirmed.**');
    for (const c of a.conflicts) lines.push(`> - ${c.text}`);
    lines.push('');
  }
  lines.push('| # | Stack | Score | $/month | Database | Auth | Compute | Constraints |', '|---|---|---:|---:|---|---|---|---|');
  for (const s of a.stacks) lines.push(`| ${stackRow(s).join(' | ')} |`);
  const alternatives = alternativeNote(a) ?? tieNote(a);
  if (alternatives) lines.push('', alternatives);
  for (const s of a.stacks) {
    lines.push('', `## ${s.rank}. ${s.name} (${s.score.toFixed(1)})`, '');
    lines.push('| Criterion | Weight | Score |', '|---|---:|---:|');
    for (const c of s.criteria.filter((x) => x.weight > 0)) lines.push(`| ${c.label} | ${c.weight} | ${pct(c.score)} |`);
    lines.push('');
    for (const l of why(s)) lines.push(`- ${l.trim()}`);
    lines.push(`- Cost: ${costLine(s)}`);
  }
  lines.push('', '## Assumptions', '', ...a.assumptions.map((x) => `- ${x}`));
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- cost

export function platformCostText(c: PlatformCost): string {
  const head = `${c.name}${c.plan ? ` — ${c.plan.name}` : ''}`;
  if (c.noFit) return `${head}\n  ${c.noFit}\n`;
  const rows = c.lines.map((l) => [
    l.label,
    qty(l.quantity),
    l.included === null ? '' : typeof l.included === 'number' ? qty(l.included) : l.included,
    l.unit,
    l.price ?? 'unknown',
    l.unknown ? (l.monthly > 0 ? `${usd(l.monthly)} + unknown` : 'unknown') : usd(l.monthly),
  ]);
  rows.push(['Total', '', '', '', '', money(c.knownTotal, c.hasUnknown)]);
  const body = table(['Component', 'Monthly qty', 'Included', 'Unit', 'Price', 'Monthly cost'], rows, { alignRight: [1, 2, 5] });
  const notes = [...new Set([...c.notes, ...c.lines.filter((l) => l.assumption).map((l) => `${l.label}: ${l.assumption}`)])];
  // Where each price comes from and how old it is, so that a stale figure shows (`--sources` lists each).
  const dated = [...new Set(c.lines.filter((l) => l.source && l.as_of).map((l) => `prices from ${l.source}, as of ${l.as_of}`))];
  return `${head}\n${body.trimEnd().replace(/^/gm, '  ')}\n${[...notes, ...dated].map((n) => `  · ${n}\n`).join('')}`;
}

export function costSummaryText(costs: PlatformCost[]): string {
  const rows = costs.map((c) => [c.name, c.plan?.name ?? 'no plan fits', c.noFit ? 'n/a' : money(c.knownTotal, c.hasUnknown)]);
  return table(['Platform', 'Plan', 'Monthly cost'], rows, { alignRight: [2] });
}

export function stackCostText(s: StackCost): string {
  const parts = s.members.map(platformCostText);
  parts.push(`Stack total: ${money(s.knownTotal, s.hasUnknown)}/month\n`);
  return parts.join('\n');
}

export function projectionText(p: Projection): string {
  const names = Object.keys(p.months[0]?.plans ?? {});
  const rows = p.months.map((m) => [m.month, ...names.map((n) => m.plans[n] ?? '-'), money(m.knownTotal, m.hasUnknown)]);
  const lines = [
    `Projection: ${p.months.length} months, usage growing ${Math.round(p.growthPerMonth * 1000) / 10}% a month`,
    table(['Month', ...names, 'Monthly cost'], rows, { alignRight: [0, names.length + 1] }).trimEnd(),
    `Total over ${p.months.length} months: ${usd(p.knownTotal)}${p.months.some((m) => m.hasUnknown) ? ' + unknown' : ''}`,
  ];
  if (p.planChanges.length) {
    lines.push('Plan changes:');
    for (const c of p.planChanges) lines.push(`  month ${c.month}: ${c.platform} ${c.from ?? 'none'} → ${c.to ?? 'no plan fits'}`);
  } else lines.push('No plan change in this period.');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- migration

export function migrationText(m: MigrationPlan): string {
  const lines: string[] = [];
  lines.push(`Migration plan: ${m.from.name} → ${m.to.name}`);
  for (const s of m.summary) lines.push(s);
  if (m.inspection) {
    const i = m.inspection;
    lines.push('', `Inspected ${i.url}: Postgres ${i.serverVersion}, ${(i.sizeBytes / 1024 ** 2).toFixed(1)} MB, ${i.tables.length} table${i.tables.length === 1 ? '' : 's'}, extensions: ${i.extensions.map((e) => e.name).join(', ') || 'none'}, RLS on ${i.tables.filter((t) => t.rls).length} tables (${i.policies.length} policies), ${i.roles.length} roles${i.pooled ? ', POOLED connection' : ''}`);
    const top = i.tables.slice(0, 10).map((t) => [`${t.schema}.${t.name}`, t.rowEstimate === null ? 'unknown' : qty(t.rowEstimate), `${Math.max(1, Math.round(t.bytes / 1024))} kB`, t.rls ? 'yes' : '']);
    if (top.length) lines.push(table(['Table', 'Rows (est.)', 'Size', 'RLS'], top, { alignRight: [1, 2] }).trimEnd());
  }
  lines.push('', `Effort: ${m.effort.days.low}-${m.effort.days.high} working days (${m.effort.drivers.join('; ')})`, '');
  for (const p of m.phases) {
    lines.push(`${p.name} (${p.days.low}-${p.days.high} days)`);
    for (const a of p.activities) lines.push(`  - ${a}`);
  }
  lines.push('', 'Risks:');
  lines.push(table(['Risk', 'Likelihood', 'Impact'], m.risks.map((r) => [r.title, r.likelihood, r.impact])).trimEnd());
  for (const r of m.risks) lines.push(`  ${r.title}\n    because ${r.because}\n    mitigation: ${r.mitigation}`);
  lines.push('', 'Rollback:', ...m.rollback.map((r) => `  - ${r}`));
  lines.push('', 'Checklist:', ...m.checklist.map((c) => `  [ ] ${c}`));
  if (m.assumptions.length) lines.push('', 'Assumptions:', ...m.assumptions.map((a) => `  · ${a}`));
  return `${lines.join('\n')}\n`;
}

export function migrationMarkdown(m: MigrationPlan): string {
  const lines: string[] = [];
  lines.push(`# Migration plan: ${m.from.name} → ${m.to.name}`, '', ...m.summary, '');
  if (m.inspection) {
    const i = m.inspection;
    lines.push('## What the source holds', '', `- Server: Postgres ${i.serverVersion} at \`${i.url}\``, `- Size: ${(i.sizeBytes / 1024 ** 2).toFixed(1)} MB in ${i.tables.length} tables`);
    lines.push(`- Extensions: ${i.extensions.map((e) => `${e.name} ${e.version}`).join(', ') || 'none'}`, `- RLS: ${i.tables.filter((t) => t.rls).length} tables, ${i.policies.length} policies`, `- Roles: ${i.roles.map((r) => r.name).join(', ')}`, '');
  }
  lines.push(`## Phases (${m.effort.days.low}-${m.effort.days.high} working days)`, '');
  for (const p of m.phases) {
    lines.push(`### ${p.name} (${p.days.low}-${p.days.high} days)`, '', ...p.activities.map((a) => `- ${a}`), '');
  }
  lines.push('## Risks', '', '| Risk | Likelihood | Impact | Mitigation |', '|---|---|---|---|');
  for (const r of m.risks) lines.push(`| ${r.title} (${r.because}) | ${r.likelihood} | ${r.impact} | ${r.mitigation} |`);
  lines.push('', '## Rollback', '', ...m.rollback.map((r) => `1. ${r}`), '', '## Checklist', '', ...m.checklist.map((c) => `- [ ] ${c}`));
  return `${lines.join('\n')}\n`;
}
