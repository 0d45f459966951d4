#!/usr/bin/env node
// Branch creation time through the CLI (`node bin/baas.js branch create …`, wall clock) against
// database size, for each copy method, plus pg_dump | pg_restore on Debian's Postgres 15 for the
// same data (a different server version: the Postgres 18 image has no pg_dump, and pg_dump 15
// refuses a newer server; the output says so). Needs root (loop mount), `npm run build`, the local
// images, and postgresql-15.
// Also measures how long the parent refuses connections when a branch is made right after a bulk
// write (--pause-mb, default 256), against the same copy without a checkpoint first.
// Prints figures and ratios; it is not a test.
// Usage: node bench/branch.mjs [--sizes 10,100,1024] [--runs 3] [--pause-mb 256] [--only pause]
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync, chownSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { growTo, withPg } from './lib/pg-data.mjs';
import { mountXfs } from './lib/xfs.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'baas.js');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const sizesMb = opt('sizes', '10,100,1024').split(',').map(Number);
const runs = Number(opt('runs', '3'));
const pauseMb = Number(opt('pause-mb', '256'));
const only = opt('only', '');
const id = randomBytes(3).toString('hex');
// The host's Postgres 15 runs as the postgres user, which must reach its directories: /tmp is 0700 on some machines.
const base = statSync('/tmp').mode & 0o001 ? '/tmp' : '/var/tmp';
const work = `${base}/baas-bench-branch-${id}`;
const img = `${work}.img`;
const mnt = `${work}-mnt`;
const pg15 = { bin: '/usr/lib/postgresql/15/bin', dir: `${mnt}/pg15`, port: 54000 + Math.floor(Math.random() * 900), sock: `${work}-sock` };

