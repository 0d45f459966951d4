import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { EventBus, MemoryEventStore } from '../../../src/serve/events.js';
import { createApi, httpStatusFor, listen, type ApiDeps, type ServerHandle } from '../../../src/serve/http.js';

let handle: ServerHandle | undefined;
afterEach(async () => {
  await handle?.shutdown(1000);
  handle = undefined;
});

async function start(over: Partial<ApiDeps> = {}) {
  const events = new EventBus(new MemoryEventStore());
  const deps: ApiDeps = {
    token: 'secret-token-0123456789',
    health: () => ({ ok: true, body: { status: 'ok' } }),
    serviceHealth: (name) => (name === 'redis' ? { found: true, ok: false, body: { service: 'redis', status: 'down' } } : { found: false }),
    metrics: { contentType: 'text/plain; version=0.0.4', text: async () => 'redis_up{instance="redis-1"} 1\n' },
    events,
    branches: {
      create: async (body) => {
        if ((body as { name?: string }).name === 'taken') throw new UserError("The branch 'taken' already exists.", { exitCode: ExitCode.conflict, hint: 'Use it.' });
        await new Promise((r) => setTimeout(r, 300));
        return { branch: (body as { name: string }).name };
      },
      list: async () => ({ branches: [] }),
      remove: async (name) => {
        throw new UserError(`There is no branch named '${name}'.`, { hint: '`baas branch list` shows the branches.' });
      },
    },
    logger: silentLogger,
    ...over,
  };
  const api = createApi(deps);
  handle = await listen(api, { host: '127.0.0.1', port: 0 });
  const auth = { authorization: `Bearer ${deps.token}` };
  return { url: handle.url, events, auth, api };
}

const call = async (url: string, init: RequestInit = {}) => {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, text, json: () => JSON.parse(text) };
};

describe('the agent API', () => {
  it('serves /health without a token and everything else only with it', async () => {
    const { url, auth } = await start();
    expect((await call(`${url}/health`)).status).toBe(200);
    expect((await call(`${url}/health/redis`)).status).toBe(503);
    expect((await call(`${url}/health/nope`)).json().error.message).toBe("There is no service named 'nope'.");
    const denied = await call(`${url}/metrics`);
    expect(denied.status).toBe(401);
    expect(denied.json()).toMatchObject({ error: { exitCode: 2, category: 'usage' } });
    expect((await call(`${url}/metrics`, { headers: { authorization: 'Bearer secret-token-0123456789x' } })).status).toBe(401);
    const ok = await call(`${url}/metrics`, { headers: auth });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('redis_up');
  });

  it('answers errors as JSON with the CLI exit code and category', async () => {
    const { url, auth } = await start();
    const post = (body: string) => call(`${url}/branches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
    expect((await post('{"name":"taken"}')).json()).toEqual({ error: { message: "The branch 'taken' already exists.", hint: 'Use it.', exitCode: 5, category: 'conflict' } });
    expect((await post('{"name":"taken"}')).status).toBe(409);
    const bad = await post('{oops');
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toMatch(/^The request body is not valid JSON/);
    const missing = await call(`${url}/branches/nope`, { method: 'DELETE', headers: auth });
    expect(missing.status).toBe(404);
    expect(missing.json().error).toMatchObject({ exitCode: 2, category: 'usage', hint: '`baas branch list` shows the branches.' });
    expect((await call(`${url}/branches`, { method: 'PATCH', headers: auth })).status).toBe(405);
    expect((await call(`${url}/nowhere`, { headers: auth })).status).toBe(404);
    expect([httpStatusFor(ExitCode.external), httpStatusFor(ExitCode.timeout), httpStatusFor(ExitCode.unhealthy)]).toEqual([502, 504, 503]);
  });

  it('streams events as Server-Sent Events, resuming after Last-Event-ID', async () => {
    const { url, auth, events } = await start();
    events.publish('branch.created', 'one');
    const res = await fetch(`${url}/events`, { headers: { ...auth, accept: 'text/event-stream', 'last-event-id': '0' } });
    const reader = res.body!.getReader();
    events.publish('failover', 'Failover: the master moved from redis-1 to redis-3.');
    let text = '';
    while (!text.includes('event: failover')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toMatch(/id: 1\nevent: branch\.created\ndata: \{"id":1/);
    expect(text).toMatch(/id: 2\nevent: failover\n/);
    const history = await call(`${url}/events?since=1`, { headers: auth });
    expect(history.json().events.map((e: { id: number }) => e.id)).toEqual([2]);
  });

  it('lets a request in flight finish on shutdown, with Connection: close, then refuses new connections', async () => {
    const { url, auth } = await start();
    const agent = new http.Agent({ keepAlive: true });
    const slow = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request(`${url}/branches`, { method: 'POST', agent, headers: { ...auth, 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      });
      req.on('error', reject);
      req.end('{"name":"slow"}');
    });
    await new Promise((r) => setTimeout(r, 50));
    const stopping = handle!.shutdown(5000);
    const r = await slow;
    expect(r).toMatchObject({ status: 201, connection: 'close' });
    expect(JSON.parse(r.body)).toEqual({ branch: 'slow' });
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect(await stopping).toEqual({ forced: 0 });
    handle = undefined;
    agent.destroy();
  });

  it('answers a request sent on an idle keep-alive connection after shutdown began, even from a stalled client', async () => {
    const { url } = await start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<string>((resolve) => {
        const req = http.get(`${url}/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(`${res.statusCode} ${res.headers.connection}`));
        });
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
    expect(await get()).toBe('200 keep-alive');
    const t0 = Date.now();
    const next = new Promise<string>((resolve) => setTimeout(() => void get().then(resolve), 300));
    const stopping = handle!.shutdown(3000);
    // The client's event loop stalls (a busy machine) while its connection sits idle, then it
    // sends on that connection before it could see anything the server did meanwhile.
    await new Promise((r) => setTimeout(r, 200));
    while (Date.now() - t0 < 400);
    expect(await next).toBe('200 close');
    expect(await stopping).toEqual({ forced: 0 });
    handle = undefined;
    agent.destroy();
  });
});
