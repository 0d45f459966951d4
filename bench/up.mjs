#!/usr/bin/env node
// Benchmark for issue 2: cold `baas up` to all-healthy, warm `baas up`, `baas --help` start-up,
// side by side with docker-compose (Debian's docker-compose) running an equivalent compose file
// with healthchecks on the same images. Prints figures and ratios. Not a test: machines are noisy.
//
//   npm run build && node bench/up.mjs [--runs 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseConfigText } from '../dist/config/load.js';
import { makeContext } from '../dist/stack/context.js';
import { desiredServices, resolvePorts } from '../dist/stack/desired.js';
import { generateSecrets } from '../dist/stack/secrets.js';
import { prepareServiceFiles } from '../dist/security/service-files.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const BIN = path.resolve('bin/baas.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn) => { const t = process.hrtime.bigint(); fn(); return Number(process.hrtime.bigint() - t) / 1e6; };
const sh = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
};

const configYaml = (project, base) => `project: ${project}
images: local
network:
  subnet: 10.251.${base % 200}.0/24
services:
  postgres: { port: ${base} }
  redis: { port: ${base + 1}, sentinelPort: ${base + 11} }
  mongo: { enabled: false }
`;

// ---- baas ----
const baasDir = mkdtempSync(path.join(os.tmpdir(), 'baas-bench-up-'));
writeFileSync(path.join(baasDir, 'platform.config.yaml'), configYaml('bench-baas', 15432));
const baas = (...args) => sh(process.execPath, [BIN, ...args], { cwd: baasDir });
const cold = [], warm = [], help = [];
try {
  for (let i = 0; i < runs; i++) {
    baas('down', '--volumes');
    cold.push(time(() => baas('up', '--quiet')));
    warm.push(time(() => baas('up', '--quiet')));
  }
  for (let i = 0; i < 5; i++) help.push(time(() => baas('--help')));
} finally {
  baas('down', '--volumes');
}

// ---- docker-compose with the same images, commands and 1 s healthchecks ----
const composeDir = mkdtempSync(path.join(os.tmpdir(), 'baas-bench-compose-'));
const config = parseConfigText(configYaml('bench-compose', 16432));
const ctx = makeContext({ config, file: undefined, dir: composeDir }, '10.252.7.0/24', generateSecrets(), {});
const defs = desiredServices(ctx, resolvePorts(config, [], () => 0));
const pw = ctx.secrets.redis.password;
// The same read-only secret files baas mounts at /run/secrets.
await prepareServiceFiles(ctx, defs);
const health = {
  postgres: ['CMD', 'bash', '-c', 'echo > /dev/tcp/127.0.0.1/5432'],
  redis: ['CMD', 'redis-cli', '--no-auth-warning', '-a', pw, 'ping'],
  sentinel: ['CMD', 'redis-cli', '--no-auth-warning', '-p', '26379', '-a', pw, 'ping'],
};
const services = {};
for (const d of defs) {
  services[d.name] = {
    image: d.spec.image,
    entrypoint: [],
    command: d.spec.cmd.map((c) => c.replaceAll('$', () => '$$')),
    environment: d.spec.env,
    volumes: d.spec.mounts.filter((m) => m.readOnly).map((m) => `${m.source}:${m.target}:ro`),
    init: true,
    ports: d.spec.ports.map((p) => `127.0.0.1:${p.host}:${p.container}`),
    networks: { default: { ipv4_address: d.spec.ipv4 } },
    healthcheck: { test: health[d.kind], interval: '1s', timeout: '1s', retries: 30 },
    ...(d.dependsOn.length ? { depends_on: Object.fromEntries(d.dependsOn.map((n) => [n, { condition: 'service_healthy' }])) } : {}),
  };
}
writeFileSync(path.join(composeDir, 'docker-compose.yml'), stringify({
  version: '2.4',
  services,
  networks: { default: { ipam: { config: [{ subnet: ctx.subnet }] } } },
}));
const compose = (...args) => sh('docker-compose', ['-p', 'benchcompose', ...args], { cwd: composeDir });
const allHealthy = () => {
  const out = sh('docker', ['ps', '--filter', 'label=com.docker.compose.project=benchcompose', '--format', '{{.Status}}']);
  const lines = out.trim().split('\n').filter(Boolean);
  return lines.length === defs.length && lines.every((l) => l.includes('(healthy)'));
};
const ccold = [], cwarm = [];
try {
  for (let i = 0; i < runs; i++) {
    compose('down', '-v');
    ccold.push(time(() => {
      compose('up', '-d');
      while (!allHealthy()) execFileSync('sleep', ['0.1']);
    }));
    cwarm.push(time(() => compose('up', '-d')));
  }
} finally {
  compose('down', '-v');
  rmSync(composeDir, { recursive: true, force: true });
  rmSync(baasDir, { recursive: true, force: true });
}

const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
const n = defs.length;
console.log(`\nbaas vs docker-compose, ${n} services (Postgres, Redis master + 2 replicas + 3 sentinels), local images, median of ${runs}`);
console.log(`(baas waits for select 1 as the app user, replicas in sync and sentinel quorum; compose for its healthchecks)\n`);
console.log('measure                          baas        compose     baas/compose');
console.log(`cold up to all healthy           ${f(median(cold)).padEnd(11)} ${f(median(ccold)).padEnd(11)} ${(median(cold) / median(ccold)).toFixed(2)}`);
console.log(`warm up, nothing to do           ${f(median(warm)).padEnd(11)} ${f(median(cwarm)).padEnd(11)} ${(median(warm) / median(cwarm)).toFixed(2)}`);
console.log(`baas --help start-up             ${Math.round(median(help))} ms`);
console.log(`\nall runs (ms): baas cold ${cold.map(Math.round).join(', ')}; warm ${warm.map(Math.round).join(', ')}; compose cold ${ccold.map(Math.round).join(', ')}; warm ${cwarm.map(Math.round).join(', ')}; help ${help.map(Math.round).join(', ')}`);
console.log('targets: cold up no slower than compose (ratio <= 1.00); warm up < 1 s; --help < 300 ms');
