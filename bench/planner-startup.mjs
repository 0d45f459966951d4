#!/usr/bin/env node
// Whole-process cost of the planner commands (`advise`, `cost`, `plan migration`) with the build's data
// snapshots (dist/data/, see src/planners/data-snapshot.ts) against the same build without them,
// and against bare `node -e 0`.
//
// The "without" tree is a copy of this checkout's bin/ and dist/ minus dist/data/, in a temporary
// folder, beside links to templates/, node_modules/ and package.json, so both run the same code on
// the same catalog. Each round runs bare node and every command in both trees, in a rotating
// order, so machine noise hits all alike; the figures are medians over the rounds. For every
// process it records the wall time and its CPU time (bench/lib/process-probe.mjs, as
// bench/startup.mjs does). It also checks that both trees print byte-identical output. No
// Docker, no network. Not a test: prints figures and ratios.
//
// Usage: npm run bench:planners [-- --runs 15]
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureNode, median, processProbe } from './lib/process-probe.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const i = args.indexOf('--runs');
const runs = i >= 0 ? Number(args[i + 1]) : 15;
if (!Number.isInteger(runs) || runs < 1 || runs > 200) {
  process.stderr.write('error: --runs takes a whole number from 1 to 200.\nhint: try --runs 15.\n');
  process.exit(2);
}
if (!existsSync(path.join(repo, 'dist', 'data'))) {
  process.stderr.write('error: dist/data/ is missing, so there is nothing to compare.\nhint: run npm run build first.\n');
  process.exit(2);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'baas-bench-planners-'));
const probe = processProbe(path.join(work, 'bench'));
const bare = path.join(work, 'no-snapshot');
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

probe.write();
// bin/ and dist/ are copied (node follows links to the real path, which would load the snapshots).
for (const d of ['bin', 'dist']) cpSync(path.join(repo, d), path.join(bare, d), { recursive: true });
rmSync(path.join(bare, 'dist', 'data'), { recursive: true, force: true });
for (const d of ['templates', 'node_modules', 'package.json']) symlinkSync(path.join(repo, d), path.join(bare, d));

const scenario = path.join(repo, 'test', 'fixtures', 'scenarios', 'b2b-saas-growth.yaml');
const commands = [
  { name: 'baas advise -f <scenario> --json', argv: ['advise', '-f', scenario, '--json'] },
  { name: 'baas advise --kind saas --frontend nextjs', argv: ['advise', '--kind', 'saas', '--frontend', 'nextjs'] },
  { name: 'baas cost -p supabase --mau 50000 --json', argv: ['cost', '-p', 'supabase', '--mau', '50000', '--json'] },
  { name: 'baas plan migration --from firebase --to supabase', argv: ['plan', 'migration', '--from', 'firebase', '--to', 'supabase'] },
];

const measured = (argv) => measureNode(probe, argv, { cwd: work });
const ms = (v) => `${Math.round(v)} ms`;

const trees = { snapshot: repo, yaml: bare };
const variants = { node: ['-e', '0'] };
for (const c of commands) for (const [t, dir] of Object.entries(trees)) variants[`${c.name}|${t}`] = [path.join(dir, 'bin', 'baas.js'), ...c.argv];

// One unmeasured run each (the page cache as a user has it), which also compares the outputs.
for (const c of commands) {
  const [a, b] = Object.keys(trees).map((t) => measured(variants[`${c.name}|${t}`]).stdout);
  if (a !== b) throw new Error(`${c.name}: the output differs with and without the snapshots`);
}
const names = Object.keys(variants);
const got = Object.fromEntries(names.map((k) => [k, []]));
for (let r = 0; r < runs; r++) {
  for (let j = 0; j < names.length; j++) {
    const k = names[(r + j) % names.length];
    got[k].push(measured(variants[k]));
  }
  process.stderr.write(`\rround ${r + 1}/${runs}`);
}
process.stderr.write('\n');

const med = (k, f) => median(got[k].map((x) => x[f]));
console.log(`planner start-up, medians of ${runs} interleaved rounds on ${os.cpus().length} cores; outputs identical with and without the snapshots`);
console.log(`bare node -e 0: wall ${ms(med('node', 'wall'))}, cpu ${ms(med('node', 'cpu'))}`);
console.log('| command | wall, snapshot | wall, YAML | ratio | cpu, snapshot | cpu, YAML | ratio |');
console.log('|---|---|---|---|---|---|---|');
for (const c of commands) {
  const [ws, wy, cs, cy] = [med(`${c.name}|snapshot`, 'wall'), med(`${c.name}|yaml`, 'wall'), med(`${c.name}|snapshot`, 'cpu'), med(`${c.name}|yaml`, 'cpu')];
  console.log(`| ${c.name} | ${ms(ws)} | ${ms(wy)} | ${(ws / wy).toFixed(2)} | ${ms(cs)} | ${ms(cy)} | ${(cs / cy).toFixed(2)} |`);
}
