/**
 * The agent's HTTP API on node:http: routing, the bearer token, JSON errors in the CLI's exit-code
 * categories, Server-Sent Events, and a shutdown that lets in-flight requests finish.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { BaasError, ExitCode, UserError, messageOf, type ExitCodeValue } from '../errors.js';
import type { Logger } from '../log.js';
import type { AgentEvent, EventBus } from './events.js';
import { bearerMatches } from './token.js';

export interface BranchApi {
  create(body: unknown): Promise<unknown>;
  list(): Promise<unknown>;
  remove(name: string, options: { disrupt: boolean }): Promise<unknown>;
}

export interface ApiDeps {
  token: string;
  /** The /health document and whether it counts as up (200) or not (503). */
  health(strict: boolean): { ok: boolean; body: unknown };
  serviceHealth(name: string): { found: false } | { found: true; ok: boolean; body: unknown };
  metrics: { contentType: string; text(): Promise<string> };
  events: EventBus;
  branches: BranchApi;
  logger: Logger;
  /** Log every request (debug); off by default: 200 requests/s would flood the log. */
  logRequests?: boolean;
}

const CATEGORY: Record<number, string> = Object.fromEntries(Object.entries(ExitCode).map(([k, v]) => [v, k]));

/** The HTTP status for an error of a given exit-code category. */
export function httpStatusFor(code: ExitCodeValue | number): number {
  switch (code) {
    case ExitCode.usage:
      return 400;
    case ExitCode.conflict:
      return 409;
    case ExitCode.dockerUnavailable:
    case ExitCode.unhealthy:
    case ExitCode.interrupted:
      return 503;
    case ExitCode.external:
      return 502;
    case ExitCode.timeout:
      return 504;
    default:
      return 500;
  }
}

export interface ErrorBody {
  error: { message: string; hint?: string; details?: string[]; exitCode: number; category: string };
}

export function errorBody(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof BaasError) {
    return {
      status: e instanceof HttpError ? e.status : httpStatusFor(e.exitCode),
      body: { error: { message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(e.details.length ? { details: e.details } : {}), exitCode: e.exitCode, category: CATEGORY[e.exitCode] ?? 'internal' } },
    };
  }
  return { status: 500, body: { error: { message: `baas serve hit an unexpected problem: ${messageOf(e)}`, hint: 'The agent log has the details.', exitCode: ExitCode.internal, category: 'internal' } } };
}

/** A UserError with its own HTTP status (401, 404, 405, 413, 415), keeping the CLI's category. */
export class HttpError extends UserError {
  constructor(
    readonly status: number,
    message: string,
    options: { hint?: string; exitCode?: ExitCodeValue } = {},
  ) {
    super(message, options);
  }
}

const MAX_BODY = 64 * 1024;

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `The request body is larger than ${MAX_BODY / 1024} kB.`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  // curl -d sends application/x-www-form-urlencoded unless told otherwise: read the body as JSON
  // anyway, and refuse only what is clearly something else.
  if (/^multipart\//i.test(type)) throw new HttpError(415, `The request body must be JSON (Content-Type: application/json), not ${type}.`);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserError(`The request body is not valid JSON: ${messageOf(e)}.`, { hint: 'For example: {"name": "ci-42", "ttl": "1d"}' });
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, head = false): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(head ? undefined : text);
}

