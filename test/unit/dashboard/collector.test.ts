import { describe, expect, it } from 'vitest';
import { MemoryAlertLog } from '../../../src/dashboard/alerts.js';
import { Collector } from '../../../src/dashboard/collector.js';
import { FakeConnector, FakeServer, sentinelServer, topology } from './fakes.js';
import { FAILOVER_EVENTS } from './fixtures.js';

const thresholds = { hitRateBelow: 0.8, memoryAbove: 0.9, replicationLagAboveBytes: 1_048_576, rejectedConnections: 1 };

/** A sentinel's SENTINEL MASTER reply. */
const answer = (ip: string, epoch: number, flags = 'master') => () => ['name', 'baas', 'ip', ip, 'port', '6379', 'flags', flags, 'num-slaves', '2', 'num-other-sentinels', '2', 'config-epoch', String(epoch)];

function stack(opts: { replicas?: number; sentinels?: number; version?: string; policy?: string } = {}) {
  const topo = topology(opts.replicas ?? 2, opts.sentinels ?? 3);
  const conn = new FakeConnector();
  let masterIp = '10.0.0.21';
  const nodes = topo.nodes.map((n, i) =>
    conn.add(n.host, new FakeServer({ run_id: `run-${i}`, role: i === 0 ? 'master' : 'slave', redis_version: opts.version ?? '7.0.15', maxmemory_policy: opts.policy ?? 'allkeys-lru', master_repl_offset: 100, ...(i === 0 ? { connected_slaves: topo.nodes.length - 1 } : { master_link_status: 'up', master_last_io_seconds_ago: 0 }) })),
  );
  const sentinels = topo.sentinels.map((s) => conn.add(s.host, sentinelServer(() => masterIp)));
  let t = 1_000_000;
  const log = new MemoryAlertLog();
  const collector = new Collector({ connector: conn, topology: topo, thresholds, alertLog: log, now: () => t }, { hotkeys: 'off', intervalMs: 1000 });
  return { topo, conn, nodes, sentinels, collector, log, advance: (ms: number) => void (t += ms), setMaster: (ip: string) => void (masterIp = ip) };
}

