// Whole-process figures for a node command, shared by bench/startup.mjs and
// bench/planner-startup.mjs: the wall time measured from outside, and the CPU time (user+sys)
// and event-loop idle time (waiting for I/O) read at exit by a one-line preload (`-r`, CommonJS:
// no ESM loader for bare node).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const PROBE =
  "const { performance } = require('perf_hooks');\nprocess.on('exit', () => { const u = process.resourceUsage(); const e = performance.eventLoopUtilization(); require('fs').writeFileSync(process.env.BAAS_BENCH_PROBE_OUT, `${(u.userCPUTime + u.systemCPUTime) / 1000} ${e.idle}`); });\n";

/** The probe's two files beside `prefix`; `write` creates the preload, `remove` deletes both. */
export function processProbe(prefix) {
  const file = `${prefix}-probe.cjs`;
  const out = `${prefix}-probe.out`;
  return {
    file,
    out,
    write: () => writeFileSync(file, PROBE),
    remove: () => {
      rmSync(file, { force: true });
      rmSync(out, { force: true });
    },
  };
}

/** Runs `node <argv>` with the probe; returns wall, cpu and idle (ms) and its output. */
export function measureNode(probe, argv, { cwd, expectOk = true }) {
  rmSync(probe.out, { force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, ['-r', probe.file, ...argv], { cwd, encoding: 'utf8', env: { ...process.env, BAAS_BENCH_PROBE_OUT: probe.out } });
  const wall = performance.now() - t;
  if (expectOk && r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [cpu, idle] = readFileSync(probe.out, 'utf8').trim().split(' ').map(Number);
  return { wall, cpu, idle, stdout: r.stdout };
}

/** The median (the mean of the middle two for an even count). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
