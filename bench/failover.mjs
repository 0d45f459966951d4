#!/usr/bin/env node
// Benchmark for issue 11: Redis failover as a client sees it. A throwaway local-profile stack
// (down-after-milliseconds 1000), then `baas redis failover --kill --measure` N times: the
// master's container is killed while a writer (baas's recommended ioredis settings, through the
// Sentinels) counts writes acknowledged by a replica (WAIT 1). Figures: time from the kill to
// the first acknowledged write on the new master, acknowledged writes lost; then a few pauses
// (`--pause 3`, a partitioned master that comes back) with the writes it lost.
//
//   npm run build && node bench/failover.mjs [--trials 5] [--pauses 2]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const arg = (name, dflt) => Number(process.argv[process.argv.indexOf(name) + 1] || dflt) || dflt;
const trials = arg('--trials', 5);
const pauses = arg('--pauses', 2);
const BIN = path.resolve('bin/baas.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-bench-failover-'));
writeFileSync(path.join(dir, 'platform.config.yaml'), `project: bench-failover
images: local
services:
  postgres: { enabled: false }
  redis: { port: auto, sentinelPort: auto, downAfterMilliseconds: 1000, failoverTimeout: 5000 }
  mongo: { enabled: false }
`);
const baas = (...args) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8' });
  // Exit 6 with --json: the measurement is printed, and acknowledged writes were lost (a figure, not a crash).
  const measured = r.status === 6 && args.includes('--json') && r.stdout.trim().startsWith('{');
  if (r.status !== 0 && !measured) throw new Error(`baas ${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kills = [];
const paused = [];
try {
  baas('up', '--quiet');
  for (let i = 0; i < trials; i++) {
    kills.push(JSON.parse(baas('redis', 'failover', '--kill', '--measure', '--json')));
    baas('up', '--quiet'); // everything healthy again before the next trial
  }
  for (let i = 0; i < pauses; i++) {
    paused.push(JSON.parse(baas('redis', 'failover', '--pause', '3', '--measure', '--json')));
    baas('up', '--quiet');
  }
} finally {
  spawnSync(process.execPath, [BIN, 'down', '--volumes'], { cwd: dir });
  rmSync(dir, { recursive: true, force: true });
}

const first = kills.map((k) => k.firstWriteMs ?? Infinity);
const sw = kills.map((k) => k.switchMs);
const acked = kills.reduce((a, k) => a + k.writes.acknowledged, 0);
const lost = kills.reduce((a, k) => a + k.lostAcknowledged, 0);
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ok) => (ok ? 'met' : 'missed');
console.log(`\nRedis failover, ${trials} kills of the master (docker kill), down-after-milliseconds 1000, local profile`);
console.log('measure                                         median     max        target        ');
console.log(`kill -> Sentinels name the new master            ${s(median(sw)).padEnd(10)} ${s(Math.max(...sw)).padEnd(10)}`);
console.log(`kill -> first WAIT-acknowledged write, new master ${s(median(first)).padEnd(10)} ${s(Math.max(...first)).padEnd(10)} median < 2.50 s  ${verdict(median(first) < 2500)}`);
console.log(`acknowledged writes lost                        ${lost} of ${acked}${' '.repeat(Math.max(1, 20 - `${lost} of ${acked}`.length))}0               ${verdict(lost === 0)}`);
console.log(`per trial (ms): switch ${sw.join(', ')}; first write ${first.join(', ')}; old master rejoined: ${kills.map((k) => k.killedRestarted).join(', ')}`);
if (paused.length) {
  console.log(`\n${paused.length} pause(s) of the master for 3 s (docker pause, then resumed): a partition`);
  for (const p of paused) {
    console.log(`  switch ${s(p.switchMs)}, first write ${p.firstWriteMs !== undefined ? s(p.firstWriteMs) : 'none'}; writes ${p.writes.acknowledged} acknowledged, ${p.writes.unacknowledged} unconfirmed, ${p.writes.failed} failed; lost: ${p.lostAcknowledged} acknowledged, ${p.lostUnconfirmed} unconfirmed; old master back as replica: ${p.resumedAsReplica}${p.masterAfter ? `; the Sentinels failed over again, to ${p.masterAfter}` : ''}`);
  }
}
console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} (2 cores; other work on the machine skews every figure)`);
