#!/usr/bin/env node
// Cost of tenant RLS: 1M rows across 100 organisations, queried as the application role with
// RLS enforced vs. the same data in a copy of the table without RLS, side by side in one run.
// Also: time to apply the platform schema to an empty database.
//
//   npm run build && node bench/rls.mjs            (env: ROWS, CLIENTS, SECONDS, ROUNDS, KEEP=1)
//
// Starts its own Postgres through `baas up postgres` in a temp dir (images: local) and removes
// it with `baas down --volumes` at the end.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateUp } from '../dist/migrate/run.js';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const ORGS = 100;
const CLIENTS = Number(process.env.CLIENTS ?? 4);
const SECONDS = Number(process.env.SECONDS ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const bin = fileURLToPath(new URL('../bin/baas.js', import.meta.url));

const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-bench-rls-'));
const project = `bench-rls-${Math.random().toString(36).slice(2, 8)}`;
writeFileSync(
  path.join(dir, 'platform.config.yaml'),
  `project: ${project}\nimages: local\nservices:\n  postgres:\n    port: auto\n  redis:\n    enabled: false\n  mongo:\n    enabled: false\nmigrations:\n  dir: migrations\n`,
);
mkdirSync(path.join(dir, 'migrations'));
const baas = (...args) => execFileSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const log = (s) => process.stdout.write(`${s}\n`);

async function withClient(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Runs `query(client, i)` on CLIENTS connections for SECONDS; returns queries per second. */
async function load(url, setup, query) {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const ctx = await setup(c, i);
    return { c, ctx };
  }));
  // warm-up
  await Promise.all(clients.map(async ({ c, ctx }) => { for (let k = 0; k < 200; k++) await query(c, ctx); }));
  let count = 0;
  const end = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(clients.map(async ({ c, ctx }) => {
    while (Date.now() < end) {
      await query(c, ctx);
      count++;
    }
  }));
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(clients.map(({ c }) => c.end()));
  return count / secs;
}

