#!/usr/bin/env node
// Backups of a ~1 GB Postgres, side by side in one run, through the CLI (`node bin/baas.js`):
//   base backup by reflink clone (data and repository on one XFS loop file with reflink=1),
//   base backup as a gzipped tar, and `tar` of the stopped data directory (the physical anchor);
//   restore of each backup plus ~100 MB of WAL into a new running stack;
//   the recovery point under a steady writer: the age of the newest restorable moment, sampled
//   every second, and the rows lost when Postgres is killed (-9) and restored from the archive.
// Needs root (loop mount), `npm run build` and the local images. Prints figures, targets and
// met/missed; it is not a test. Usage: node bench/backup.mjs [--mb 1024] [--wal-mb 100] [--archive-timeout 10] [--rpo-seconds 40]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
const targetMb = Number(opt('mb', '1024'));
const walMb = Number(opt('wal-mb', '100'));
const archiveTimeout = Number(opt('archive-timeout', '10'));
const rpoSeconds = Number(opt('rpo-seconds', '40'));
const id = randomBytes(3).toString('hex');
const project = `bench-bk-${id}`;
const work = `/tmp/baas-bench-backup-${id}`;
const img = `${work}.img`;
const mnt = `${work}-mnt`;
const walDir = `${mnt}/backups/${project}/wal`;