function sseFrame(e: AgentEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

export interface ApiHandler {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Ends every event stream (shutdown). */
  closeStreams(): void;
}

export function createApi(deps: ApiDeps): ApiHandler {
  const streams = new Set<() => void>();

  const requireToken = (req: http.IncomingMessage): void => {
    if (!bearerMatches(req.headers.authorization, deps.token)) {
      throw new HttpError(401, 'This endpoint needs the agent\'s bearer token.', { hint: 'Send `Authorization: Bearer <token>`; the token is in .baas/serve-token next to platform.config.yaml.' });
    }
  };

  const stream = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    const last = Number(req.headers['last-event-id'] ?? url.searchParams.get('since') ?? NaN);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    if (Number.isFinite(last)) for (const e of deps.events.since(last, 1000)) res.write(sseFrame(e));
    const unsubscribe = deps.events.subscribe((e) => void res.write(sseFrame(e)));
    const ping = setInterval(() => void res.write(': ping\n\n'), 15_000);
    const end = (): void => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(end);
      if (!res.writableEnded) res.end();
    };
    streams.add(end);
    req.on('close', end);
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    const [top, sub, ...rest] = parts;
    const head = method === 'HEAD';
    const only = (...allowed: string[]): void => {
      if (!allowed.includes(method)) {
        res.setHeader('allow', allowed.join(', '));
        throw new HttpError(405, `${method} is not allowed on ${url.pathname}.`, { hint: `Use ${allowed.join(' or ')}.` });
      }
    };
    if (top === 'health' && rest.length === 0) {
      only('GET', 'HEAD');
      if (sub === undefined) {
        const strict = ['1', 'true', ''].includes(url.searchParams.get('strict') ?? 'no');
        const h = deps.health(strict);
        return send(res, h.ok ? 200 : 503, h.body, head);
      }
      const s = deps.serviceHealth(sub);
      if (!s.found) throw new HttpError(404, `There is no service named '${sub}'.`, { hint: 'Use postgres, redis, mongo, or a container such as redis-2 or sentinel-1 (GET /health lists them).' });
      return send(res, s.ok ? 200 : 503, s.body, head);
    }
    if (top === undefined) {
      only('GET', 'HEAD');
      return send(res, 200, { service: 'baas serve', endpoints: ['GET /health', 'GET /health/<service>', 'GET /metrics', 'GET /events', 'GET /branches', 'POST /branches', 'DELETE /branches/<name>'], auth: 'Authorization: Bearer <.baas/serve-token> on everything but /health' }, head);
    }
    requireToken(req);
    if (top === 'metrics' && sub === undefined) {
      only('GET', 'HEAD');
      const text = await deps.metrics.text();
      res.writeHead(200, { 'content-type': deps.metrics.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
      return void res.end(head ? undefined : text);
    }
    if (top === 'events' && sub === undefined) {
      only('GET');
      if (/text\/event-stream/.test(req.headers.accept ?? '') || url.searchParams.has('stream')) return stream(req, res, url);
      const since = Number(url.searchParams.get('since') ?? 0);
      const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100));
      if (!Number.isFinite(since) || since < 0) throw new UserError(`since must be an event id (a whole number), not '${url.searchParams.get('since')}'.`);
      return send(res, 200, { events: deps.events.since(since, limit) });
    }
    if (top === 'branches' && rest.length === 0) {
      if (sub === undefined) {
        only('GET', 'POST');
        if (method === 'GET') return send(res, 200, await deps.branches.list());
        const body = await readJson(req);
        return send(res, 201, await deps.branches.create(body));
      }
      only('DELETE');
      const disrupt = url.searchParams.get('disrupt');
      if (disrupt !== null && !['true', 'false'].includes(disrupt)) throw new UserError(`disrupt must be true or false, not '${disrupt}'.`);
      try {
        return send(res, 200, await deps.branches.remove(sub, { disrupt: disrupt !== 'false' }));
      } catch (e) {
        // Same message and exit-code category as `baas branch delete`, with the HTTP status a client expects.
        if (e instanceof UserError && e.exitCode === ExitCode.usage && /^There is no branch named/.test(e.message)) throw new HttpError(404, e.message, e.hint ? { hint: e.hint } : {});
        throw e;
      }
    }
    throw new HttpError(404, `There is no endpoint ${method} ${url.pathname}.`, { hint: 'GET / lists the endpoints.' });
  };

  return {
    handle(req, res) {
      const started = performance.now();
      route(req, res)
        .catch((e: unknown) => {
          const { status, body } = errorBody(e);
          if (status >= 500) deps.logger.error({ method: req.method, path: req.url?.split('?')[0], status, err: body.error.message }, 'request failed');
          if (!res.headersSent) send(res, status, body, req.method === 'HEAD');
          else res.destroy();
        })
        .finally(() => {
          if (deps.logRequests) deps.logger.debug({ method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request');
        });
    },
    closeStreams() {
      for (const end of [...streams]) end();
    },
  };
}

export interface ServerHandle {
  url: string;
  port: number;
  /** Stops accepting, ends event streams, lets requests in flight finish (at most graceMs), closes. */
  shutdown(graceMs?: number): Promise<{ forced: number }>;
  draining(): boolean;
}

/**
 * Listens and tracks connections. On shutdown it closes the listening socket only (Node's own
 * close() also drops idle keep-alive sockets at once, which loses a request a client is just
 * sending on one): every response from then on says `Connection: close`, and a connection is
 * closed once it has no request in flight and has been idle for the keep-alive timeout the
 * server announced (`Keep-Alive: timeout=5`). Clients drop an idle connection before that
 * timeout, so they never reuse one the server is closing; closing sooner races with a client
 * that sends on it just then (a busy client sees its request reset).
 */
export async function listen(api: ApiHandler, options: { host: string; port: number; tls?: { cert: string; key: string } | undefined; idleCloseMs?: number }): Promise<ServerHandle> {
  let draining = false;
  const conns = new Map<net.Socket, { active: number; idleSince: number }>();
  const inFlight = new Set<http.ServerResponse>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const c = conns.get(req.socket);
    if (c) c.active++;
    inFlight.add(res);
    res.on('close', () => {
      inFlight.delete(res);
      if (c) {
        c.active--;
        c.idleSince = Date.now();
      }
    });
    if (draining) res.setHeader('connection', 'close');
    api.handle(req, res);
  };
  const server = options.tls
    ? https.createServer({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) }, onRequest)
    : http.createServer(onRequest);
  server.keepAliveTimeout = 5000;
  server.on(options.tls ? 'secureConnection' : 'connection', (s: net.Socket) => {
    conns.set(s, { active: 0, idleSince: Date.now() });
    s.on('close', () => conns.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address;
  const idleCloseMs = options.idleCloseMs ?? server.keepAliveTimeout;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${addr.port}`,
    port: addr.port,
    draining: () => draining,
    async shutdown(graceMs = 20_000) {
      draining = true;
      // Answers still being prepared end their connection too, so clients reconnect elsewhere.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
      const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      api.closeStreams();
      const deadline = Date.now() + graceMs;
      let forced = 0;
      while (conns.size > 0) {
        const now = Date.now();
        for (const [s, c] of conns) {
          if (now >= deadline) {
            forced++;
            s.destroy();
          } else if (c.active === 0 && now - c.idleSince >= idleCloseMs) s.end();
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      await closed;
      return { forced };
    },
  };
}
