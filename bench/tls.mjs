#!/usr/bin/env node
// Benchmark for issue 11: what TLS costs, side by side in one run. Two throwaway stacks (local
// profile, one Redis node, Postgres), one with `tls: false`, one with `tls: true`; rounds
// alternate between them so machine noise hits both:
//   Redis: redis-benchmark SET/GET ops/s (20 connections, as the admin user; --tls with the CA)
//   Postgres: pgbench `select 1`, simple protocol, 8 persistent connections (sslmode=verify-full)
// Targets: TLS within 20 % of plaintext for Redis, within 10 % for Postgres.
//
//   npm run build && node bench/tls.mjs [--rounds 3] [--seconds 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const arg = (name, dflt) => Number(process.argv[process.argv.indexOf(name) + 1] || dflt) || dflt;
const rounds = arg('--rounds', 3);
const seconds = arg('--seconds', 5);
const BIN = path.resolve('bin/baas.js');
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]} exited ${r.status}: ${(r.stderr || r.stdout).slice(-500)}`);
  return r.stdout;
};
const stacks = ['plain', 'tls'].map((mode) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `baas-bench-tls-${mode}-`));
  writeFileSync(path.join(dir, 'platform.config.yaml'), `project: bench-tls-${mode}
images: local
tls: ${mode === 'tls'}
services:
  postgres: { port: auto }
  redis: { port: auto, replicas: 0, sentinels: 0 }
  mongo: { enabled: false }
`);
  return { mode, dir, baas: (...a) => run(process.execPath, [BIN, ...a], { cwd: dir }) };
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { plain: { redisSet: [], redisGet: [], pg: [] }, tls: { redisSet: [], redisGet: [], pg: [] } };
try {
  for (const s of stacks) {
    s.baas('up', '--quiet');
    const env = Object.fromEntries(JSON.parse(s.baas('env', '--show-secrets', '--json')).map((i) => [i.service, i.env]));
    s.redis = env.redis;
    s.pg = env.postgres;
    s.secrets = JSON.parse(readFileSync(path.join(s.dir, '.baas', 'secrets.json'), 'utf8'));
  }
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 === 0 ? stacks : [...stacks].reverse()) {
      const port = s.redis.REDIS_URL.split(':').pop().split('/')[0];
      const tls = s.mode === 'tls' ? ['--tls', '--cacert', s.redis.REDIS_CA_FILE] : [];
      // A throwaway stack: its admin password on this command line is never used again.
      const out = run('redis-benchmark', ['-h', '127.0.0.1', '-p', port, '--user', 'admin', '-a', s.secrets.redis.password, ...tls, '-t', 'set,get', '-n', String(40000 * seconds), '-c', '20', '-r', '10000', '--csv']);
      for (const line of out.trim().split('\n')) {
        const [name, rps] = line.replaceAll('"', '').split(',');
        if (name === 'SET') results[s.mode].redisSet.push(Number(rps));
        if (name === 'GET') results[s.mode].redisGet.push(Number(rps));
      }
      const script = path.join(s.dir, 'select1.sql');
      writeFileSync(script, 'select 1;\n');
      const pgEnv = { ...process.env, PGHOST: s.pg.PGHOST, PGPORT: s.pg.PGPORT, PGUSER: s.pg.PGUSER, PGPASSWORD: s.pg.PGPASSWORD, PGDATABASE: s.pg.PGDATABASE, ...(s.mode === 'tls' ? { PGSSLMODE: 'verify-full', PGSSLROOTCERT: s.pg.PGSSLROOTCERT } : { PGSSLMODE: 'disable' }) };
      const pgOut = run('pgbench', ['-n', '-M', 'simple', '-c', '8', '-j', '2', '-T', String(seconds), '-f', script], { env: pgEnv });
      results[s.mode].pg.push(Number(/tps = ([\d.]+)/.exec(pgOut)[1]));
    }
  }
} finally {
  for (const s of stacks) {
    spawnSync(process.execPath, [BIN, 'down', '--volumes'], { cwd: s.dir });
    rmSync(s.dir, { recursive: true, force: true });
  }
}

const line = (label, key, limit) => {
  const a = median(results.plain[key]);
  const b = median(results.tls[key]);
  const cost = (1 - b / a) * 100;
  console.log(`${label.padEnd(34)} ${String(Math.round(a)).padStart(9)} ${String(Math.round(b)).padStart(9)} ${`${cost.toFixed(1)} %`.padStart(8)}   < ${limit} %   ${cost < limit ? 'met' : 'missed'}`);
};
console.log(`\nTLS cost, median of ${rounds} alternating rounds of ${seconds} s (2-core machine; client and server share it)`);
console.log('measure                             plaintext       TLS     cost   target   verdict');
line('Redis SET ops/s (20 conns)', 'redisSet', 20);
line('Redis GET ops/s (20 conns)', 'redisGet', 20);
line('Postgres select 1 TPS (8 conns)', 'pg', 10);
console.log(`all rounds: ${JSON.stringify(results)}`);
console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} (2 cores; other work on the machine skews every figure)`);
