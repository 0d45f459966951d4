#!/usr/bin/env node
// What watching Redis costs Redis, measured where it is paid. redis-benchmark loads the stack's
// master while, in turn: no observer; the dashboard collector at 1 s with hot keys off; with LFU
// sampling (the default on an LFU policy); with the MONITOR duty cycle (100 ms of every 5 s);
// continuous MONITOR for reference. For each run the master's own accounting is read before and
// after: INFO commandstats (calls and microseconds per command: the collector's commands against
// the total under load) and INFO cpu (used_cpu_* of the Redis process, per 100k requests); plus the
// collector's own CPU. Throughput deltas are printed only beside their noise floor (how much the
// "no observer" runs moved between rounds): on a shared machine they are not a measurement of the
// collector. Prints figures, targets and met/missed; not a test.
//
//   npm run build && node bench/dashboard.mjs [--requests 400000] [--rounds 2] [--keys 20000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { main } from '../dist/cli/main.js';
import { captureIo } from '../dist/cli/io.js';
import { loadConfig } from '../dist/config/load.js';
import { DockerRuntime } from '../dist/runtime/docker.js';
import { openCollector } from '../dist/dashboard/session.js';
import { DEFAULT_OPTIONS } from '../dist/dashboard/collector.js';
import { redisIp } from '../dist/services/redis.js';
import { serverStats, statsDelta } from './lib/redis-stats.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const REQUESTS = arg('requests', 500_000);
const ROUNDS = arg('rounds', 5);
const KEYS = arg('keys', 20_000);

const project = `bench-dash-${process.pid}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-bench-dash-'));
writeFileSync(
  path.join(dir, 'platform.config.yaml'),
  `project: ${project}
images: local
services:
  postgres: { port: auto }
  redis: { port: auto, sentinelPort: auto, maxmemoryPolicy: allkeys-lfu }
  mongo: { enabled: false }
