#!/usr/bin/env node
// Cold `baas up` to all-healthy and warm `baas up`, side by side with docker-compose (Debian's
// docker-compose) running the same containers: same images, commands, addresses, data volumes,
// and healthchecks that ask what baas's readiness asks (an authenticated `select 1`, replicas
// linked to the master, sentinel quorum). Compose runs at its usual 1 s healthcheck interval and
// at 200 ms (baas polls every 200 ms); the three are interleaved round by round, in a rotating
// order, so load on the shared machine falls on all of them alike. Also `baas --help` against
// bare `node -e 0`. Prints figures, targets and met/missed. Not a test: machines are noisy.
//
//   npm run build && node bench/up.mjs [--runs 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseConfigText } from '../dist/config/load.js';
import { makeContext } from '../dist/stack/context.js';
import { desiredServices, resolvePorts } from '../dist/stack/desired.js';
import { generateSecrets } from '../dist/stack/secrets.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const BIN = path.resolve('bin/baas.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => (Math.max(...xs) - Math.min(...xs)) / median(xs);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sh = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
};
const time = (fn) => {
  const t = now();
  fn();
  return now() - t;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const configYaml = (project, base, subnet) => `project: ${project}
images: local
network:
  subnet: ${subnet}
services:
  postgres: { port: ${base} }
  redis: { port: ${base + 1}, sentinelPort: ${base + 11} }
  mongo: { enabled: false }
`;

// ---- baas ----
const baasDir = mkdtempSync(path.join(os.tmpdir(), 'baas-bench-up-'));
writeFileSync(path.join(baasDir, 'platform.config.yaml'), configYaml('bench-baas', 15432, '10.251.31.0/24'));
const baas = (...args) => sh(process.execPath, [BIN, ...args], { cwd: baasDir });

// ---- docker-compose: the same containers, with equivalent readiness checks ----
function composeProject(name, interval, base, subnet) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `baas-bench-${name}-`));
  const config = parseConfigText(configYaml(name, base, subnet));
  const ctx = makeContext({ config, file: undefined, dir }, subnet, generateSecrets(), {});
  const defs = desiredServices(ctx, resolvePorts(config, [], () => 0));
  const pw = ctx.secrets.redis.password;
  const cli = `redis-cli --no-auth-warning -a '${pw}'`;
  // What baas's readiness asks, as shell commands inside each container (each probe is a `docker exec`).
  const health = {
    // The postmaster accepts connections: what pg_ctl -w and pg_isready look for (the image has no
    // psql; baas goes further and logs in as the app role, which only exists after its bootstrap).
    postgres: `grep -q ready /var/lib/postgresql/data/pgdata/postmaster.pid`,
    // Master: every replica online; replica: its link to the master is up.
    redis: `${cli} info replication | grep -Eq 'role:master' && ${cli} info replication | grep -c 'state=online' | grep -qx ${config.services.redis.replicas} || ${cli} info replication | grep -q 'master_link_status:up'`,
    sentinel: `${cli} -p 26379 sentinel ckquorum ${config.services.redis.masterName} | grep -q '^OK'`,
  };
  const volumes = {};
  const services = {};
  for (const d of defs) {
    const mounts = d.spec.mounts.map((m) => {
      if (m.type === 'volume') volumes[m.source] = {};
      return `${m.source}:${m.target}`;
    });
    services[d.name] = {
      image: d.spec.image,
      entrypoint: [],
      command: d.spec.cmd.map((c) => c.replaceAll('$', () => '$$')),
      environment: d.spec.env,
      init: true,
      ports: d.spec.ports.map((p) => `127.0.0.1:${p.host}:${p.container}`),
      networks: { default: { ipv4_address: d.spec.ipv4 } },
      ...(mounts.length ? { volumes: mounts } : {}),
      healthcheck: { test: ['CMD', 'sh', '-c', health[d.kind]], interval, timeout: '2s', retries: 600 },
      ...(d.dependsOn.length ? { depends_on: Object.fromEntries(d.dependsOn.map((n) => [n, { condition: 'service_healthy' }])) } : {}),
    };
  }
  writeFileSync(
    path.join(dir, 'docker-compose.yml'),
    stringify({ version: '2.4', services, volumes, networks: { default: { ipam: { config: [{ subnet }] } } } }),
  );
  const project = name.replace(/[^a-z0-9]/g, '');
  const compose = (...args) => sh('docker-compose', ['-p', project, ...args], { cwd: dir });
  const allHealthy = () => {
    const out = sh('docker', ['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Status}}']);
    const lines = out.trim().split('\n').filter(Boolean);
    return lines.length === defs.length && lines.every((l) => l.includes('(healthy)'));
  };
  return {
    n: defs.length,
    async cold() {
      compose('down', '-v');
      const t = now();
      compose('up', '-d');
      while (!allHealthy()) await sleep(100);
      return now() - t;
    },
    warm: () => time(() => compose('up', '-d')),
    down: () => compose('down', '-v'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const tools = {
  baas: {
    async cold() {
      baas('down', '--volumes');
      return time(() => baas('up', '--quiet'));
    },
    warm: () => time(() => baas('up', '--quiet')),
    down: () => baas('down', '--volumes'),
    remove: () => rmSync(baasDir, { recursive: true, force: true }),
  },
  'compose 1 s': composeProject('bench-compose-1s', '1s', 16432, '10.252.7.0/24'),
  'compose 200 ms': composeProject('bench-compose-200ms', '200ms', 17432, '10.252.8.0/24'),
};
const names = Object.keys(tools);
const cold = Object.fromEntries(names.map((n) => [n, []]));
const warm = Object.fromEntries(names.map((n) => [n, []]));
const help = [];
const bare = [];
try {
  for (let round = 0; round < runs; round++) {
    // Rotate the order each round: none always goes first (cold caches) or last.
    for (const name of names.map((_, i) => names[(i + round) % names.length])) {
      cold[name].push(await tools[name].cold());
      warm[name].push(tools[name].warm());
      tools[name].down(); // one stack at a time: the two cores are not shared between tools
      process.stdout.write(`  round ${round + 1}: ${name.padEnd(15)} cold ${(cold[name].at(-1) / 1000).toFixed(2)} s, warm ${(warm[name].at(-1) / 1000).toFixed(2)} s\n`);
    }
  }
  // Start-up: `baas --help` paired with bare node, alternating.
  for (let i = 0; i < 9; i++) {
    bare.push(time(() => sh(process.execPath, ['-e', '0'])));
    help.push(time(() => baas('--help')));
  }
} finally {
  for (const t of Object.values(tools)) {
    try {
      t.down();
    } catch (e) {
      console.error(String(e));
    }
    t.remove();
  }
}

const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ok) => (ok ? 'met' : 'missed');
console.log(`\nbaas vs docker-compose, ${tools['compose 1 s'].n} services (Postgres, Redis master + 2 replicas + 3 sentinels), local images, data volumes, median of ${runs} interleaved rounds`);
console.log('readiness: baas checks select 1 as the app role, replicas online, sentinel quorum (polling every 200 ms);');
console.log('compose healthchecks ask the same through docker exec (postmaster ready for connections, replicas online/linked, CKQUORUM)\n');
console.log(`${'measure'.padEnd(34)}${'baas'.padEnd(10)}${'compose 1 s'.padEnd(13)}${'compose 200 ms'.padEnd(16)}target                         result`);
const c = (n) => median(cold[n]);
const w = (n) => median(warm[n]);
const best = Math.min(c('compose 1 s'), c('compose 200 ms'));
console.log(
  `${'cold up to all healthy'.padEnd(34)}${f(c('baas')).padEnd(10)}${f(c('compose 1 s')).padEnd(13)}${f(c('compose 200 ms')).padEnd(16)}${'<= the faster compose'.padEnd(31)}${verdict(c('baas') <= best)} (ratio ${(c('baas') / best).toFixed(2)})`,
);
console.log(`${'warm up, nothing to do'.padEnd(34)}${f(w('baas')).padEnd(10)}${f(w('compose 1 s')).padEnd(13)}${f(w('compose 200 ms')).padEnd(16)}${'< 1 s'.padEnd(31)}${verdict(w('baas') < 1000)}`);
const helpOver = median(help) - median(bare);
console.log(`${'baas --help minus node -e 0'.padEnd(34)}${`${Math.round(helpOver)} ms`.padEnd(39)}${'<= 40 ms (issue 9)'.padEnd(31)}${verdict(helpOver <= 40)} (baas --help ${Math.round(median(help))} ms, node -e 0 ${Math.round(median(bare))} ms)`);
console.log(`\nnoise (max-min)/median of cold up: baas ${(spread(cold.baas) * 100).toFixed(0)}%, compose 1 s ${(spread(cold['compose 1 s']) * 100).toFixed(0)}%, compose 200 ms ${(spread(cold['compose 200 ms']) * 100).toFixed(0)}%`);
console.log(`load average (1/5/15 min) at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores: figures from a busier machine are slower for every tool alike`);
console.log(`all runs (ms): ${names.map((n) => `${n} cold ${cold[n].map(Math.round).join(', ')} / warm ${warm[n].map(Math.round).join(', ')}`).join('; ')}; help ${help.map(Math.round).join(', ')}; node -e 0 ${bare.map(Math.round).join(', ')}`);
