#!/usr/bin/env node
// How each weight of `baas advise` moves its agreement with real teams: every numeric weight in
// templates/catalog/advisor-weights.yaml is moved once down and once up (a share by 0.2, any
// other number by half), every evaluation group is scored with each variant, and the gain is
// printed for two folds of the groups (A: tuning, held-out and the odd blind rounds; B:
// validation and the even ones). A change that helps one fold and not the other is noise; round
// 16 took only changes that helped both (see test/fixtures/scenarios/cases/README.md).
//
//   npm run build && node bench/advisor-sensitivity.mjs [--halves a,b,...] [--shard i/n] [--json] [--only path,path]
//
// About 14 s per variant on one core (some 200 variants: run two shards side by side and
// concatenate their --json lines). The newest blind half (the validation of record) is left out
// unless --halves names it: tuning on it would spend the only blind measure there is.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluate, HALVES, loadCases, OF_RECORD } from '../dist/planners/advise-eval.js';
import { loadCatalog } from '../dist/planners/catalog.js';
import { loadWeights, weightsSchema } from '../dist/planners/advise-weights.js';

const arg = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const json = process.argv.includes('--json');
const halves = (arg('--halves') ?? HALVES.filter((h) => h !== OF_RECORD).join(',')).split(',').filter(Boolean);
const unknown = halves.filter((h) => !HALVES.includes(h));
if (unknown.length > 0) {
  console.error(`--halves: unknown group ${unknown.join(', ')} (known: ${HALVES.join(', ')}).`);
  process.exit(2);
}
const [shard, of] = (arg('--shard') ?? '0/1').split('/').map(Number);
if (!(of >= 1 && shard >= 0 && shard < of)) {
  console.error('--shard takes i/n with 0 <= i < n, e.g. --shard 0/2.');
  process.exit(2);
}
const only = arg('--only')?.split(',');

const dir = fileURLToPath(new URL('../test/fixtures/scenarios/cases/', import.meta.url));
const cases = loadCases(dir);
const split = JSON.parse(readFileSync(`${dir}/split.json`, 'utf8'));
const catalog = loadCatalog();
const base = loadWeights();

const odd = (h) => h === 'tuning' || h === 'holdout' || (h.startsWith('blind_r') && Number(h.slice(7)) % 2 === 1);
const folds = { A: halves.filter(odd), B: halves.filter((h) => !odd(h)) };

const score = (weights) => {
  const out = {};
  for (const h of evaluate(catalog, cases, split, weights, halves, {})) out[h.name] = { top1: h.top1, top3: h.top3, breaches: h.needlessBreaches };
  return out;
};
const foldSum = (s, fold) => folds[fold].reduce((t, h) => ({ top1: t.top1 + s[h].top1, top3: t.top3 + s[h].top3, breaches: t.breaches + s[h].breaches }), { top1: 0, top3: 0, breaches: 0 });

const leaves = [];
(function walk(o, path) {
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number') leaves.push([...path, k]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v, [...path, k]);
  }
})(base, []);
const variants = [];
for (const path of leaves) {
  if (only && !only.includes(path.join('.'))) continue;
  const from = path.reduce((o, k) => o[k], base);
  const share = from > 0 && from < 1;
  const values = from === 0 ? [0.1, 0.3] : share ? [Math.max(0, from - 0.2), Math.min(1, from + 0.2)] : [from * 0.5, from * 1.5];
  for (const v of values.map((x) => Math.round(x * 1000) / 1000)) if (v !== from) variants.push({ path: path.join('.'), from, value: v });
}

const baseScore = score(base);
const baseFold = { A: foldSum(baseScore, 'A'), B: foldSum(baseScore, 'B') };
if (json && shard === 0) console.log(JSON.stringify({ path: 'base', folds: baseFold }));
else if (!json) {
  console.log(`fold A: ${folds.A.join(', ')}\nfold B: ${folds.B.join(', ')}`);
  console.log(`base: A ${baseFold.A.top1} first, ${baseFold.A.top3} in three; B ${baseFold.B.top1}, ${baseFold.B.top3}\n`);
  console.log(`${'weight'.padEnd(48)} ${'change'.padEnd(14)}  A top-1 top-3   B top-1 top-3`);
}
variants.forEach((v, i) => {
  if (i % of !== shard) return;
  const w = structuredClone(base);
  const keys = v.path.split('.');
  let o = w;
  for (const k of keys.slice(0, -1)) o = o[k];
  o[keys.at(-1)] = v.value;
  const parsed = weightsSchema.safeParse(w);
  if (!parsed.success) return;
  const s = score(parsed.data);
  const d = Object.fromEntries(['A', 'B'].map((f) => {
    const x = foldSum(s, f);
    return [f, { top1: x.top1 - baseFold[f].top1, top3: x.top3 - baseFold[f].top3, breaches: x.breaches }];
  }));
  if (json) console.log(JSON.stringify({ ...v, delta: d }));
  else {
    const n = (x) => String(x > 0 ? `+${x}` : x).padStart(5);
    const br = d.A.breaches + d.B.breaches > 0 ? `  needless breaks: ${d.A.breaches + d.B.breaches}` : '';
    console.log(`${v.path.padEnd(48)} ${`${v.from} -> ${v.value}`.padEnd(14)}  ${n(d.A.top1)} ${n(d.A.top3)}   ${n(d.B.top1)} ${n(d.B.top3)}${br}`);
  }
});