describe('Collector', () => {
  it('reports ops/s without its own INFO calls and the hit rate of the interval', async () => {
    const { nodes, collector, advance } = stack();
    await collector.start();
    const m = nodes[0]!;
    await collector.tick();
    // Between two INFOs the server counted: our previous INFO + LATENCY + SLOWLOG (3) + 500 of the app's.
    m.info.total_commands_processed = Number(m.info.total_commands_processed) + 3 + 500;
    m.info.keyspace_hits = 400;
    m.info.keyspace_misses = 100;
    advance(1000);
    const s = await collector.tick();
    expect(s.master?.name).toBe('redis-1');
    expect(s.overview?.opsPerSec).toBe(500);
    expect(s.overview?.hitRate).toBeCloseTo(0.8);
    expect(s.sentinel).toMatchObject({ quorumOk: true, sentinelsReachable: 3, sentinelsSeen: 3, replicasSeen: 2 });
    expect(s.replication.replicas.map((r) => r.name)).toEqual(['redis-2', 'redis-3']);
    expect(s.notes).toEqual([]);
  });

  it('follows +switch-master to the new master and records the failover once, though three sentinels report it', async () => {
    const { conn, nodes, collector, log, advance, setMaster } = stack();
    await collector.start();
    await collector.tick();
    nodes[0]!.down = true;
    advance(1000);
    const down = await collector.tick();
    expect(down.master).toMatchObject({ name: 'redis-1', reachable: false });
    expect(down.alerts.active.map((a) => a.kind)).toContain('masterDown');

    conn.publish('+odown', 'master baas 10.0.0.21 6379 #quorum 2/2');
    nodes[2]!.info.role = 'master';
    conn.publish('+switch-master', 'baas 10.0.0.21 6379 10.0.0.23 6379');
    setMaster('10.0.0.23');
    advance(1000);
    const after = await collector.tick();
    expect(after.master).toMatchObject({ name: 'redis-3', reachable: true });
    expect(after.failover.count).toBe(1);
    expect(after.failover.last).toMatchObject({ from: 'redis-1', to: 'redis-3' });
    expect(after.sentinel.events.find((e) => e.type === '+switch-master')?.sentinels).toBe(3);
    expect(after.alerts.active.map((a) => a.kind)).not.toContain('masterDown');
    // The old master, still down, is now a replica that does not answer.
    expect(log.records.map((r) => `${r.id}:${r.state}`)).toEqual(['masterDown:fired', 'replicaDown:redis-1:fired', 'masterDown:resolved', `failover:${1_001_000}:event`]);
  });

  it("still shows the master's +sdown and +odown after a whole failover's worth of events", async () => {
    const { nodes, collector, advance, setMaster } = stack();
    await collector.start();
    await collector.tick();
    nodes[0]!.down = true;
    nodes[2]!.info.role = 'master';
    for (const [type, message] of FAILOVER_EVENTS) {
      collector.onSentinelEvent(type, message.replaceAll('mymaster', 'baas'));
      advance(40);
    }
    setMaster('10.0.0.23');
    const s = await collector.tick();
    expect(s.failover.last).toMatchObject({ from: 'redis-1', to: 'redis-3' });
    expect(s.sentinel.events).toHaveLength(20);
    const seen = s.sentinel.events.map((e) => `${e.type} ${e.message.split(' ')[0]}`);
    for (const e of ['+sdown master', '+odown master', '+switch-master baas', '+failover-end master']) expect(seen).toContain(e);
  });

  it('follows the newest Sentinel configuration, not the first sentinel to answer nor one still failing over', async () => {
    const { nodes, sentinels, collector, advance } = stack();
    await collector.start();
    sentinels.forEach((s) => s.on('SENTINEL MASTER', answer('10.0.0.21', 0)));
    expect((await collector.tick()).master?.name).toBe('redis-1');

    // redis-1 dies; sentinel-2 leads the failover and has promoted redis-3 (config-epoch 1), but
    // names the old master until it has reconfigured the replicas. The others have not heard yet.
    nodes[0]!.down = true;
    nodes[2]!.info.role = 'master';
    sentinels[0]!.on('SENTINEL MASTER', answer('10.0.0.21', 0, 'master,s_down,o_down'));
    sentinels[1]!.on('SENTINEL MASTER', answer('10.0.0.21', 1, 'master,s_down,o_down,failover_in_progress'));
    sentinels[2]!.on('SENTINEL MASTER', answer('10.0.0.21', 0, 'master,s_down,o_down'));
    advance(1000);
    let s = await collector.tick();
    expect(s.master).toMatchObject({ name: 'redis-1', reachable: false });

    // sentinel-3 hears the leader's hello and switches; sentinel-1 (asked first) has not yet.
    collector.onSentinelEvent('+switch-master', 'baas 10.0.0.21 6379 10.0.0.23 6379');
    sentinels[2]!.on('SENTINEL MASTER', answer('10.0.0.23', 1));
    advance(1000);
    s = await collector.tick();
    expect(s.master).toMatchObject({ name: 'redis-3', reachable: true });
    expect(s.sentinel.masterAddress).toBe('10.0.0.23:6379');

    // For a while only the sentinels still naming redis-1 answer: the dashboard stays on redis-3.
    sentinels[2]!.down = true;
    for (const only of [[0], [1], [0, 1]]) {
      sentinels.forEach((x, i) => (x.down = !only.includes(i)));
      advance(1000);
      s = await collector.tick();
      expect(s.master, `only sentinel(s) ${only.join(',')} answer`).toMatchObject({ name: 'redis-3', reachable: true });
      expect(s.sentinel.masterAddress).toBe('10.0.0.23:6379');
    }

    // +switch-master arrives while the sentinels are being asked: their answers predate it.
    const race = stack();
    await race.collector.start();
    race.sentinels.forEach((x) => x.on('SENTINEL MASTER', answer('10.0.0.21', 0)));
    await race.collector.tick();
    race.nodes[0]!.down = true;
    race.nodes[2]!.info.role = 'master';
    race.sentinels[2]!.on('SENTINEL MASTER', () => {
      race.collector.onSentinelEvent('+switch-master', 'baas 10.0.0.21 6379 10.0.0.23 6379');
      return answer('10.0.0.21', 0)();
    });
    race.advance(1000);
    expect((await race.collector.tick()).master?.name).toBe('redis-3');
  });

  it('follows sentinels that all start again from epoch 0 (the stack was recreated)', async () => {
    const { sentinels, collector, advance } = stack();
    await collector.start();
    sentinels.forEach((s) => s.on('SENTINEL MASTER', answer('10.0.0.23', 4)));
    expect((await collector.tick()).master?.name).toBe('redis-3');
    sentinels.forEach((s) => s.on('SENTINEL MASTER', answer('10.0.0.21', 0)));
    advance(1000);
    expect((await collector.tick()).master?.name).toBe('redis-1');
  });

  it('uses server-side HOTKEYS when INFO says Redis 8.6', async () => {
    const { topo, conn, nodes } = stack({ version: '8.6.1' });
    nodes[0]!.on('HOTKEYS START', () => 'OK').on('HOTKEYS GET', () => ['tracking-active', 1, 'by-cpu-time-us', ['hot', 9]]);
    const c = new Collector({ connector: conn, topology: topo, thresholds, alertLog: new MemoryAlertLog() }, { hotkeys: 'auto' });
    await c.start();
    const s = await c.tick();
    expect(s.hotKeys.method).toBe('hotkeys');
    expect(s.hotKeys.keys).toEqual([{ key: 'hot', score: 9 }]);
    await c.stop();
  });

  it('offers the LFU switch when it has to fall back to MONITOR', async () => {
    const { topo, conn } = stack({ policy: 'allkeys-lru' });
    const c = new Collector({ connector: conn, topology: topo, thresholds, alertLog: new MemoryAlertLog() }, { hotkeys: 'auto' });
    await c.start();
    const s = await c.tick();
    expect(s.hotKeys.method).toBe('monitor');
    expect(s.hotKeys.advice).toContain('CONFIG SET maxmemory-policy allkeys-lfu');
    await c.stop();
  });

  it('works without replicas and sentinels, and says so', async () => {
    const { collector } = stack({ replicas: 0, sentinels: 0 });
    await collector.start();
    const s = await collector.tick();
    expect(s.master?.name).toBe('redis-1');
    expect(s.sentinel.enabled).toBe(false);
    expect(s.alerts.active).toEqual([]);
    expect(s.notes.join(' ')).toMatch(/No sentinels configured.*No replicas configured/);
  });

  it('keeps running when a sentinel and a replica stop answering', async () => {
    const { conn, topo, nodes, collector, advance } = stack();
    await collector.start();
    await collector.tick();
    nodes[1]!.down = true;
    for (const s of topo.sentinels) conn.servers.get(`${s.host.host}:${s.host.port}`)!.down = true;
    advance(1000);
    const s = await collector.tick();
    expect(s.master?.reachable).toBe(true);
    expect(s.replication.replicas[0]).toMatchObject({ name: 'redis-2', reachable: false });
    expect(s.alerts.active.map((a) => a.kind)).toContain('quorumLost');
    expect(s.notes.join(' ')).toContain('redis-2 does not answer');
  });

  it('raises no alert from its own shutdown: a tick in flight when stop() closes the connections records nothing', async () => {
    const { conn, topo, nodes, collector, log, advance } = stack();
    await collector.start();
    await collector.tick();
    // The next CKQUORUM is still in flight when the dashboard quits; closing the connection makes it
    // fail the way ioredis does ("Stream isn't writeable"), and the master's INFO fails the same way.
    let asked!: () => void;
    const inFlight = new Promise<void>((r) => (asked = r));
    let fail!: (e: Error) => void;
    for (const s of topo.sentinels) {
      conn.servers.get(`${s.host.host}:${s.host.port}`)!.on('SENTINEL CKQUORUM', () => {
        asked();
        return new Promise((_, reject) => (fail = reject));
      });
    }
    advance(1000);
    const tick = collector.tick();
    await inFlight;
    await collector.stop();
    nodes[0]!.down = true;
    fail(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    const s = await tick;
    expect(log.records).toEqual([]);
    expect(s.alerts.active).toEqual([]);
  });

  it('does not call a node down when only its connection was closed (Sentinel kills clients during a failover)', async () => {
    const { nodes, collector, log, advance } = stack();
    await collector.start();
    await collector.tick();
    const replica = nodes[1]!;
    const info = replica.handlers.get('INFO')!;
    let killed = false;
    replica.on('INFO', (args) => {
      if (!killed) {
        killed = true;
        throw new Error('Connection is closed.');
      }
      return info(args);
    });
    advance(1000);
    const s = await collector.tick();
    expect(killed).toBe(true);
    expect(s.replication.replicas.find((r) => r.name === 'redis-2')?.reachable).toBe(true);
    expect(log.records.map((r) => r.id)).not.toContain('replicaDown:redis-2');
  });
});