`,
);
const env = { ...process.env, BAAS_LABELS: 'baas.test=1' };
const baas = async (...argv) => {
  const io = captureIo({ cwd: dir, env });
  const code = await main(argv, io);
  if (code !== 0) throw new Error(`baas ${argv.join(' ')} exited ${code}: ${io.err()}`);
  return io.out();
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** redis-benchmark GET and SET (spawned asynchronously: the collector shares this event loop). */
function redisBenchmarkAsync(host, port, password) {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', ['-h', host, '-p', String(port), '-a', password, '-t', 'get,set', '-n', String(REQUESTS), '-c', '20', '-P', '1', '-r', String(KEYS), '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', () => {
      out = out.replace(/\r/g, '\n');
      const rate = (name) => Number(new RegExp(`${name}: ([\\d.]+) requests per second`).exec(out)?.[1] ?? NaN);
      const get = rate('GET');
      const set = rate('SET');
      if (!Number.isFinite(get) || !Number.isFinite(set)) return reject(new Error('redis-benchmark printed no figures'));
      resolve({ get, set, mean: (get + set) / 2 });
    });
  });
}

async function main_() {
  console.log(`baas dashboard benchmark: redis-benchmark -t get,set -n ${REQUESTS} -c 20 -P 1 -r ${KEYS}, ${ROUNDS} round(s), median shown`);
  const t = Date.now();
  await baas('up', '--quiet');
  console.log(`stack up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const secrets = JSON.parse(readFileSync(path.join(dir, '.baas', 'secrets.json'), 'utf8'));
  const password = secrets.redis.password;
  const containers = await new DockerRuntime().listContainers({ 'baas.project': project });
  const master = containers.find((c) => c.labels['baas.service'] === 'redis-1');
  const port = master.ports[0].host;
  // redis-benchmark and the MONITOR reference talk to the container address directly: through the
  // published port, docker-proxy is the bottleneck and hides what an observer costs Redis itself.
  const [net] = await new DockerRuntime().listNetworks({ 'baas.project': project });
  const ip = net?.subnets[0] ? redisIp(net.subnets[0], 1) : '127.0.0.1';
  const benchPort = ip === '127.0.0.1' ? port : 6379;
  console.log(`load: redis-benchmark → ${ip}:${benchPort}; collector → 127.0.0.1:${port} (published port, as the dashboard connects); load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  // A keyspace for SCAN/OBJECT FREQ to walk, and a few keys made hot.
  const r = new Redis({ host: '127.0.0.1', port, password });
  for (let i = 0; i < KEYS; i += 1000) {
    const p = r.pipeline();
    for (let j = i; j < Math.min(KEYS, i + 1000); j++) p.set(`key:${String(j).padStart(12, '0')}`, 'x');
    await p.exec();
  }
  r.disconnect();

  const scenarios = [
    ['no observer', () => redisBenchmarkAsync(ip, benchPort, password)],
    ['collector 1 s, hot keys off', () => withCollectorAsync('off', ip, benchPort, password)],
    ['collector 1 s + LFU sampling (default here)', () => withCollectorAsync('auto', ip, benchPort, password)],
    ['collector 1 s + MONITOR 100 ms / 5 s', () => withCollectorAsync('monitor', ip, benchPort, password)],
    ['continuous MONITOR (reference)', () => withContinuousMonitorAsync(ip, benchPort, password)],
  ];
  const results = new Map(scenarios.map(([name]) => [name, []]));
  const statsClient = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true });
  await statsClient.connect();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round, so no scenario always runs first (warm-up) or last.
      for (const [name, run] of scenarios.map((_, i) => scenarios[(i + round) % scenarios.length])) {
        const before = await serverStats(statsClient);
        const res = await run();
        const after = await serverStats(statsClient);
        res.server = statsDelta(before, after);
        results.get(name).push(res);
        process.stdout.write(
          `  round ${round + 1}: ${name}: ${Math.round(res.mean)} req/s, Redis CPU ${res.server.cpuSeconds.toFixed(2)} s, non-GET/SET command time ${(res.server.otherUsec / 1000).toFixed(1)} ms${res.cpuPercent !== undefined ? `, collector CPU ${res.cpuPercent.toFixed(2)}% of a core (${res.ticks} ticks)` : ''}\n`,
        );
      }
    }
  } finally {
    statsClient.disconnect();
  }

  const verdict = (ok) => (ok ? 'met' : 'missed');
  const base = results.get('no observer');
  // What the load generator and these stats reads cost by themselves outside GET/SET (redis-benchmark's CONFIG GET, our INFO):
  // subtracted, so what is left is the observer's own command time.
  const baselineOther = median(base.map((x) => x.server.otherUsec));
  const baseCpuPer100k = median(base.map((x) => x.server.cpuPer100k));
  const baseRuns = base.map((x) => x.mean);
  const noise = ((Math.max(...baseRuns) - Math.min(...baseRuns)) / median(baseRuns)) * 100;
  const cpuRuns = base.map((x) => x.server.cpuPer100k);
  const cpuNoise = ((Math.max(...cpuRuns) - Math.min(...cpuRuns)) / baseCpuPer100k) * 100;
  const targets = {
    'collector 1 s, hot keys off': 1,
    'collector 1 s + LFU sampling (default here)': 10,
    'collector 1 s + MONITOR 100 ms / 5 s': 10,
  };
  console.log('\n1. Where the cost is paid: the master\'s own accounting (median of the rounds)');
  console.log(`${'scenario'.padEnd(46)}  ${'observer cmd time'.padStart(17)}  ${'share of all cmd time'.padStart(21)}  ${'Redis CPU/100k req'.padStart(18)}  ${'vs none'.padStart(8)}  target (share)   result`);
  for (const [name] of scenarios) {
    const xs = results.get(name);
    const observer = Math.max(0, median(xs.map((x) => x.server.otherUsec)) - baselineOther);
    const share = (observer / median(xs.map((x) => x.server.totalUsec))) * 100;
    const cpu = median(xs.map((x) => x.server.cpuPer100k));
    const cpuDelta = ((cpu - baseCpuPer100k) / baseCpuPer100k) * 100;
    const target = targets[name];
    console.log(
      `${name.padEnd(46)}  ${`${(observer / 1000).toFixed(1)} ms`.padStart(17)}  ${(name === 'no observer' ? '—' : `${share.toFixed(3)}%`).padStart(21)}  ${`${(cpu * 1000).toFixed(0)} ms`.padStart(18)}  ${(name === 'no observer' ? '—' : `${cpuDelta >= 0 ? '+' : ''}${cpuDelta.toFixed(1)}%`).padStart(8)}  ${(target ? `< ${target}%` : '').padEnd(15)}  ${target ? verdict(share < target) : ''}`,
    );
  }
  console.log(`   MONITOR's cost is not command time (Redis feeds monitors after each command): it shows in Redis CPU per 100k requests, whose noise floor here is ${cpuNoise.toFixed(1)}%.`);

  console.log('\n2. The collector process itself');
  for (const [name] of scenarios) {
    const xs = results.get(name);
    if (xs[0].cpuPercent === undefined) continue;
    const cpu = median(xs.map((x) => x.cpuPercent));
    console.log(`${name.padEnd(46)}  ${`${cpu.toFixed(2)}% of a core`.padStart(17)}  target < 5%: ${verdict(cpu < 5)}`);
  }

  console.log(`\n3. Throughput (redis-benchmark), only beside its noise floor: "no observer" alone moved ${noise.toFixed(1)}% between rounds`);
  console.log(`${'scenario'.padEnd(46)}  ${'GET req/s'.padStart(9)}  ${'SET req/s'.padStart(9)}  ${'mean'.padStart(7)}  ${'delta'.padStart(7)}`);
  const baseMean = median(baseRuns);
  for (const [name] of scenarios) {
    const xs = results.get(name);
    const mean = median(xs.map((x) => x.mean));
    const delta = ((baseMean - mean) / baseMean) * 100;
    const within = Math.abs(delta) <= noise;
    console.log(
      `${name.padEnd(46)}  ${String(Math.round(median(xs.map((x) => x.get)))).padStart(9)}  ${String(Math.round(median(xs.map((x) => x.set)))).padStart(9)}  ${String(Math.round(mean)).padStart(7)}  ${(name === 'no observer' ? '—' : `${delta >= 0 ? '-' : '+'}${Math.abs(delta).toFixed(1)}%`).padStart(7)}${name === 'no observer' ? '' : within ? '  within the noise floor: not a measurement' : '  outside the noise floor'}`,
    );
  }
}

