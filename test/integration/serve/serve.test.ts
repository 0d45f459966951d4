import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTestConfig, pgQuery, testProject } from '../../helpers/harness.js';
import { client } from '../dashboard/helpers.js';
import { receiver, startAgent, stopAgent, waitFor, type RunningAgent } from './agent.js';

const p = testProject('serve');
let agent: RunningAgent | undefined;
let good: Awaited<ReturnType<typeof receiver>>;
let flaky: Awaited<ReturnType<typeof receiver>>;
let adminUrl = '';

beforeAll(async () => {
  good = await receiver(0);
  flaky = await receiver(2);
  p.writeConfig(`${defaultTestConfig()}alerts:
  webhooks:
    - url: ${good.url}
      format: generic
    - url: ${flaky.url}
      format: slack
schedules:
  - name: nightly-gc
    job: branch-gc
    cron: "0 3 * * *"
`);
  const up = await p.run(['up']);
  if (up.code !== 0) throw new Error(`baas up failed: ${up.err}`);
  adminUrl = (await p.runJson<{ env: Record<string, string> }>(['connect', 'postgres', '--show-secrets'])).env['DATABASE_ADMIN_URL']!;
  agent = await startAgent(p);
  await waitFor('/health ok from a collection', async () => {
    const h = (await agent!.get('/health')).json();
    return h.status === 'ok' && h.collectionAgeMs !== null ? true : undefined;
  }, 30_000);
});

afterAll(async () => {
  await stopAgent(agent);
  await good?.close();
  await flaky?.close();
  await p.cleanup();
});

type Family = { name: string; type: string; metrics: { value: string; labels?: Record<string, string> }[] };
const parse = (text: string): Map<string, Family> => new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
const value = (fams: Map<string, Family>, name: string, labels: Record<string, string> = {}): number => {
  const f = fams.get(name);
  const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  if (!m) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
  return Number(m.value);
};
const info = async (r: Awaited<ReturnType<typeof client>>): Promise<Record<string, string>> =>
  Object.fromEntries((await r.info()).split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));

