#!/usr/bin/env node
// Benchmark for issue 6: what watching Redis costs Redis. redis-benchmark against the stack's
// master, side by side in one run: no observer; the dashboard collector at 1 s with hot keys
// off; with LFU sampling (the default on an LFU policy); with the MONITOR duty cycle (100 ms of
// every 5 s); and with continuous MONITOR for reference. Also the collector's own CPU use.
// Prints figures; not a test (the machine is shared and noisy).
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
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round, so no scenario always runs first (warm-up) or last.
    for (const [name, run] of scenarios.map((_, i) => scenarios[(i + round) % scenarios.length])) {
      const res = await run();
      results.get(name).push(res);
      process.stdout.write(`  round ${round + 1}: ${name}: ${Math.round(res.mean)} req/s${res.cpuPercent !== undefined ? `, collector CPU ${res.cpuPercent.toFixed(2)}% of a core (${res.ticks} ticks)` : ''}\n`);
    }
  }
  const base = median(results.get('no observer').map((x) => x.mean));
  const baseRuns = results.get('no observer').map((x) => x.mean);
  const noise = ((Math.max(...baseRuns) - Math.min(...baseRuns)) / base) * 100;
  console.log('');
  console.log('scenario                                        GET req/s   SET req/s   mean      cost     collector CPU');
  for (const [name] of scenarios) {
    const xs = results.get(name);
    const mean = median(xs.map((x) => x.mean));
    const cost = ((base - mean) / base) * 100;
    const cpu = xs[0].cpuPercent !== undefined ? `${median(xs.map((x) => x.cpuPercent)).toFixed(2)}%` : '';
    console.log(
      `${name.padEnd(46)}  ${String(Math.round(median(xs.map((x) => x.get)))).padStart(9)}   ${String(Math.round(median(xs.map((x) => x.set)))).padStart(9)}   ${String(Math.round(mean)).padStart(7)}   ${name === 'no observer' ? '   —' : `${cost >= 0 ? ' ' : ''}${cost.toFixed(1)}%`.padStart(6)}   ${cpu}`,
    );
  }
  console.log('\nTargets: collection < 1% throughput; default hot-key method < 10%; MONITOR known > 50%; collector < 5% of one core.');
  console.log(`Cost = throughput lost against "no observer". Noise floor: "no observer" alone varied by ${noise.toFixed(1)}% between rounds; costs smaller than that are not distinguishable from noise.`);
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
