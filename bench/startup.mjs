#!/usr/bin/env node
// Start-up cost of the CLI against bare node, and `branch create` end to end (issue 9, section 3).
//
// Each figure is measured in interleaved rounds: every round runs `node -e 0`, this checkout's
// `baas <command>` and (with --baseline) an older checkout's, in a rotating order, so machine
// noise hits all of them alike. For every process it records the wall time (measured from
// here), its CPU time (user+sys) and how long its event loop sat idle waiting for I/O (Docker,
// Postgres), taken with a one-line preload (`-r`, CommonJS: no ESM loader for bare node) that
// reads process.resourceUsage() and performance.eventLoopUtilization() at exit. "Overhead" is
// wall − I/O wait − bare node's wall, per round; the figures are medians over the rounds.
//
// `branch create` of a ~1 GB database is timed on XFS with reflink (a loop file, as in
// bench/branch.mjs): the clone through the CLI end to end, the same clone through psql, and
// WAL_LOG through the same CLI.
//
// Needs root (loop mount), `npm run build`, the local images; psql on the host for the psql
// comparison (skipped without it). Not a test: prints figures, targets and met/missed.
//
// Usage: node bench/startup.mjs [--baseline <built checkout>] [--runs 15] [--size-mb 1024]
//                               [--create-runs 5] [--wal-runs 2] [--no-create] [--dir <project dir>]
//                               [--settle 15]
// The "before" column: build the starting commit elsewhere, e.g.
//   mkdir /tmp/baas-before && git archive 6a7870b | tar -x -C /tmp/baas-before
//   (cd /tmp/baas-before && npm ci && npm run build)
//   node bench/startup.mjs --baseline /tmp/baas-before
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { growTo, withPg } from './lib/pg-data.mjs';
import { measureNode, median, processProbe } from './lib/process-probe.mjs';
import { mountXfs } from './lib/xfs.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const runs = Number(opt('runs', '15'));
const sizeMb = Number(opt('size-mb', '1024'));
const createRuns = Number(opt('create-runs', '5'));
const walRuns = Number(opt('wal-runs', '2'));
const withCreate = !args.includes('--no-create');
/** Seconds to wait after `up` before measuring: replicas sync and sentinels settle in the first seconds. */
const settle = Number(opt('settle', '15'));
const baseline = opt('baseline', undefined);
const trees = { after: repo, ...(baseline ? { before: path.resolve(baseline) } : {}) };
for (const [k, dir] of Object.entries(trees)) {
  if (!existsSync(path.join(dir, 'dist', 'cli', 'main.js'))) throw new Error(`${k}: ${dir} has no dist/ (run npm ci && npm run build there)`);
}

const id = randomBytes(3).toString('hex');
/** --dir: use a project directory whose stack is already up (its Postgres data on XFS for the clone). */
const existing = opt('dir', undefined);
const work = existing ? path.resolve(existing) : `/tmp/baas-bench-startup-${id}`;
const img = `${work}.img`;
const mnt = `${work}-mnt`;
const probe = processProbe(work);

const sh = (cmd, argv) => execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const ms = (v) => (v === undefined ? '-' : `${Math.round(v)} ms`);
const verdict = (ok) => (ok ? 'met' : 'missed');

/** Runs one process with the probe; returns wall, cpu and idle (ms) and its output. */
const measured = (argv, { cwd = work, expectOk = true } = {}) => measureNode(probe, argv, { cwd, expectOk });

