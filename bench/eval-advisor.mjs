#!/usr/bin/env node
// Evaluation of `baas advise` on cases written from public stories (customer stories, team
// write-ups, decision records): how often its first pick, and its first three, agree with the
// stack each team actually chose, and how often it puts first a stack that breaks a hard
// constraint while one that breaks none exists. The groups are printed apart (see
// test/fixtures/scenarios/cases/README.md): round 1's tuning and validation halves (split by
// rule), round 2's held-out half, and the blind halves of rounds 3 onward, written by people who
// never saw the scorer. Each round tuned on every group before it; the newest blind half is the
// validation of record. A score there far below the others is over-fitting.
//
//   npm run eval:advisor          (builds first)   node bench/eval-advisor.mjs --json | --cases | --jobs 1
//   node bench/eval-advisor.mjs --halves tuning,validation,holdout,blind_r3,blind_r4,blind_r5,blind_r6,blind_r7   (leave the newest unscored)
//
// Prints the targets beside each group but the first with met/missed. Exits 0 when it ran: a
// missed agreement target is a finding, not a broken build. With --check (CI), exits 3 when any
// group scored has a needless break (a first pick that breaks a hard constraint while a stack
// that breaks none exists): advise promises none, whatever its agreement. Exit 2: bad options.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { byMainPlatform, byProposal, EVAL_TARGETS, evaluate, HALVES, LATER_HALVES, loadCases, OF_RECORD, pooledBlind, sharedRequirements, splitCases } from '../dist/planners/advise-eval.js';
import { loadCatalog } from '../dist/planners/catalog.js';

// A worker thread scores its share of the groups and posts the results back (see --jobs).
if (!isMainThread) {
  const { cases, split, names, reference } = workerData;
  parentPort.postMessage(evaluate(loadCatalog(), cases, split, undefined, names, reference));
} else await main();