const sh = (cmd, argv, o = {}) => execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...o }).toString();
const baas = (...argv) => {
  const r = spawnSync(process.execPath, [cli, ...argv], { cwd: work, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`baas ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
};
const timeBaas = (...argv) => {
  const t = performance.now();
  const out = baas(...argv, '--json');
  const wall = (performance.now() - t) / 1000;
  return { wall, inCommand: JSON.parse(out).durationMs / 1000 };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => (s === undefined ? '-' : s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);

const cleanup = [];
async function main() {
  if (!existsSync(path.join(repo, 'dist', 'cli', 'branch.js'))) throw new Error('run `npm run build` first');
  mkdirSync(work, { recursive: true });
  mountXfs(img, mnt, '8G', cleanup);
  mkdirSync(`${mnt}/pgdata`);
  writeFileSync(
    path.join(work, 'platform.config.yaml'),
    `project: bench-br-${id}\nimages: local\nservices:\n  postgres:\n    port: auto\n    data: ${mnt}/pgdata\n  redis:\n    enabled: false\n  mongo:\n    enabled: false\n`,
  );
  cleanup.unshift(() => {
    spawnSync(process.execPath, [cli, 'down', '--volumes'], { cwd: work });
    rmSync(work, { recursive: true, force: true });
  });
  baas('up', '--quiet');
  const admin = baas('branch', 'connstr', 'main', '--admin').trim();
  const pause = await pauseAfterBulkWrite(admin);
  if (only === 'pause') return printPause(pause);

  // Postgres 15 on the host, same filesystem, for pg_dump | pg_restore with matching tools.
  mkdirSync(pg15.dir);
  mkdirSync(pg15.sock);
  cleanup.push(() => rmSync(pg15.sock, { recursive: true, force: true }));
  chownSync(pg15.dir, 101, 104);
  chownSync(pg15.sock, 101, 104);
  sh('runuser', ['-u', 'postgres', '--', `${pg15.bin}/initdb`, '-D', pg15.dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  sh('runuser', ['-u', 'postgres', '--', `${pg15.bin}/pg_ctl`, '-D', pg15.dir, '-w', '-l', `${pg15.dir}/log`, '-o', `-p ${pg15.port} -k ${pg15.sock} -c listen_addresses=''`, 'start']);
  cleanup.unshift(() => spawnSync('runuser', ['-u', 'postgres', '--', `${pg15.bin}/pg_ctl`, '-D', pg15.dir, '-m', 'immediate', 'stop']));
  const pg15url = (db) => `postgres://postgres@/${db}?host=${encodeURIComponent(pg15.sock)}&port=${pg15.port}`;
  await withPg(pg15url('postgres'), (c) => c.query('create database app'));

  const rows = [];
  for (const mb of sizesMb) {
    const size = await growTo(admin, mb);
    await growTo(pg15url('app'), mb);
    const row = { mb, size };
    for (const strategy of ['clone', 'file_copy', 'wal_log']) {
      const n = strategy === 'clone' ? runs : mb >= 1024 ? Math.min(runs, 2) : runs;
      const times = [];
      const inside = [];
      for (let i = 0; i < n; i++) {
        await withPg(admin, (c) => c.query('checkpoint'));
        const r = timeBaas('branch', 'create', `b-${strategy.replace('_', '-')}`, '--strategy', strategy);
        times.push(r.wall);
        inside.push(r.inCommand);
        baas('branch', 'delete', `b-${strategy.replace('_', '-')}`);
      }
      row[strategy] = median(times);
      row[`${strategy}In`] = median(inside);
      process.stderr.write(`  ${mb} MB ${strategy}: ${times.map(fmt).join(', ')} (inside the command: ${inside.map(fmt).join(', ')})\n`);
    }
    // The same clone as plain SQL from an open session: what the CLI adds on top.
    const sqlTimes = [];
    for (let i = 0; i < runs; i++) {
      await withPg(admin.replace(/\/[^/?]*$/, '/postgres'), async (c) => {
        await c.query('checkpoint');
        const t = performance.now();
        await c.query('set file_copy_method = clone');
        await c.query('create database sqlclone template app strategy file_copy');
        sqlTimes.push((performance.now() - t) / 1000);
        await c.query('drop database sqlclone');
      });
    }
    row.sqlClone = median(sqlTimes);
    const t = performance.now();
    sh('runuser', ['-u', 'postgres', '--', `${pg15.bin}/createdb`, '-h', pg15.sock, '-p', String(pg15.port), 'restored']);
    sh('bash', ['-c', `set -o pipefail; runuser -u postgres -- ${pg15.bin}/pg_dump -Fc -h ${pg15.sock} -p ${pg15.port} app | runuser -u postgres -- ${pg15.bin}/pg_restore -h ${pg15.sock} -p ${pg15.port} -d restored`]);
    row.dump = (performance.now() - t) / 1000;
    sh('runuser', ['-u', 'postgres', '--', `${pg15.bin}/dropdb`, '-h', pg15.sock, '-p', String(pg15.port), 'restored']);
    process.stderr.write(`  ${mb} MB sql clone ${fmt(row.sqlClone)}, pg_dump|pg_restore (PG 15) ${fmt(row.dump)}\n`);
    rows.push(row);
  }

  const head = ['database', 'clone (baas)', 'clone in-command', 'clone (SQL)', 'file_copy (baas)', 'wal_log (baas)', 'dump|restore (PG 15*)', 'wal_log/clone', 'file_copy/clone', 'dump/clone'];
  const body = rows.map((r) => [
    `${Math.round(r.size / 1024 / 1024)} MB`,
    fmt(r.clone),
    fmt(r.cloneIn),
    fmt(r.sqlClone),
    fmt(r.file_copy),
    fmt(r.wal_log),
    fmt(r.dump),
    `${(r.wal_log / r.clone).toFixed(1)}x`,
    `${(r.file_copy / r.clone).toFixed(1)}x`,
    `${(r.dump / r.clone).toFixed(1)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(`\nbaas branch create, end to end (node bin/baas.js, wall clock, median of ${runs}; 1 GB full copies: median of ${Math.min(runs, 2)})`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  console.log(
    '* pg_dump | pg_restore runs on a different server: Debian\'s Postgres 15 on the host (same XFS filesystem, same data), because the\n  Postgres 18 image has no pg_dump and a pg_dump 15 refuses a Postgres 18 server. Compare it across versions with that in mind.',
  );
  const first = rows[0];
  const last = rows[rows.length - 1];
  const verdict = (ok) => (ok ? 'met' : 'missed');
  const scale = last.clone / first.clone;
  const vsWal = last.wal_log / last.clone;
  console.log(`\nclone ${Math.round(last.size / 1048576)} MB vs ${Math.round(first.size / 1048576)} MB: ${scale.toFixed(2)}x (target: within 2x): ${verdict(scale <= 2)}`);
  console.log(`clone ${Math.round(last.size / 1048576)} MB through the CLI, end to end: ${fmt(last.clone)} (target, issue 9: under 300 ms): ${verdict(last.clone < 0.3)}`);
  console.log(`clone vs WAL_LOG through the same CLI at ${Math.round(last.size / 1048576)} MB: ${vsWal.toFixed(1)}x faster (target, issue 9: at least 15x): ${verdict(vsWal >= 15)}`);
  console.log(`CLI start-up (wall minus in-command) at ${Math.round(last.size / 1048576)} MB: ${fmt(last.clone - last.cloneIn)}: node, config, Docker lookup of the port, pg driver`);
  console.log(`in-command clone (checks, pause, copy, register) vs the bare SQL clone: ${fmt(last.cloneIn)} vs ${fmt(last.sqlClone)}; WAL_LOG in-command ${fmt(last.wal_logIn)} = ${(last.wal_logIn / last.cloneIn).toFixed(0)}x the in-command clone`);
  printPause(pause);
}

/**
 * The parent's pause right after a bulk write: write `pauseMb` MB into main (no checkpoint), then
 * `baas branch create` while a client keeps connecting to main; the pause is what the command
 * reports and the span during which that client was refused. Side by side, the same copy the way
 * it was done before (bare SQL: disallow connections, CREATE DATABASE … STRATEGY FILE_COPY, allow),
 * whose forced checkpoint then has the whole write to flush.
 */
async function pauseAfterBulkWrite(admin) {
  const bulk = async () => {
    await withPg(admin, async (c) => {
      await c.query('create table if not exists pause_bulk (id bigint, pad text)');
      await c.query('truncate pause_bulk');
      await c.query('checkpoint');
      // ~1 kB rows: pauseMb MB of heap written and left dirty.
      await c.query(`insert into pause_bulk select g, repeat(md5(g::text), 29) from generate_series(1, ${pauseMb * 1000}) g`);
    });
  };
  const dbUrl = (db) => admin.replace(/\/[^/?]*(\?|$)/, `/${db}$1`);
  const mainDb = new URL(admin).pathname.slice(1);
  /** Connects to main over and over; returns how long connections were refused (first to last refusal). */
  const probe = () => {
    let stop = false;
    let first;
    let last;
    let attempts = 0;
    const done = (async () => {
      while (!stop) {
        const t = performance.now();
        const c = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 5000 });
        c.on('error', () => {});
        attempts++;
        try {
          await c.connect();
          await c.end();
        } catch (e) {
          if (e.code === '55000' || /not currently accepting connections|does not allow connections/.test(e.message)) {
            first ??= t;
            last = performance.now();
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    return async () => {
      stop = true;
      await done;
      return { refusedMs: first === undefined ? 0 : last - first, attempts };
    };
  };
  const baasAsync = (...argv) =>
    new Promise((resolve, reject) =>
      execFile(process.execPath, [cli, ...argv], { cwd: work, encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`baas ${argv.join(' ')}: ${stderr}`)) : resolve(stdout))),
    );
  const n = Math.max(3, runs);
  const withCheckpoint = [];
  for (let i = 0; i < n; i++) {
    await bulk();
    const stopProbe = probe();
    await new Promise((r) => setTimeout(r, 50));
    const r = JSON.parse(await baasAsync('branch', 'create', `pause-${i}`, '--strategy', 'clone', '--json'));
    const seen = await stopProbe();
    baas('branch', 'delete', `pause-${i}`);
    withCheckpoint.push({ reported: r.pause.pauseMs, refused: seen.refusedMs, statement: r.pause.statementMs });
    process.stderr.write(`  pause after ${pauseMb} MB, baas branch create: reported ${fmt(r.pause.pauseMs / 1000)}, refused for ${fmt(seen.refusedMs / 1000)} (${seen.attempts} connection attempts)\n`);
  }
  const bare = [];
  for (let i = 0; i < n; i++) {
    await bulk();
    const stopProbe = probe();
    await new Promise((r) => setTimeout(r, 50));
    await withPg(dbUrl('postgres'), async (c) => {
      const t = performance.now();
      await c.query(`alter database "${mainDb}" allow_connections false`);
      try {
        await c.query('select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [mainDb]);
        await c.query('set file_copy_method = clone');
        await c.query(`create database pause_bare template "${mainDb}" strategy file_copy`);
      } finally {
        await c.query(`alter database "${mainDb}" allow_connections true`);
      }
      const ms = performance.now() - t;
      const seen = await stopProbe();
      await c.query('drop database pause_bare');
      bare.push({ reported: ms, refused: seen.refusedMs });
      process.stderr.write(`  pause after ${pauseMb} MB, same copy without a checkpoint first: ${fmt(ms / 1000)}, refused for ${fmt(seen.refusedMs / 1000)}\n`);
    });
  }
  await withPg(admin, (c) => c.query('drop table pause_bulk'));
  return { n, withCheckpoint, bare };
}

function printPause({ n, withCheckpoint, bare }) {
  const med = (xs, k) => median(xs.map((x) => x[k]));
  const worst = (xs, k) => Math.max(...xs.map((x) => x[k]));
  const target = 200;
  const seen = worst(withCheckpoint, 'refused');
  const reported = worst(withCheckpoint, 'reported');
  console.log(`\nParent paused by \`baas branch create\` (clone) right after a ${pauseMb} MB bulk write, ${n} rounds (median / worst):`);
  console.log(`  reported by the command (pause.pauseMs): ${fmt(med(withCheckpoint, 'reported') / 1000)} / ${fmt(reported / 1000)}   target: under ${target} ms, ${reported < target ? 'met' : 'missed'}`);
  console.log(`  refused connections seen by a client:     ${fmt(med(withCheckpoint, 'refused') / 1000)} / ${fmt(seen / 1000)}   target: under ${target} ms, ${seen < target ? 'met' : 'missed'}`);
  console.log(`  of which CREATE DATABASE itself:          ${fmt(med(withCheckpoint, 'statement') / 1000)} / ${fmt(worst(withCheckpoint, 'statement') / 1000)}`);
  console.log(`  the same copy without a checkpoint first: ${fmt(med(bare, 'reported') / 1000)} / ${fmt(worst(bare, 'reported') / 1000)} (refused ${fmt(med(bare, 'refused') / 1000)} / ${fmt(worst(bare, 'refused') / 1000)}) — how it was before`);
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
