#!/usr/bin/env node
// Benchmark for `baas serve` (issue 13), side by side in one run, on the agent as users run it
// (bin/baas.js serve, a child process):
//   1. /metrics and /health latency (sequential scrapes on a keep-alive connection);
//   2. what the agent costs Redis at a 1 s collection: redis-benchmark GET/SET against the
//      master with no observer and with the agent running, order rotated every round, with the
//      noise floor (how much "no observer" alone varied) and the agent's own CPU; and where the
//      cost is paid, which does not depend on the noise: the master's INFO commandstats (microseconds
//      spent on the agent's commands against all command time) and used_cpu per 100k requests;
//   3. POST /branches against `baas branch create` from a shell for the same database
//      (default 1 GB, Postgres data on an XFS loop file with reflink=1, as bench/branch.mjs).
// Needs root (loop mount), `npm run build`, the local images and redis-benchmark. Not a test.
//   node bench/serve.mjs [--size-mb 1024] [--rounds 5] [--requests 300000] [--scrapes 300] [--runs 5]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { serverStats, statsDelta } from './lib/redis-stats.mjs';
import { growTo, withPg } from './lib/pg-data.mjs';
import { mountXfs } from './lib/xfs.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'baas.js');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SIZE_MB = opt('size-mb', 1024);
const ROUNDS = opt('rounds', 5);
const REQUESTS = opt('requests', 300_000);
const SCRAPES = opt('scrapes', 300);
const RUNS = opt('runs', 5);
const id = randomBytes(3).toString('hex');
const work = `/tmp/baas-bench-serve-${id}`;
const img = `${work}.img`;
const mnt = `${work}-mnt`;
const project = `bench-serve-${id}`;
const env = { ...process.env, BAAS_LABELS: 'baas.bench=serve' };