async function main() {
const dir = fileURLToPath(new URL('../test/fixtures/scenarios/cases/', import.meta.url));
const json = process.argv.includes('--json');
const showCases = process.argv.includes('--cases') || process.argv.includes('-v');
const check = process.argv.includes('--check');
// --jobs N: the groups split between N worker threads (default: 2 where the machine has 2
// cores); the results are the same as with --jobs 1, in the same order.
const jobsAt = process.argv.indexOf('--jobs');
const jobs = jobsAt > 0 ? Number(process.argv[jobsAt + 1]) : Math.min(2, availableParallelism());
if (!(Number.isInteger(jobs) && jobs >= 1 && jobs <= 16)) {
  console.error(`--jobs takes a whole number from 1 to 16 (got ${process.argv[jobsAt + 1] ?? 'nothing'}).`);
  process.exit(2);
}

const at = process.argv.indexOf('--halves');
const asked = at > 0 ? (process.argv[at + 1] ?? '').split(',').filter(Boolean) : [...HALVES];
const unknown = asked.filter((h) => !HALVES.includes(h));
if (unknown.length > 0 || asked.length === 0) {
  console.error(`--halves takes a comma-separated list of ${HALVES.join(', ')} (got ${process.argv[at + 1] ?? 'nothing'}).`);
  process.exit(2);
}
const cases = loadCases(dir);
const recorded = JSON.parse(readFileSync(`${dir}/split.json`, 'utf8'));
const later = new Set(LATER_HALVES.flatMap((h) => recorded[h]));
const rule = splitCases(cases.map((c) => c.file).filter((f) => !later.has(f)));
const splitOk = JSON.stringify(rule.tuning) === JSON.stringify(recorded.tuning) && JSON.stringify(rule.validation) === JSON.stringify(recorded.validation);
const started = performance.now();
// The architect reference: for each blind case, three stacks picked by a separate agent that
// saw only the requirements (not the story, the scorer or advise); see the cases README.
const referenceFile = `${dir}/architect-reference.json`;
const reference = existsSync(referenceFile) ? JSON.parse(readFileSync(referenceFile, 'utf8')) : {};
const catalog = loadCatalog();
const halves = await evaluateInParts(HALVES.filter((h) => asked.includes(h)));
const seconds = (performance.now() - started) / 1000;
// By the platform holding the main role the teams chose, over every blind half scored.
const blindHalves = halves.filter((h) => h.name.startsWith('blind_'));
const classes = byMainPlatform(blindHalves);
// How often each platform is in the first three, advise's and the reference's, beside the teams' choices.
const proposals = byProposal(blindHalves);
// Blind cases with the same requirements but different choices: the most one answer per set can agree with.
const shared = sharedRequirements(catalog, cases, blindHalves.flatMap((h) => h.cases));

if (json) {
  // No process.exit() after a large write: on a pipe it would cut the output short.
  process.stdout.write(`${JSON.stringify({ splitMatchesRule: splitOk, targets: EVAL_TARGETS, halves, classes, proposals, shared, seconds }, null, 2)}\n`);
} else printText();
// Every case of every group scored: the eval test samples the groups and leaves the whole check to this.
const needless = halves.flatMap((h) => h.cases.filter((c) => c.needlessBreach).map((c) => `${h.name}/${c.file}`));
if (check && needless.length > 0) {
  console.error(`advise broke a hard constraint needlessly in ${needless.length} case${needless.length === 1 ? '' : 's'} (${needless.slice(0, 5).join(', ')}${needless.length > 5 ? ', ...' : ''}): its first pick breaks one while a stack that breaks none exists.`);
  console.error('Hint: node bench/eval-advisor.mjs --cases lists each case with its first pick; baas advise --file <case> --explain 1 shows the breach.');
  process.exitCode = 3;
}

/**
 * Scores the groups, split into `jobs` runs of consecutive groups of about as many cases each,
 * one worker thread per run, and puts the results back in order.
 */
async function evaluateInParts(names) {
  const size = (h) => recorded[h].length;
  const total = names.reduce((t, h) => t + size(h), 0);
  const parts = [];
  let part = [];
  let done = 0;
  for (const h of names) {
    part.push(h);
    done += size(h);
    if (done >= (total * (parts.length + 1)) / jobs && parts.length < jobs - 1) {
      parts.push(part);
      part = [];
    }
  }
  if (part.length > 0) parts.push(part);
  if (parts.length <= 1) return evaluate(catalog, cases, recorded, undefined, names, reference);
  const results = await Promise.all(
    parts.map(
      (share) =>
        new Promise((resolve, reject) => {
          // Only the cases of its own groups: a worker gets a copy of what it is sent.
          const mine = new Set(share.flatMap((h) => recorded[h]));
          const data = { cases: cases.filter((c) => mine.has(c.file)), split: recorded, names: share, reference };
          const worker = new Worker(new URL(import.meta.url), { workerData: data });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`an eval worker stopped with exit code ${code}`))));
        }),
    ),
  );
  return results.flat();
}

