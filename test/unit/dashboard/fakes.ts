import type { Address, MonitorLike, RedisConnector, RedisLike, SubscriberLike, Topology } from '../../../src/dashboard/types.js';

export type Handler = (args: (string | number)[]) => unknown;

/** A scripted Redis: replies by command name (first word, or first two for SENTINEL/OBJECT/HOTKEYS...). */
export class FakeServer {
  calls: string[] = [];
  down = false;
  handlers = new Map<string, Handler>();
  info: Record<string, string | number> = {};
  monitorLines: string[][] = [];

  constructor(init: Record<string, string | number> = {}) {
    this.info = { run_id: 'run-1', redis_version: '7.0.15', maxmemory_policy: 'allkeys-lru', role: 'master', maxmemory: 1000, used_memory: 100, total_commands_processed: 0, keyspace_hits: 0, keyspace_misses: 0, ...init };
    this.on('INFO', () => Object.entries(this.info).map(([k, v]) => `${k}:${v}`).join('\r\n'));
    this.on('LATENCY LATEST', () => []);
    this.on('SLOWLOG GET', () => []);
  }

  on(cmd: string, h: Handler): this {
    this.handlers.set(cmd, h);
    return this;
  }

  handle(cmd: string, args: (string | number)[]): unknown {
    const line = [cmd, ...args].join(' ');
    this.calls.push(line);
    if (this.down) throw new Error('Connection is closed.');
    const two = `${cmd} ${args[0] ?? ''}`.toUpperCase();
    const h = this.handlers.get(two) ?? this.handlers.get(cmd.toUpperCase());
    if (!h) throw new Error(`ERR unknown command '${line}'`);
    return h(args);
  }
}

export class FakeConnector implements RedisConnector {
  servers = new Map<string, FakeServer>();
  subscribers: { addr: Address; handlers: ((c: string, m: string) => void)[] }[] = [];
  monitors = 0;

  add(addr: Address, s: FakeServer): FakeServer {
    this.servers.set(`${addr.host}:${addr.port}`, s);
    return s;
  }

  private server(addr: Address): FakeServer {
    const s = this.servers.get(`${addr.host}:${addr.port}`);
    if (!s || s.down) throw new Error(`connect ECONNREFUSED ${addr.host}:${addr.port}`);
    return s;
  }

  async connect(addr: Address): Promise<RedisLike> {
    const s = this.server(addr);
    return {
      call: async (cmd, ...args) => s.handle(cmd, args),
      pipeline: async (cmds) =>
        cmds.map(([cmd, ...args]) => {
          try {
            return s.handle(String(cmd), args);
          } catch (e) {
            return e;
          }
        }),
      close: () => {},
    };
  }

  async monitor(addr: Address): Promise<MonitorLike> {
    const s = this.server(addr);
    this.monitors++;
    // The scripted commands arrive as soon as someone listens.
    return { onCommand: (h) => s.monitorLines.forEach((l) => h(l, '10.0.0.1:5000')), close: () => {} };
  }

  subscribe(addr: Address, _pattern: string): SubscriberLike {
    const entry = { addr, handlers: [] as ((c: string, m: string) => void)[] };
    this.subscribers.push(entry);
    return { onMessage: (h) => void entry.handlers.push(h), connected: () => true, close: () => {} };
  }

  /** Every sentinel publishes its own copy of an event. */
  publish(channel: string, message: string): void {
    for (const s of this.subscribers) for (const h of s.handlers) h(channel, message);
  }
}

export function topology(replicas = 2, sentinels = 3): Topology {
  const node = (i: number) => ({ name: `redis-${i}`, internal: { ip: `10.0.0.${20 + i}`, port: 6379 }, host: { host: '127.0.0.1', port: 7000 + i } });
  const sentinel = (i: number) => ({ name: `sentinel-${i}`, internal: { ip: `10.0.0.${30 + i}`, port: 26379 }, host: { host: '127.0.0.1', port: 8000 + i } });
  return {
    project: 'shop',
    masterName: 'baas',
    nodes: Array.from({ length: 1 + replicas }, (_, i) => node(i + 1)),
    sentinels: Array.from({ length: sentinels }, (_, i) => sentinel(i + 1)),
    expectedReplicas: replicas,
    expectedSentinels: sentinels,
    quorum: 2,
  };
}

export function sentinelServer(masterIp: () => string): FakeServer {
  const s = new FakeServer();
  s.on('SENTINEL MASTER', () => ['name', 'baas', 'ip', masterIp(), 'port', '6379', 'flags', 'master', 'num-slaves', '2', 'num-other-sentinels', '2', 'quorum', '2']);
  s.on('SENTINEL CKQUORUM', () => 'OK 3 usable Sentinels. Quorum and failover authorization can be reached');
  return s;
}