async function withCollectorAsync(hotkeys, host, port, password) {
  const loaded = loadConfig({ cwd: dir, env });
  const collector = await openCollector({ runtime: new DockerRuntime(), env, loaded, stateDir: path.join(dir, '.baas') }, { ...DEFAULT_OPTIONS, intervalMs: 1000, hotkeys });
  let stop = false;
  let ticks = 0;
  await collector.tick();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const loop = (async () => {
    while (!stop) {
      const t = Date.now();
      await collector.tick();
      ticks++;
      await new Promise((res) => setTimeout(res, Math.max(0, 1000 - (Date.now() - t))));
    }
  })();
  try {
    const result = await redisBenchmarkAsync(host, port, password);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    return { ...result, cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100, ticks };
  } finally {
    stop = true;
    await loop;
    await collector.stop();
  }
}

async function withContinuousMonitorAsync(host, port, password) {
  const child = spawn('redis-cli', ['-h', host, '-p', String(port), 'monitor'], { env: { ...process.env, REDISCLI_AUTH: password }, stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout.on('data', () => {});
  await new Promise((res) => setTimeout(res, 300));
  try {
    return await redisBenchmarkAsync(host, port, password);
  } finally {
    child.kill();
  }
}

try {
  await main_();
} finally {
  await baas('down', '--volumes').catch((e) => console.error(String(e)));
  rmSync(dir, { recursive: true, force: true });
}