function printText() {
const pct = (n, d) => (d === 0 ? '-' : `${Math.round((n / d) * 100)}%`);
const met = (ok) => (ok ? 'met' : 'missed');
// Wilson score interval (95%) for k agreements in n cases: how far a figure from ~35 cases can
// be from the rate a much larger set of such stories would give.
const wilson = (k, n) => {
  if (n === 0) return [0, 1];
  const z = 1.96;
  const p = k / n;
  const mid = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, mid - half), Math.min(1, mid + half)];
};
const interval = (k, n) => wilson(k, n).map((x) => `${Math.round(x * 100)}`).join('-') + '%';
console.log(`advise eval: ${cases.length} cases, split ${splitOk ? 'matches' : 'DOES NOT match'} its rule, ${seconds.toFixed(1)} s${asked.length < HALVES.length ? ` (scored: ${asked.join(', ')})` : ''}`);
for (const h of halves) {
  const n = h.cases.length;
  const line = `${h.name.padEnd(10)} n=${String(n).padStart(2)}  top-1 ${String(h.top1).padStart(2)}/${n} (${pct(h.top1, n)})  top-3 ${String(h.top3).padStart(2)}/${n} (${pct(h.top3, n)})  hard-constraint breaks while a clean stack exists: ${h.needlessBreaches}`;
  console.log(line);
  const ref = h.reference;
  if (ref) {
    console.log(
      `  architect reference (${ref.n} cases, requirements only): its first pick agrees ${ref.top1}/${ref.n} (${pct(ref.top1, ref.n)}), one of its three ${ref.top3}/${ref.n} (${pct(ref.top3, ref.n)}); advise's first pick is one of its three: ${ref.adviseFirstAmongThree}/${ref.n}`,
    );
  }
  if (h.name !== 'tuning') {
    console.log(
      `  targets on ${h.name}${h.name === OF_RECORD ? ' (the validation of record)' : ' (tuned on since)'}: top-1 >= ${EVAL_TARGETS.top1 * 100}% ${met(h.top1 / n >= EVAL_TARGETS.top1)}, top-3 >= ${EVAL_TARGETS.top3 * 100}% ${met(h.top3 / n >= EVAL_TARGETS.top3)}, needless breaks = 0 ${met(h.needlessBreaches === 0)}`,
    );
  }
  if (h.name === OF_RECORD) console.log(`  95% intervals on ${n} cases: top-1 ${interval(h.top1, n)}, top-3 ${interval(h.top3, n)}`);
}
// Every blind half together, scored by today's scorer: larger, so a narrower interval, but every
// half but the newest has been tuned on since it was written.
if (blindHalves.length > 1) {
  const { n, top1: t1, top3: t3, reference: { n: rn, top1: r1, top3: r3 } } = pooledBlind(blindHalves);
  console.log(`all blind halves together (n=${n}, all but ${OF_RECORD} tuned on since): top-1 ${t1}/${n} (${pct(t1, n)}, 95% interval ${interval(t1, n)}), top-3 ${t3}/${n} (${pct(t3, n)}, ${interval(t3, n)}); architect reference ${r1}/${rn} (${pct(r1, rn)}), ${r3}/${rn} (${pct(r3, rn)})`);
}
if (shared.sets > 0) {
  const { sets, cases: k, best, advise: a, reference: r } = shared;
  console.log(`same requirements, different choices: ${sets} requirement sets are each shared by 2 or more blind cases (${k} cases); one answer per set agrees with at most ${best} of them (${pct(best, k)}), advise's first pick with ${a} (${pct(a, k)}), the architect reference's with ${r} (${pct(r, k)})`);
}
if (blindHalves.length > 1) {
  console.log('by the main platform the teams chose (all blind halves): cases, advise first/first three, architect reference first/first three');
  for (const r of classes) {
    console.log(`  ${r.platform.padEnd(12)} ${String(r.n).padStart(4)}   advise ${`${r.top1}/${r.top3}`.padEnd(8)} reference ${r.reference.n === r.n ? '' : `(${r.reference.n} cases) `}${r.reference.top1}/${r.reference.top3}`);
  }
  console.log('in the first three (all blind halves): cases with each platform in advise\'s first three, in the architect reference\'s three, and named by the team');
  for (const r of proposals) {
    console.log(`  ${r.platform.padEnd(12)} advise ${String(r.advise).padStart(5)}   reference ${String(r.reference).padStart(5)}   team ${String(r.named).padStart(5)}`);
  }
}
for (const h of halves) {
  const missed = h.cases.filter((c) => !c.top1);
  if (missed.length === 0 && !showCases) continue;
  console.log(`${h.name} ${showCases ? 'cases' : 'misses (top-1)'}:`);
  for (const c of showCases ? h.cases : missed) {
    console.log(`  ${c.top1 ? 'ok  ' : c.top3 ? 'top3' : 'miss'} ${c.file.padEnd(38)} first pick ${c.pick}, the team's (${c.chosen}) ${c.rank ? `at #${c.rank}` : 'not in the first 20'}${c.unsatisfiable ? ' (no stack meets every hard constraint)' : ''}`);
  }
}
}
}
