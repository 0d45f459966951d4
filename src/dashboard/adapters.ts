/**
 * The real implementations of the dashboard's seams (ioredis, pg, mongodb) and the topology of
 * the running stack. Everything here is imported lazily by the CLI action.
 *
 * Own ioredis options rather than services/redis.ts `redisClient`: a dashboard needs a command
 * timeout (a killed master behind a NAT may never answer) and no ready-check INFO per connect.
 */
import net from 'node:net';
import type { Redis as IoRedis, RedisOptions } from 'ioredis';
import type { LoadedConfig } from '../config/load.js';
import { ExitCode, UserError } from '../errors.js';
import type { Sql } from '../pg/sql.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { Secrets } from '../model/secrets.js';
import { connectionSettings, publishedDefs } from '../stack/connection.js';
import { describeStack } from '../stack/context.js';
import { parseMonitorLine } from './hotkeys.js';
import type { Address, MongoLike, MonitorLike, RedisConnector, RedisLike, SubscriberLike, Topology } from './types.js';

export function ioredisConnector(password: string, timeoutMs = 1500): RedisConnector {
  const base = (addr: Address): RedisOptions => ({
    host: addr.host,
    port: addr.port,
    password,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  const load = async () => (await import('ioredis')).Redis;
  return {
    async connect(addr) {
      const Redis = await load();
      const c: IoRedis = new Redis(base(addr));
      // ioredis reports a refused AUTH as an 'error' event and then only "Connection is closed".
      let lastError: Error | undefined;
      c.on('error', (e: Error) => void (lastError = e));
      try {
        await c.connect();
        // Without a ready check, a wrong password only shows on the first command: ask now.
        await c.ping();
      } catch (e) {
        // The AUTH reply may be parsed just after the socket closed: give it a moment.
        await new Promise((r) => setTimeout(r, 20));
        c.disconnect();
        throw lastError ?? e;
      }
      return wrap(c);
    },
    monitor: (addr) => rawMonitor(addr, password, timeoutMs),
    subscribe(addr, pattern) {
      let client: IoRedis | undefined;
      const handlers: ((channel: string, message: string) => void)[] = [];
      let closed = false;
      void load().then((Redis) => {
        if (closed) return;
        // This one reconnects by itself: a sentinel that restarts must not end the event stream.
        client = new Redis({ ...base(addr), lazyConnect: false, enableOfflineQueue: true, commandTimeout: undefined, retryStrategy: () => 1000, maxRetriesPerRequest: null });
        client.on('error', () => {});
        client.on('pmessage', (_p: string, channel: string, message: string) => {
          for (const h of handlers) h(channel, message);
        });
        client.psubscribe(pattern).catch(() => {});
      });
      return {
        onMessage: (h) => void handlers.push(h),
        connected: () => client?.status === 'ready',
        close() {
          closed = true;
          client?.disconnect();
        },
      } satisfies SubscriberLike;
    },
  };
}

function wrap(c: IoRedis): RedisLike {
  return {
    call: (cmd, ...args) => c.call(cmd, ...args),
    async pipeline(cmds) {
      const p = c.pipeline();
      for (const [cmd, ...args] of cmds) p.call(String(cmd), ...args);
      const res = (await p.exec()) ?? [];
      return res.map(([err, value]) => (err ? err : value));
    },
    close: () => c.disconnect(),
  };
}

export async function openPostgres(url: string, applicationName = 'baas-dashboard'): Promise<Sql> {
  const { connectPg } = await import('../pg/client.js');
  return connectPg(url, { connectTimeoutMs: 2000, statementTimeoutMs: 2000, applicationName });
}

export async function openMongo(url: string): Promise<MongoLike> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500, appName: 'baas-dashboard' });
  await client.connect();
  return {
    ping: async () => void (await client.db('admin').command({ ping: 1 })),
    close: () => client.close(),
  };
}

export interface StackTargets {
  topology: Topology;
  postgresUrl: string | undefined;
  mongoUrl: string | undefined;
}

/**
 * Who to connect to: every Redis node and sentinel with its container address (what Sentinel
 * answers with) and its published host address (what we can reach) — the NAT map.
 */
export async function stackTargets(runtime: ContainerRuntime, loaded: LoadedConfig, secrets: Secrets, env: NodeJS.ProcessEnv): Promise<StackTargets> {
  const described = await describeStack(runtime, loaded, secrets, env);
  const { ctx, actual } = described;
  const cfg = loaded.config.services;
  if (actual.length === 0) {
    throw new UserError(`The stack '${loaded.config.project}' is not running.`, { exitCode: ExitCode.unhealthy, hint: 'Start it with `baas up`, then run the dashboard again.' });
  }
  if (!cfg.redis.enabled) {
    throw new UserError('Redis is disabled in platform.config.yaml (services.redis.enabled: false): the dashboard has nothing to show.', { hint: 'Enable it and run `baas up`.' });
  }
  const host = ctx.probeHost;
  const defs = publishedDefs(described.defs, actual);
  const target = (d: (typeof defs)[number]) => ({ name: d.name, internal: { ...d.internal }, host: { host, port: d.hostPort } });
  const settings = connectionSettings(ctx, defs, host);
  const setting = (service: string, key: string): string | undefined => settings.find((s) => s.service === service)?.env[key];
  const topology: Topology = {
    project: loaded.config.project,
    masterName: cfg.redis.masterName,
    nodes: defs.filter((d) => d.kind === 'redis').map(target),
    sentinels: defs.filter((d) => d.kind === 'sentinel').map(target),
    expectedReplicas: cfg.redis.replicas,
    expectedSentinels: cfg.redis.sentinels,
    quorum: cfg.redis.quorum,
  };
  return {
    topology,
    postgresUrl: setting('postgres', 'DATABASE_ADMIN_URL'),
    mongoUrl: setting('mongo', 'MONGO_URL'),
  };
}

const resp = (...args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * MONITOR over a plain socket. ioredis switches to monitoring mode one tick after MONITOR's +OK,
 * so under load the first monitored lines arrive too early and it throws a queue error.
 * The stream is simple: +OK (AUTH), +OK (MONITOR), then one status line per command.
 */
function rawMonitor(addr: Address, password: string, timeoutMs: number): Promise<MonitorLike> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: addr.host, port: addr.port });
    const handlers: ((args: string[], source: string) => void)[] = [];
    let buf = '';
    let oks = 0;
    let settled = false;
    const fail = (e: Error) => {
      socket.destroy();
      if (!settled) {
        settled = true;
        reject(e);
      }
    };
    const timer = setTimeout(() => fail(new Error(`MONITOR on ${addr.host}:${addr.port} did not start within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('error', (e) => fail(e));
    socket.on('connect', () => socket.write(resp('AUTH', password) + resp('MONITOR')));
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (line.startsWith('-')) return fail(new Error(line.slice(1)));
        if (oks < 2) {
          if (line === '+OK') oks++;
          if (oks === 2 && !settled) {
            settled = true;
            clearTimeout(timer);
            resolve({ onCommand: (h) => void handlers.push(h), close: () => socket.destroy() });
          }
          continue;
        }
        const parsed = parseMonitorLine(line);
        if (parsed) for (const h of handlers) h(parsed.args, parsed.source);
      }
    });
  });
}