try {
  log(`baas RLS benchmark: ${fmt(ROWS)} rows, ${ORGS} organisations, ${CLIENTS} clients, ${SECONDS} s per measurement, ${ROUNDS} rounds (order rotated, median kept)`);
  baas('up', 'postgres', '--quiet');
  const env = JSON.parse(baas('connect', 'postgres', '--json', '--show-secrets')).env;
  const adminUrl = env.DATABASE_ADMIN_URL;
  const appUrl = env.DATABASE_URL;
  const urlFor = (db) => { const u = new URL(adminUrl); u.pathname = `/${db}`; return u.toString(); };

  // 1. Platform schema on an empty database (3 fresh databases, median).
  const times = [];
  for (let i = 0; i < 3; i++) {
    await withClient(adminUrl, (c) => c.query(`create database bench_empty_${i}`));
    const r = await migrateUp({}, { url: urlFor(`bench_empty_${i}`), appRole: 'app', appDir: path.join(dir, 'migrations') });
    times.push(r.durationMs);
  }
  times.sort((a, b) => a - b);
  log(`\nplatform schema on an empty database: ${times[1]} ms median (${times.join(', ')} ms; connect + lock + ${3} migrations); target < 500 ms: ${times[1] < 500 ? 'met' : 'missed'}`);

  // 2. Data: items (RLS enforced) and items_plain (no RLS), same rows, same indexes.
  await migrateUp({}, { url: adminUrl, appRole: 'app', appDir: path.join(dir, 'migrations') });
  const orgIds = await withClient(adminUrl, async (c) => {
    const t0 = Date.now();
    await c.query(`insert into baas_platform.organisations (slug, name) select 'org-' || g, 'Org ' || g from generate_series(0, ${ORGS - 1}) g`);
    const ids = (await c.query('select id from baas_platform.organisations order by (substr(slug, 5))::int')).rows.map((r) => r.id);
    await c.query(`create table items (id bigint not null, org_id uuid not null, created_at timestamptz not null, title text not null, body text not null)`);
    await c.query(
      `insert into items select g, ($1::uuid[])[g % ${ORGS} + 1], now() - g * interval '1 second', 'item ' || g, repeat('x', 60) from generate_series(1, ${ROWS}) g`,
      [ids],
    );
    await c.query('alter table items add primary key (id)');
    await c.query('create index items_org_created_idx on items (org_id, created_at desc)');
    // Same build order as items (load, then index) so both indexes are equally compact.
    await c.query('create table items_plain (like items including defaults including constraints)');
    await c.query('insert into items_plain select * from items');
    await c.query('alter table items_plain add primary key (id)');
    await c.query('create index items_plain_org_created_idx on items_plain (org_id, created_at desc)');
    await c.query("select baas_platform.enable_tenant_rls('public.items', 'org_id', 'enforce')");
    await c.query('vacuum analyze items');
    await c.query('vacuum analyze items_plain');
    log(`loaded ${fmt(ROWS)} rows twice in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return ids;
  });

  // Each client acts for one organisation (set once per session, as a pooled app would per checkout).
  const setup = async (c, i) => {
    const idx = (i * 37) % ORGS;
    await c.query('select baas_platform.set_active_org($1::uuid, false)', [orgIds[idx]]);
    return { idx, org: orgIds[idx] };
  };
  const randomIdOf = (idx) => Math.floor(Math.random() * Math.floor(ROWS / ORGS)) * ORGS + idx || ORGS + idx;
  const workloads = {
    'point lookup by id': {
      rls: (c, x) => c.query({ name: 'p_rls', text: 'select * from items where id = $1', values: [randomIdOf(x.idx)] }),
      plain: (c, x) => c.query({ name: 'p_plain', text: 'select * from items_plain where id = $1 and org_id = $2', values: [randomIdOf(x.idx), x.org] }),
    },
    '50 newest rows of my org': {
      rls: (c) => c.query({ name: 'r_rls', text: 'select id, title, created_at from items order by created_at desc limit 50' }),
      plain: (c, x) => c.query({ name: 'r_plain', text: 'select id, title, created_at from items_plain where org_id = $1 order by created_at desc limit 50', values: [x.org] }),
    },
  };

  // Sanity: the RLS query sees only the org's rows and uses the index.
  await withClient(appUrl, async (c) => {
    await c.query('select baas_platform.set_active_org($1::uuid, false)', [orgIds[0]]);
    const n = (await c.query('select count(*)::int as n from items')).rows[0].n;
    const plan = (await c.query('explain select id from items order by created_at desc limit 50')).rows.map((r) => r['QUERY PLAN']).join('\n');
    log(`as role app with org-0 active: ${fmt(n)} of ${fmt(ROWS)} rows visible; plan uses ${/items_org_created_idx/.test(plan) ? 'items_org_created_idx' : 'NO index'}${/InitPlan/.test(plan) ? ' with current_org() as an InitPlan (once per query)' : ''}`);
  });

  log('\nqueries/s as the application role (higher is better), median of the rounds');
  log(`${'workload'.padEnd(28)}${'RLS enforced'.padStart(14)}${'no RLS'.padStart(12)}${'ratio'.padStart(9)}${'overhead'.padStart(10)}${'noise floor'.padStart(13)}   target: overhead <= 10%`);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const spread = (xs) => (Math.max(...xs) - Math.min(...xs)) / median(xs);
  for (const [name, w] of Object.entries(workloads)) {
    const rls = [];
    const plain = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Rotate: even rounds measure plain first, odd rounds RLS first (warm caches favour the second).
      const order = r % 2 === 0 ? ['plain', 'rls'] : ['rls', 'plain'];
      for (const v of order) (v === 'rls' ? rls : plain).push(await load(appUrl, setup, w[v]));
    }
    const ratio = median(rls) / median(plain);
    const overhead = (1 - ratio) * 100;
    // The noise floor: how much the same measurement moved between rounds (the larger of the two).
    const noise = Math.max(spread(rls), spread(plain)) * 100;
    const result = `${overhead <= 10 ? 'met' : 'missed'}${Math.abs(overhead) < noise ? ' (the difference is within the noise floor)' : ''}`;
    log(`${name.padEnd(28)}${fmt(median(rls)).padStart(14)}${fmt(median(plain)).padStart(12)}${ratio.toFixed(3).padStart(9)}${`${overhead.toFixed(1)}%`.padStart(10)}${`${noise.toFixed(1)}%`.padStart(13)}   ${result}`);
    log(`${''.padEnd(28)}rounds: RLS ${rls.map(fmt).join(', ')}; no RLS ${plain.map(fmt).join(', ')}`);
  }
  log(`load average (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  log('\nnoise floor = (max - min) / median of one variant across rounds, the larger of the two; an overhead smaller than it is not distinguishable from noise.');
} finally {
  if (process.env.KEEP !== '1') {
    try {
      baas('down', '--volumes');
    } catch (e) {
      process.stderr.write(`cleanup failed: ${e.message}\n`);
    }
    rmSync(dir, { recursive: true, force: true });
  } else log(`kept the stack: cd ${dir} && node ${bin} down --volumes`);
}