const sh = (cmd, argv) => execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const baas = (...argv) => {
  const r = spawnSync(process.execPath, [cli, ...argv], { cwd: work, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`baas ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const ms = (x) => (x < 1 ? `${x.toFixed(2)} ms` : x < 1000 ? `${x.toFixed(1)} ms` : `${(x / 1000).toFixed(2)} s`);
const verdict = (ok) => (ok ? 'met' : 'MISSED');

/** Starts the agent and resolves once it listens. */
async function startAgent() {
  const child = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', '--interval', '1s'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the agent did not start in 30 s')), 30_000);
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      if (/"msg":"listening"/.test(l)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (c) => reject(new Error(`the agent exited ${c}`)));
  });
  const url = JSON.parse(readFileSync(path.join(work, '.baas', 'serve.json'), 'utf8')).url;
  const token = readFileSync(path.join(work, '.baas', 'serve-token'), 'utf8').trim();
  // Until the first collection, /health answers from nothing.
  for (let i = 0; i < 100; i++) {
    const h = await (await fetch(`${url}/health`)).json();
    if (h.collectionAgeMs !== null && h.status !== 'down') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    url,
    token,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
    },
  };
}

const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
};

function redisBenchmark(host, port, password) {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', ['-h', host, '-p', String(port), '-a', password, '-t', 'get,set', '-n', String(REQUESTS), '-c', '20', '-P', '1', '-r', '20000', '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', () => {
      out = out.replace(/\r/g, '\n');
      const rate = (n) => Number(new RegExp(`${n}: ([\\d.]+) requests per second`).exec(out)?.[1] ?? NaN);
      const get = rate('GET');
      const set = rate('SET');
      if (!Number.isFinite(get) || !Number.isFinite(set)) return reject(new Error(`redis-benchmark printed no figures: ${out}`));
      resolve((get + set) / 2);
    });
  });
}

async function latencies(url, pathname, headers, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise((resolve, reject) => {
      http.get(`${url}${pathname}`, { agent, headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
    out.push(performance.now() - t);
  }
  agent.destroy();
  return out;
}

const cleanup = [];
async function main() {
  if (!existsSync(path.join(repo, 'dist', 'cli', 'serve.js'))) throw new Error('run `npm run build` first');
  console.log(`baas serve benchmark on ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  mkdirSync(work, { recursive: true });
  cleanup.push(() => rmSync(work, { recursive: true, force: true }));
  let dataDir = 'volume';
  let fs = 'the Docker volume (no reflink)';
  try {
    mountXfs(img, mnt, `${Math.max(4, Math.ceil((SIZE_MB * 3) / 1024))}G`, cleanup);
    mkdirSync(`${mnt}/pgdata`);
    dataDir = `${mnt}/pgdata`;
    fs = 'XFS (loop file, reflink=1)';
  } catch (e) {
    console.log(`note: no XFS loop mount (${e.message.split('\n')[0]}); Postgres data stays on a Docker volume`);
  }
  writeFileSync(
    path.join(work, 'platform.config.yaml'),
    `project: ${project}\nimages: local\nservices:\n  postgres:\n    port: auto\n    data: ${dataDir}\n  redis:\n    port: auto\n    sentinelPort: auto\n  mongo:\n    enabled: false\n`,
  );
  cleanup.unshift(() => spawnSync(process.execPath, [cli, 'down', '--volumes'], { cwd: work, env }));
  let t = Date.now();
  baas('up', '--quiet');
  console.log(`stack up in ${((Date.now() - t) / 1000).toFixed(1)} s; Postgres data on ${fs}`);
  const admin = baas('branch', 'connstr', 'main', '--admin').trim();
  t = Date.now();
  const size = await growTo(admin, SIZE_MB);
  console.log(`main database grown to ${(size / 1024 / 1024).toFixed(0)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // ---- 1. scrape latency ----
  let agent = await startAgent();
  cleanup.unshift(() => agent.stop());
  const auth = { authorization: `Bearer ${agent.token}` };
  await latencies(agent.url, '/metrics', auth, 20); // warm-up
  const scrape = await latencies(agent.url, '/metrics', auth, SCRAPES);
  const health = await latencies(agent.url, '/health', {}, SCRAPES);
  const body = await (await fetch(`${agent.url}/metrics`, { headers: auth })).text();
  const series = body.split('\n').filter((l) => l && !l.startsWith('#')).length;

  // ---- 3. POST /branches vs the CLI (before the Redis rounds: copies stress the disk) ----
  const api = [];
  const shell = [];
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    const r = await fetch(`${agent.url}/branches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: `api-${i}` }) });
    const created = await r.json();
    api.push({ wall: performance.now() - t0, strategy: created.choice?.strategy, inCommand: created.durationMs });
    if (r.status !== 201) throw new Error(`POST /branches: ${JSON.stringify(created)}`);
    t0 = performance.now();
    const out = JSON.parse(baas('branch', 'create', `cli-${i}`, '--json'));
    shell.push({ wall: performance.now() - t0, strategy: out.choice.strategy, inCommand: out.durationMs });
    await fetch(`${agent.url}/branches/api-${i}`, { method: 'DELETE', headers: auth });
    await fetch(`${agent.url}/branches/cli-${i}`, { method: 'DELETE', headers: auth });
  }

  // ---- 2. the agent's cost to Redis ----
  const secrets = JSON.parse(readFileSync(path.join(work, '.baas', 'secrets.json'), 'utf8'));
  const status = JSON.parse(baas('status', '--json'));
  const subnet = status.subnet;
  const masterIp = subnet.replace(/0\/24$/, '21'); // redis-1, the master unless a failover happened
  const results = { none: [], agent: [] };
  const paid = { none: [], agent: [] };
  const info = new Redis({ host: masterIp, port: 6379, password: secrets.redis.password, lazyConnect: true, maxRetriesPerRequest: 1 });
  await info.connect();
  let cpu = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['none', 'agent'] : ['agent', 'none'];
    for (const scenario of order) {
      if (scenario === 'agent' && !agent) agent = await startAgent();
      if (scenario === 'none' && agent) {
        await agent.stop();
        agent = undefined;
      }
      const c0 = agent ? cpuTicks(agent.child.pid) : 0;
      const w0 = performance.now();
      const s0 = await serverStats(info);
      const rate = await redisBenchmark(masterIp, 6379, secrets.redis.password);
      const d = statsDelta(s0, await serverStats(info));
      paid[scenario].push(d);
      if (agent) cpu.push(((cpuTicks(agent.child.pid) - c0) * (1000 / 100)) / (performance.now() - w0) * 100);
      results[scenario].push(rate);
      console.log(`  round ${round + 1}: ${scenario === 'none' ? 'no observer' : 'agent at 1 s'}: ${Math.round(rate)} req/s`);
    }
  }
  if (!agent) agent = { stop: async () => {} };
  info.disconnect();
  // The bench's own INFO calls (two per round) are in both scenarios' "other" time; the agent's share is the difference.
  const share = (xs) => median(xs.map((x) => (x.totalUsec > 0 ? (x.otherUsec / x.totalUsec) * 100 : 0)));
  const paidShare = share(paid.agent) - share(paid.none);
  const cpu100k = (xs) => median(xs.map((x) => x.cpuPer100k));

  const base = median(results.none);
  const withAgent = median(results.agent);
  const cost = ((base - withAgent) / base) * 100;
  const noise = ((Math.max(...results.none) - Math.min(...results.none)) / base) * 100;
  const apiMed = median(api.map((x) => x.wall));
  const cliMed = median(shell.map((x) => x.wall));
  console.log('');
  console.log('figure                                              value            target        ');
  console.log(`/metrics scrape latency p50 / p95 / p99 (${series} series) ${ms(pct(scrape, 50))} / ${ms(pct(scrape, 95))} / ${ms(pct(scrape, 99))}   p95 < 20 ms   ${verdict(pct(scrape, 95) < 20)}`);
  console.log(`/health latency p50 / p95 / p99                       ${ms(pct(health, 50))} / ${ms(pct(health, 95))} / ${ms(pct(health, 99))}   p95 < 5 ms    ${verdict(pct(health, 95) < 5)}`);
  console.log(`Redis GET/SET req/s, no observer (median)             ${Math.round(base)}`);
  console.log(`Redis GET/SET req/s, agent collecting every 1 s       ${Math.round(withAgent)}`);
  console.log(`agent's cost to Redis throughput                      ${cost.toFixed(2)}%            < 1%          ${Math.abs(cost) <= noise ? 'within the noise floor: not a measurement' : verdict(cost < 1)} (noise floor: "no observer" alone varied ${noise.toFixed(1)}% between rounds)`);
  console.log(`agent's commands' share of Redis command time          ${paidShare.toFixed(2)}%            < 1%          ${verdict(paidShare < 1)} (INFO commandstats usec on the master; ${share(paid.agent).toFixed(2)}% with the agent, ${share(paid.none).toFixed(2)}% without)`);
  console.log(`Redis CPU per 100k GET/SET, no observer / agent (median) ${cpu100k(paid.none).toFixed(3)} s / ${cpu100k(paid.agent).toFixed(3)} s  (used_cpu_sys+user of the master)`);
  console.log(`agent CPU while Redis was under load (median)         ${median(cpu).toFixed(2)}% of one core`);
  console.log(`branch create of ${(size / 1024 / 1024).toFixed(0)} MB, POST /branches (median of ${RUNS})   ${ms(apiMed)} (in-command ${ms(median(api.map((x) => x.inCommand)))}, ${api[0].strategy})`);
  console.log(`branch create of ${(size / 1024 / 1024).toFixed(0)} MB, \`baas branch create\` from a shell ${ms(cliMed)} (in-command ${ms(median(shell.map((x) => x.inCommand)))}, ${shell[0].strategy})`);
  console.log(`POST /branches vs the CLI                             ${(apiMed / cliMed).toFixed(2)}x            < 1x (no start-up)  ${verdict(apiMed < cliMed)}`);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const c of cleanup) {
      try {
        await c();
      } catch {
        /* best effort */
      }
    }
  });
