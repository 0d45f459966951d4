import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProject } from '../../helpers/harness.js';
import type { Snapshot } from '../../../src/dashboard/types.js';

// Runs the built CLI as a child process (`npm test` builds first).
const BIN = path.resolve('bin/baas.js');
const p = testProject('dashfo');

beforeAll(async () => {
  if (!existsSync(path.resolve('dist/cli/dashboard.js'))) throw new Error('run `npm run build` first: this test spawns bin/baas.js');
  const up = await p.run(['up']);
  if (up.code !== 0) throw new Error(`baas up failed: ${up.err}`);
});
afterAll(async () => {
  await p.cleanup();
});

describe('metrics --watch through a failover', () => {
  it('keeps streaming when the master is killed, reports the failover and the new master', async () => {
    const child = spawn(process.execPath, [BIN, 'metrics', '--watch', '--json', '--interval', '500'], { cwd: p.dir, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const snaps: Snapshot[] = [];
    let killedAt = 0;
    let newMasterAt = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no failover seen in 30 s; ${snaps.length} lines; stderr: ${stderr}`)), 30_000);
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          const s = JSON.parse(line) as Snapshot;
          snaps.push(s);
          if (snaps.length === 3 && !killedAt) {
            expect(s.master?.name).toBe('redis-1');
            killedAt = Date.now();
            execFileSync('docker', ['kill', `baas-${p.name}-redis-1`], { stdio: 'ignore' });
          }
          if (killedAt && s.master && s.master.name !== 'redis-1' && s.master.reachable && s.failover.count > 0) {
            newMasterAt = Date.now();
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`metrics exited ${code}: ${stderr}`)));
      });
      // A few more lines: the stream goes on after the failover.
      const more = snaps.length + 2;
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (snaps.length >= more) {
            clearInterval(t);
            resolve();
          }
        }, 100);
      });
    } finally {
      child.kill('SIGINT');
    }
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));
    expect(code).toBe(0);
    expect(stderr).toBe('');

    const last = snaps[snaps.length - 1]!;
    expect(['redis-2', 'redis-3']).toContain(last.master!.name);
    expect(last.failover.last).toMatchObject({ from: 'redis-1', to: last.master!.name });
    // The master's own +sdown and +odown (not the old master's +sdown as a replica, which comes
    // later and not always before the last line), though the failover's steps outnumber the view.
    const aboutTheMaster = last.sentinel.events.filter((e) => e.type === '+switch-master' || e.message.startsWith('master ')).map((e) => e.type);
    expect(aboutTheMaster).toEqual(expect.arrayContaining(['+sdown', '+odown', '+switch-master']));
    expect(last.sentinel.masterAddress).toBe(last.master!.address);
    expect(last.replication.replicas.find((r) => r.name === 'redis-1')?.reachable).toBe(false);
    // While the master was gone the stream said so.
    expect(snaps.some((s) => s.master?.name === 'redis-1' && !s.master.reachable && s.alerts.active.some((a) => a.kind === 'masterDown'))).toBe(true);
    // Failover takes ~2.5 s with down-after 1000 ms; allow for a loaded machine.
    expect(newMasterAt - killedAt).toBeLessThan(15_000);
  });
});