const cli = (tree) => path.join(trees[tree], 'bin', 'baas.js');
const baas = (...argv) => {
  const r = spawnSync(process.execPath, [cli('after'), ...argv], { cwd: work, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`baas ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
};

/** Interleaved rounds of `variants` (name → argv); rotating order. */
function rounds(variants, n) {
  const names = Object.keys(variants);
  const out = Object.fromEntries(names.map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    const order = names.map((_, j) => names[(i + j) % names.length]);
    for (const k of order) out[k].push(measured(variants[k]));
  }
  return out;
}

const cleanup = [];
async function main() {
  probe.write();
  cleanup.push(probe.remove);
  if (!existing) await setUp();
  await run();
}

/** A loop-mounted XFS with reflink for Postgres's data, and the default stack on it. */
async function setUp() {
  mkdirSync(work, { recursive: true });
  mountXfs(img, mnt, `${Math.max(4, Math.ceil((sizeMb * 3) / 1024) + 2)}G`, cleanup);
  mkdirSync(`${mnt}/pgdata`);
  // The default stack (Postgres, 3 Redis nodes, 3 sentinels), ports picked automatically.
  writeFileSync(
    path.join(work, 'platform.config.yaml'),
    `project: bench-su-${id}\nimages: local\nservices:\n  postgres:\n    port: auto\n    data: ${mnt}/pgdata\n  redis:\n    port: auto\n    sentinelPort: auto\n  mongo:\n    enabled: false\n`,
  );
  cleanup.unshift(() => {
    spawnSync(process.execPath, [cli('after'), 'down', '--volumes'], { cwd: work });
    rmSync(work, { recursive: true, force: true });
  });
  process.stderr.write(`starting the stack in ${work} ...\n`);
  baas('up', '--quiet');
  process.stderr.write(`waiting ${settle} s for the new stack to settle ...\n`);
  await new Promise((r) => setTimeout(r, settle * 1000));
}

async function run() {
  const figures = [];
  const node = ['-e', '0'];
  const commands = [
    { name: 'baas --help', argv: ['--help'], target: 40, io: false },
    { name: 'baas status', argv: ['status'], target: 150, io: true },
    { name: 'baas branch list', argv: ['branch', 'list'], target: 150, io: true },
  ];
  for (const c of commands) {
    // One unmeasured run each: caches (the page cache, baas's config cache) as a user has them.
    for (const t of Object.keys(trees)) measured([cli(t), ...c.argv]);
    const variants = { node, ...Object.fromEntries(Object.keys(trees).map((t) => [t, [cli(t), ...c.argv]])) };
    const r = rounds(variants, runs);
    const row = { name: c.name, target: c.target, io: c.io, node: summary(r.node) };
    for (const t of Object.keys(trees)) {
      row[t] = summary(r[t]);
      row[t].overhead = median(r[t].map((x, i) => x.wall - (c.io ? x.idle : 0) - r.node[i].wall));
      row[t].cpuOver = median(r[t].map((x, i) => x.cpu - r.node[i].cpu));
      row[t].ratio = median(r[t].map((x, i) => x.wall / r.node[i].wall));
    }
    figures.push(row);
    process.stderr.write(`  ${c.name}: ${Object.keys(trees).map((t) => `${t} +${ms(row[t].overhead)} (cpu +${ms(row[t].cpuOver)})`).join(', ')}\n`);
  }

  let create;
  if (withCreate) {
    const admin = baas('branch', 'connstr', 'main', '--admin').trim();
    const maintenance = admin.replace(/\/[^/?]*(\?|$)/, '/postgres$1');
    process.stderr.write(`growing main to ${sizeMb} MB ...\n`);
    const size = await growTo(admin, sizeMb);
    const psql = spawnSync('psql', ['--version']).status === 0;
    const checkpoint = () => withPg(maintenance, (c) => c.query('checkpoint'));
    const timeCreate = async (tree, strategy, name) => {
      await checkpoint();
      const m = measured([cli(tree), 'branch', 'create', name, '--strategy', strategy, '--json']);
      baas('branch', 'delete', name);
      return { ...m, inCommand: JSON.parse(m.stdout).durationMs };
    };
    const timePsql = async () => {
      await checkpoint();
      const t = performance.now();
      sh('psql', [maintenance, '-qX', '-v', 'ON_ERROR_STOP=1', '-c', 'set file_copy_method = clone', '-c', 'create database bench_psql template app strategy file_copy']);
      const wall = performance.now() - t;
      await withPg(maintenance, (c) => c.query('drop database bench_psql'));
      return { wall };
    };
    const clone = Object.fromEntries(Object.keys(trees).map((t) => [t, []]));
    const viaPsql = [];
    for (let i = 0; i < createRuns; i++) {
      const order = [...Object.keys(trees), 'psql'];
      for (let j = 0; j < order.length; j++) {
        const k = order[(i + j) % order.length];
        if (k === 'psql') {
          if (psql) viaPsql.push(await timePsql());
        } else clone[k].push(await timeCreate(k, 'clone', `bench-${k}`));
      }
    }
    const wal = [];
    for (let i = 0; i < walRuns; i++) wal.push(await timeCreate('after', 'wal_log', 'bench-wal'));
    create = { size, clone, viaPsql, wal };
    process.stderr.write(`  branch create: ${Object.keys(trees).map((t) => `${t} ${ms(median(clone[t].map((x) => x.wall)))}`).join(', ')}, psql ${ms(viaPsql.length ? median(viaPsql.map((x) => x.wall)) : undefined)}, wal_log ${ms(median(wal.map((x) => x.wall)))}\n`);
  }
  report(figures, create);
}

function summary(xs) {
  return { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)), idle: median(xs.map((x) => x.idle)) };
}

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function report(figures, create) {
  const treesList = Object.keys(trees);
  const cpus = spawnSync('nproc').stdout?.toString().trim();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`\nCLI start-up against bare node (node ${process.version}, ${cpus} CPUs, load average ${load}); medians of ${runs} interleaved rounds`);
  if (baseline) console.log(`before = ${baseline}, after = ${repo}`);
  console.log('overhead = wall − own I/O wait − wall of `node -e 0` in the same round (--help: no I/O subtracted); cpu = user+sys over bare node\n');
  const head = ['command', 'bare node wall/cpu'];
  for (const t of treesList) head.push(`${t}: wall`, `${t}: cpu`, `${t}: I/O wait`, `${t}: ratio`, `${t}: overhead`, `${t}: cpu over node`);
  head.push('target', 'verdict (overhead)', 'verdict (cpu)');
  const rows = figures.map((f) => {
    const cells = [f.name, `${ms(f.node.wall)} / ${ms(f.node.cpu)}`];
    for (const t of treesList) {
      cells.push(ms(f[t].wall), ms(f[t].cpu), f.io ? ms(f[t].idle) : '-', `${f[t].ratio.toFixed(2)}x`, `+${ms(f[t].overhead)}`, `+${ms(f[t].cpuOver)}`);
    }
    cells.push(`≤ +${f.target} ms${f.io ? ' + I/O' : ''}`, verdict(f.after.overhead <= f.target), verdict(f.after.cpuOver <= f.target));
    return cells;
  });
  console.log(table(head, rows));

  if (create) {
    const mb = Math.round(create.size / 1048576);
    const afterWall = median(create.clone.after.map((x) => x.wall));
    const walWall = median(create.wal.map((x) => x.wall));
    console.log(`\nbaas branch create of a ${mb} MB database on XFS (reflink), end to end; clone: medians of ${createRuns} interleaved runs, WAL_LOG: ${walRuns} run(s); checkpoint before each`);
    const rows2 = [];
    for (const t of treesList) {
      const xs = create.clone[t];
      rows2.push([`clone through the CLI (${t})`, ms(median(xs.map((x) => x.wall))), ms(median(xs.map((x) => x.inCommand))), ms(median(xs.map((x) => x.wall - x.inCommand))), ms(median(xs.map((x) => x.cpu)))]);
    }
    if (create.viaPsql.length) rows2.push(['the same clone through psql', ms(median(create.viaPsql.map((x) => x.wall))), '-', '-', '-']);
    rows2.push(['WAL_LOG through the CLI (after)', ms(walWall), ms(median(create.wal.map((x) => x.inCommand))), ms(median(create.wal.map((x) => x.wall - x.inCommand))), ms(median(create.wal.map((x) => x.cpu)))]);
    console.log(table(['', 'end to end', 'in-command', 'outside the command', 'cpu'], rows2));
    console.log(`\nclone end to end (after): ${ms(afterWall)} (target: under 300 ms): ${verdict(afterWall < 300)}`);
    console.log(`clone vs WAL_LOG through the same CLI: ${(walWall / afterWall).toFixed(1)}x faster (target: at least 15x): ${verdict(walWall / afterWall >= 15)}`);
    if (create.viaPsql.length) console.log(`psql's own round trip for the same clone: ${ms(median(create.viaPsql.map((x) => x.wall)))} (the floor the CLI adds to)`);
  }

  if (baseline) {
    console.log('\nbefore/after');
    const rows3 = figures.map((f) => [f.name, `+${ms(f.before.overhead)} (cpu +${ms(f.before.cpuOver)}, ${f.before.ratio.toFixed(2)}x)`, `+${ms(f.after.overhead)} (cpu +${ms(f.after.cpuOver)}, ${f.after.ratio.toFixed(2)}x)`, `≤ +${f.target} ms`, verdict(f.after.overhead <= f.target)]);
    if (create) {
      const b = median(create.clone.before.map((x) => x.wall));
      const a = median(create.clone.after.map((x) => x.wall));
      rows3.push([`branch create ${Math.round(create.size / 1048576)} MB clone, end to end`, ms(b), ms(a), '< 300 ms', verdict(a < 300)]);
    }
    console.log(table(['figure', 'before', 'after', 'target', 'after'], rows3));
  }
}

try {
  await main();
} finally {
  for (const f of cleanup) {
    try {
      f();
    } catch (e) {
      process.stderr.write(`cleanup: ${e.message}\n`);
    }
  }
}