const sh = (cmd, argv, o = {}) => execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...o }).toString();
const baas = (argv, config = path.join(work, 'platform.config.yaml')) => {
  const t = performance.now();
  const r = spawnSync(process.execPath, [cli, '-c', config, ...argv], { cwd: work, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`baas ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { out: r.stdout, wall };
};
const json = (argv, config) => {
  const r = baas([...argv, '--json'], config);
  return { ...JSON.parse(r.out), wall: r.wall };
};
const fmt = (s) => (s === undefined || Number.isNaN(s) ? '-' : s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);
const mb = (b) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const log = (m) => process.stderr.write(`${m}\n`);

/** Writes about `mbytes` MB of WAL (inserts into another table); returns the time just after the last commit. */
async function writeWal(url, mbytes) {
  return withPg(url, async (c) => {
    await c.query('create table if not exists churn (id bigserial primary key, pad text, at timestamptz default clock_timestamp())');
    const start = BigInt((await c.query('select pg_current_wal_lsn() - \'0/0\' as l')).rows[0].l);
    for (;;) {
      await c.query(`insert into churn (pad) select md5(g::text) || repeat('y', 150) from generate_series(1, 50000) g`);
      const now = BigInt((await c.query('select pg_current_wal_lsn() - \'0/0\' as l')).rows[0].l);
      if (now - start >= BigInt(mbytes) * 1024n * 1024n) return { bytes: Number(now - start), at: new Date() };
    }
  });
}

const newestSegmentMtime = () => {
  const names = readdirSync(walDir).filter((n) => /^[0-9A-F]{24}\.gz$/.test(n));
  return Math.max(...names.map((n) => statSync(path.join(walDir, n)).mtimeMs));
};

const cleanup = [];
const rows = [];
const row = (what, figure, target, met, note = '') => rows.push({ what, figure, target, met, note });

async function main() {
  if (!existsSync(path.join(repo, 'dist', 'backup', 'create.js'))) throw new Error('run `npm run build` first');
  mkdirSync(work, { recursive: true });
  cleanup.push(() => rmSync(work, { recursive: true, force: true }));
  mountXfs(img, mnt, '12G', cleanup);
  const config = path.join(work, 'platform.config.yaml');
  writeFileSync(
    config,
    `project: ${project}\nimages: local\nservices:\n  postgres:\n    port: auto\n    data: ${mnt}/pgdata\n  redis:\n    enabled: false\n  mongo:\n    enabled: false\nbackups:\n  enabled: true\n  dir: ${mnt}/backups\n  archiveTimeout: ${archiveTimeout}\n  keep: 20\n`,
  );
  const restored = [];
  cleanup.unshift(() => {
    for (const file of restored) spawnSync(process.execPath, [cli, '-c', file, 'down', '--volumes'], { cwd: work });
    spawnSync(process.execPath, [cli, '-c', config, 'down', '--volumes'], { cwd: work });
  });
  baas(['up', '--quiet']);
  const admin = JSON.parse(baas(['connect', 'postgres', '--show-secrets', '--json']).out).env.DATABASE_ADMIN_URL;

  log(`growing the database to ${targetMb} MB (its WAL is archived as it goes)…`);
  const size = await growTo(admin, targetMb);
  log(`  ${mb(size)}`);

  // 1. Base backups side by side: a gzipped tar, then clones, then tar of the stopped directory.
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const archive = json(['backup', 'create', '--method', 'archive', '--no-prune', '--label', 'archive']);
  log(`  archive: ${fmt(archive.wall)} (copy ${fmt(archive.copyMs / 1000)}), ${mb(archive.storedBytes)} stored`);
  const clones = [];
  for (let i = 0; i < 3; i++) clones.push(json(['backup', 'create', '--method', 'clone', '--no-prune', '--label', `clone-${i}`]));
  const cloneWall = median(clones.map((c) => c.wall));
  const cloneCopy = median(clones.map((c) => c.copyMs / 1000));
  log(`  clone: ${clones.map((c) => `${fmt(c.wall)} (copy ${fmt(c.copyMs / 1000)})`).join(', ')}`);
  const pgc = `baas-${project}-postgres`;
  sh('docker', ['stop', '-t', '60', pgc]);
  const t = performance.now();
  sh('tar', ['-C', `${mnt}/pgdata`, '-cf', `${mnt}/stopped.tar`, 'pgdata']);
  const tarStopped = (performance.now() - t) / 1000;
  rmSync(`${mnt}/stopped.tar`, { force: true });
  sh('docker', ['start', pgc]);
  baas(['up', '--quiet']);

  row(`base backup of ${mb(size)} by reflink clone: \`backup create\` end to end (median of 3)`, fmt(cloneWall), '< 1 s', cloneWall < 1);
  const cloneIn = median(clones.map((c) => c.durationMs / 1000));
  row('  inside the command (without the CLI starting)', fmt(cloneIn), '< 1 s', cloneIn < 1);
  row('  the clone of the data directory itself', fmt(cloneCopy), '< 1 s', cloneCopy < 1);
  row(`base backup of ${mb(size)} as a gzipped tar, end to end`, fmt(archive.wall), '-', undefined, `${mb(archive.storedBytes)} stored; copy ${fmt(archive.copyMs / 1000)}`);
  row('tar of the stopped data directory (anchor, no compression)', fmt(tarStopped), '-', undefined, 'needs Postgres stopped');

  // 2. Restore of each kind of backup plus ~100 MB of WAL, into a new running stack. A restore
  // --at T starts from the newest backup before T: the clones first, then a new gzipped tar.
  for (const method of ['clone', 'archive']) {
    if (method === 'archive') json(['backup', 'create', '--method', 'archive', '--no-prune', '--label', 'archive-2']);
    const w = await writeWal(admin, walMb);
    const T = w.at.toISOString();
    log(`  restoring the ${method} backup + ${mb(w.bytes)} of WAL to ${T}…`);
    const r = json(['backup', 'restore', '--at', T, '--to', `${project}-${method}`]);
    restored.push(r.configFile);
    row(`restore ${method} backup + ${mb(w.bytes)} WAL to a running new stack (end to end)`, fmt(r.wall), '< 15 s', r.wall < 15, `recovery ${fmt(r.recoveryMs / 1000)}, from ${r.backup.label}`);
    baas(['down', '--volumes'], r.configFile);
  }

  // 3. The recovery point under a steady writer.
  log(`steady writer for ${rpoSeconds} s (archive_timeout ${archiveTimeout} s)…`);
  const writer = new pg.Client({ connectionString: admin });
  await writer.connect();
  writer.on('error', () => {});
  await writer.query('create table if not exists ticks (id bigserial primary key, at timestamptz not null default clock_timestamp())');
  let lastCommitted = 0;
  let writing = true;
  const loop = (async () => {
    while (writing) {
      try {
        const r = await writer.query('insert into ticks default values returning at');
        lastCommitted = r.rows[0].at.getTime();
      } catch {
        return;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  const ages = [];
  await new Promise((res) => setTimeout(res, archiveTimeout * 1000)); // past the first forced switch
  const until = Date.now() + rpoSeconds * 1000;
  while (Date.now() < until) {
    ages.push((Date.now() - newestSegmentMtime()) / 1000);
    await new Promise((res) => setTimeout(res, 1000));
  }
  const maxAge = Math.max(...ages);
  row(`recovery point under a steady writer: age of the newest archived moment (max of ${ages.length} samples)`, fmt(maxAge), `≤ ${archiveTimeout} s`, maxAge <= archiveTimeout, `median ${fmt(median(ages))}`);
  // Kill Postgres (no restart), restore the latest from the archive alone, count what was lost.
  sh('docker', ['update', '--restart', 'no', pgc]);
  sh('docker', ['kill', pgc]);
  writing = false;
  await loop;
  await writer.end().catch(() => {});
  const r = json(['backup', 'restore', '--at', 'latest', '--to', `${project}-rpo`]);
  restored.push(r.configFile);
  const url = JSON.parse(baas(['connect', 'postgres', '--show-secrets', '--json'], r.configFile).out).env.DATABASE_ADMIN_URL;
  const newest = await withPg(url, async (c) => (await c.query('select max(at) as m from ticks')).rows[0].m.getTime());
  const lost = (lastCommitted - newest) / 1000;
  row('recovery point after kill -9 of Postgres: commits lost (restored from the archive alone)', fmt(lost), `≤ ${archiveTimeout} s`, lost <= archiveTimeout, `restore ${fmt(r.wall)}`);
  sh('docker', ['update', '--restart', 'unless-stopped', pgc]);

  process.stdout.write(`\nbaas backup benchmark: ${mb(size)} database, XFS loop file (reflink=1), archive_timeout ${archiveTimeout} s\n\n`);
  process.stdout.write('| measure | figure | target | result | note |\n|---|---|---|---|---|\n');
  for (const x of rows) process.stdout.write(`| ${x.what} | ${x.figure} | ${x.target} | ${x.met === undefined ? '' : x.met ? 'met' : 'missed'} | ${x.note} |\n`);
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : e}\n`);
  process.exitCode = 1;
} finally {
  for (const f of cleanup) {
    try {
      f();
    } catch {
      /* best effort */
    }
  }
}