describe('baas serve', () => {
  it('asks for the token on everything but /health (401 with a JSON error in the CLI category)', async () => {
    const a = agent!;
    expect((await a.get('/health')).status).toBe(200);
    for (const pathname of ['/metrics', '/events', '/branches']) {
      const r = await a.get(pathname);
      expect(r.status).toBe(401);
      expect(r.json().error).toMatchObject({ exitCode: 2, category: 'usage' });
      expect(r.json().error.hint).toContain('.baas/serve-token');
      expect((await a.get(pathname, { authorization: 'Bearer wrong' })).status).toBe(401);
    }
    expect((await a.authed('/metrics')).status).toBe(200);
    const h = (await a.get('/health')).json();
    expect(h).toMatchObject({ status: 'ok', project: p.name });
    expect(h.collectionAgeMs).toBeLessThan(5000);
    expect(h.schedules).toMatchObject([{ name: 'nightly-gc', job: 'branch-gc', schedule: 'cron 0 3 * * *' }]);
    expect((await a.get('/health/redis-2')).json()).toMatchObject({ service: 'redis-2', status: 'healthy' });
    expect((await a.get('/health/nope')).status).toBe(404);
    const status = await p.run(['status']);
    expect(status.out).toMatch(/Agent \(baas serve\): running at http:\/\/127\.0\.0\.1:\d+/);
    expect(status.out).toMatch(/schedule nightly-gc \(branch-gc, cron 0 3 \* \* \*\): never ran; next \d{4}-/);
  });

  it('exports redis_exporter and postgres_exporter names whose values agree with INFO and pg_stat_database', async () => {
    const r = await client(p, 'redis-1');
    try {
      for (let i = 0; i < 50; i++) await r.set(`k${i}`, 'v');
      for (let i = 0; i < 80; i++) await r.get(`k${i}`); // 50 hits, 30 misses
      await pgQuery(adminUrl, 'select 1');
      await new Promise((res) => setTimeout(res, 1500));
      const before = await info(r);
      const pgBefore = (await pgQuery<{ xact_commit: string }>(adminUrl, "select xact_commit from pg_stat_database where datname = 'app'"))[0]!;
      await new Promise((res) => setTimeout(res, 2500)); // at least two collections
      const scraped = await agent!.authed('/metrics');
      const after = await info(r);
      const pgAfter = (await pgQuery<{ xact_commit: string; max: string }>(adminUrl, "select xact_commit, current_setting('max_connections') as max from pg_stat_database where datname = 'app'"))[0]!;
      const fams = parse(scraped.body);
      const types = Object.fromEntries([...fams.values()].map((f) => [f.name, f.type]));
      expect(types).toMatchObject({
        redis_up: 'GAUGE',
        redis_connected_clients: 'GAUGE',
        redis_memory_used_bytes: 'GAUGE',
        redis_memory_max_bytes: 'GAUGE',
        redis_commands_processed_total: 'COUNTER',
        redis_keyspace_hits_total: 'COUNTER',
        redis_keyspace_misses_total: 'COUNTER',
        redis_db_keys: 'GAUGE',
        redis_connected_slaves: 'GAUGE',
        pg_up: 'GAUGE',
        pg_stat_database_xact_commit: 'COUNTER',
        pg_stat_database_blks_hit: 'COUNTER',
        pg_stat_database_numbackends: 'GAUGE',
        pg_settings_max_connections: 'GAUGE',
        pg_database_size_bytes: 'GAUGE',
        baas_failovers_total: 'COUNTER',
        baas_branches: 'GAUGE',
      });
      const i1 = { instance: 'redis-1' };
      expect(value(fams, 'redis_up', i1)).toBe(1);
      // Quiet keys and settings are equal; counters lie between the INFO before and after the scrape.
      expect(value(fams, 'redis_keyspace_hits_total', i1)).toBe(Number(after.keyspace_hits));
      expect(value(fams, 'redis_keyspace_misses_total', i1)).toBe(Number(after.keyspace_misses));
      expect(Number(after.keyspace_hits)).toBe(Number(before.keyspace_hits));
      expect(value(fams, 'redis_db_keys', { ...i1, db: 'db0' })).toBe(Number(/keys=(\d+)/.exec(after.db0!)![1]));
      expect(value(fams, 'redis_memory_max_bytes', i1)).toBe(Number(after.maxmemory));
      expect(value(fams, 'redis_connected_slaves', i1)).toBe(2);
      const cmds = value(fams, 'redis_commands_processed_total', i1);
      expect(cmds).toBeGreaterThanOrEqual(Number(before.total_commands_processed));
      expect(cmds).toBeLessThanOrEqual(Number(after.total_commands_processed));
      const mem = value(fams, 'redis_memory_used_bytes', i1);
      expect(Math.abs(mem - Number(after.used_memory)) / Number(after.used_memory)).toBeLessThan(0.05);
      expect(value(fams, 'pg_up', { instance: 'postgres' })).toBe(1);
      expect(value(fams, 'pg_settings_max_connections')).toBe(Number(pgAfter.max));
      const commits = value(fams, 'pg_stat_database_xact_commit', { datname: 'app' });
      expect(commits).toBeGreaterThanOrEqual(Number(pgBefore.xact_commit));
      expect(commits).toBeLessThanOrEqual(Number(pgAfter.xact_commit));
      expect(value(fams, 'baas_redis_master', i1)).toBe(1);
    } finally {
      r.disconnect();
    }
  });

  it('creates, lists and deletes branches with the CLI rules and errors, as JSON', async () => {
    const a = agent!;
    const created = await a.authed('/branches', { method: 'POST', body: { name: 'api-one', ttl: '1d' } });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ branch: 'api-one', database: 'br_api-one', parent: 'main', created: true });
    const list = (await a.authed('/branches')).json();
    expect(list.branches.map((b: { name: string }) => b.name)).toEqual(['main', 'api-one']);
    const again = await a.authed('/branches', { method: 'POST', body: { name: 'api-one' } });
    expect(again.status).toBe(409);
    expect(again.json().error).toMatchObject({ exitCode: 5, category: 'conflict' });
    // The same refusal, word for word, as `baas branch create` gives.
    const bad = await a.authed('/branches', { method: 'POST', body: { name: 'Feature/Login' } });
    const cli = await p.run(['branch', 'create', 'Feature/Login']);
    expect(bad.status).toBe(400);
    expect(cli.code).toBe(2);
    expect(bad.json().error.exitCode).toBe(2);
    expect(cli.err).toContain(bad.json().error.message);
    expect(cli.err).toContain(bad.json().error.hint);
    const notJson = await a.authed('/branches', { method: 'POST', body: '{"name": ' });
    expect(notJson.status).toBe(400);
    expect(notJson.json().error.message).toMatch(/not valid JSON/);
    const unknown = await a.authed('/branches', { method: 'POST', body: { name: 'x1', size: 3 } });
    expect(unknown.status).toBe(400);
    expect(unknown.json().error.message).toMatch(/unknown field\(s\) size/);
    expect((await a.authed('/branches', { method: 'PUT', body: {} })).status).toBe(405);
    const deleted = await a.authed('/branches/api-one', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(deleted.json()).toMatchObject({ branch: 'api-one', database: 'br_api-one' });
    const gone = await a.authed('/branches/api-one', { method: 'DELETE' });
    expect(gone.status).toBe(404);
    expect(gone.json().error).toMatchObject({ exitCode: 2, category: 'usage' });
    const events = (await a.authed('/events?limit=1000')).json().events as { type: string; data?: { branch?: string } }[];
    expect(events.filter((e) => e.data?.branch === 'api-one').map((e) => e.type)).toEqual(['branch.created', 'branch.deleted']);
  });

  it('sends one "firing" and one "resolved" per webhook for a replica stop/start, retrying a failing receiver', async () => {
    const container = `baas-${p.name}-redis-3`;
    execFileSync('docker', ['stop', '-t', '1', container], { stdio: 'ignore' });
    await waitFor('both receivers to get the firing', async () => (good.received.length >= 1 && flaky.received.length >= 1 ? true : undefined), 30_000);
    execFileSync('docker', ['start', container], { stdio: 'ignore' });
    await waitFor('both receivers to get the resolved', async () => (good.received.length >= 2 && flaky.received.length >= 2 ? true : undefined), 45_000);
    await new Promise((r) => setTimeout(r, 3000)); // nothing else may follow
    expect(good.received.map((b) => `${b.state}:${b.alert.id}`)).toEqual(['firing:replicaDown:redis-3', 'resolved:replicaDown:redis-3']);
    expect(good.received[0]).toMatchObject({ source: 'baas', project: p.name, alert: { kind: 'replicaDown', severity: 'warning' } });
    // The flaky receiver answered 500 twice; the third try went through; then the resolve, once.
    expect(flaky.hits.map((h) => h.status)).toEqual([500, 500, 200, 200]);
    expect(flaky.received.map((b: { text: string }) => b.text)).toEqual([expect.stringMatching(/Warning: Replica redis-3 .* does not answer/), expect.stringMatching(/Resolved: Replica redis-3/)]);
    const history = readFileSync(path.join(p.dir, '.baas', 'alerts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; state: string; kind: string; message: string });
    expect(history.filter((h) => h.id === 'replicaDown:redis-3').map((h) => h.state)).toEqual(['fired', 'resolved']);
    expect(history.filter((h) => h.kind === 'notification').map((h) => h.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Sent "firing: .*" to the slack webhook 127\.0\.0\.1:\d+ after 3 attempt\(s\)\.$/), expect.stringMatching(/^Sent "resolved: .*" to the generic webhook .* after 1 attempt\(s\)\.$/)]),
    );
  });

  it('serves 200 requests/s on /health and /metrics for 30 s with no error and flat memory', async () => {
    const a = agent!;
    const heap = async (): Promise<number> => value(parse((await a.authed('/metrics')).body), 'nodejs_heap_size_used_bytes');
    const rss = async (): Promise<number> => value(parse((await a.authed('/metrics')).body), 'process_resident_memory_bytes');
    const samples: { at: number; heap: number; rss: number }[] = [];
    const sampler = setInterval(() => void Promise.all([heap(), rss()]).then(([h, r]) => samples.push({ at: Date.now(), heap: h, rss: r })), 3000);
    const result = await autocannon({
      url: a.url,
      connections: 8,
      overallRate: 200,
      duration: 30,
      requests: [{ method: 'GET', path: '/health' }, { method: 'GET', path: '/metrics', headers: { authorization: `Bearer ${a.token}` } }],
    });
    clearInterval(sampler);
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result.requests.total).toBeGreaterThanOrEqual(200 * 30 * 0.9);
    // Flat: after warm-up, the heap and the resident set do not keep growing.
    const warm = samples.filter((s) => s.at - samples[0]!.at >= 6000);
    const first = warm[0]!;
    const last = warm[warm.length - 1]!;
    expect(warm.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...warm.map((s) => s.heap)) - first.heap).toBeLessThan(16 * 1024 * 1024);
    expect(last.rss - first.rss).toBeLessThan(24 * 1024 * 1024);
  });

  it('loses no request in flight when SIGTERM arrives under load, and exits 0', async () => {
    const a = agent!;
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let answered = 0;
    let refused = 0;
    const lost: string[] = [];
    let stop = false;
    const one = (pathname: string): Promise<void> =>
      new Promise((resolve) => {
        const req = http.get(`${a.url}${pathname}`, { agent: keepAlive, headers: { authorization: `Bearer ${a.token}` } }, (res) => {
          let n = 0;
          res.on('data', (d: Buffer) => (n += d.length));
          res.on('end', () => {
            if (res.complete && n === Number(res.headers['content-length'])) answered++;
            else lost.push(`incomplete ${pathname}`);
            resolve();
          });
          res.on('error', (e) => {
            lost.push(`${pathname}: ${e.message}`);
            resolve();
          });
        });
        req.on('error', (e: NodeJS.ErrnoException) => {
          // Refused: the listener is closed, the request was never sent. Anything else was lost in flight.
          if (e.code === 'ECONNREFUSED') refused++;
          else lost.push(`${pathname}: ${e.code ?? e.message}`);
          resolve();
        });
      });
    const loops = Array.from({ length: 8 }, async (_, i) => {
      while (!stop) {
        await one(i % 2 ? '/metrics' : '/health');
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    await new Promise((r) => setTimeout(r, 2000));
    const answeredBefore = answered;
    a.child.kill('SIGTERM');
    try {
      const code = await a.exited;
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await Promise.all(loops);
      keepAlive.destroy();
      expect(code).toBe(0);
      expect(answeredBefore).toBeGreaterThan(50);
      expect(lost).toEqual([]);
      expect(refused).toBeGreaterThan(0);
      expect(a.logs.some((l) => /"msg":"stopped"/.test(l))).toBe(true);
    } finally {
      // The next test needs an agent, whatever happened here.
      agent = await startAgent(p);
      await waitFor('/health up again', async () => ((await agent!.get('/health')).status === 200 ? true : undefined), 30_000);
    }
  });

  it('turns /health 503 within 2 s of the master being killed, 200 after the failover, and streams the failover on /events', async () => {
    const a = agent!;
    const controller = new AbortController();
    const streamed: { type: string; message: string }[] = [];
    const res = await fetch(`${a.url}/events`, { headers: { authorization: `Bearer ${a.token}`, accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (data) streamed.push(JSON.parse(data));
          }
        }
      } catch {
        /* aborted */
      }
    })();
    const killedAt = Date.now();
    execFileSync('docker', ['kill', `baas-${p.name}-redis-1`], { stdio: 'ignore' });
    const downAt = await waitFor('/health 503', async () => ((await a.get('/health')).status === 503 ? Date.now() : undefined), 10_000, 100);
    expect(downAt - killedAt).toBeLessThan(2000);
    const upAt = await waitFor('/health 200 after the failover', async () => ((await a.get('/health')).status === 200 ? Date.now() : undefined), 30_000, 100);
    const h = (await a.get('/health')).json();
    expect(h.status).toBe('degraded'); // redis-1 is still down
    expect(h.services.find((s: { service: string }) => s.service === 'redis').detail).toMatch(/master redis-[23] answers/);
    await waitFor('the failover on the stream', async () => (streamed.some((e) => e.type === 'failover') ? true : undefined), 10_000);
    controller.abort();
    await reading;
    expect(streamed.find((e) => e.type === 'failover')!.message).toMatch(/from redis-1 to redis-[23]/);
    expect(streamed.map((e) => e.type)).toEqual(expect.arrayContaining(['alert.fired', 'sentinel', 'failover', 'health.changed']));
    expect(streamed.some((e) => e.type === 'sentinel' && /\+switch-master/.test(e.message))).toBe(true);
    expect(upAt).toBeGreaterThan(downAt);
  });
});
