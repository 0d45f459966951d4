import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { testProject, type TestProject } from '../../helpers/harness.js';

/** Redis HA faults, measured through `baas redis failover` (a writer counting WAIT-1-acknowledged writes). */
const CONFIG = `images: local
tls: true
services:
  postgres:
    enabled: false
  redis:
    port: auto
    sentinelPort: auto
    downAfterMilliseconds: 1000
    failoverTimeout: 5000
  mongo:
    enabled: false
`;

interface FailoverJson {
  mode: string;
  oldMaster: string;
  newMaster: string;
  switchMs: number;
  firstWriteMs?: number;
  writes?: { attempted: number; acknowledged: number; unacknowledged: number; failed: number };
  lostAcknowledged?: number;
  lostUnconfirmed?: number;
  killedRestarted?: boolean;
  resumedAsReplica?: boolean;
  masterAfter?: string;
}
interface TopologyJson {
  master?: { service: string };
  replicas: { service: string; inSync: boolean; link: string }[];
  sentinelsUp: number;
  problems: string[];
}

describe('Redis HA under faults (TLS on, down-after 1000 ms)', () => {
  let p: TestProject;
  const rt = new DockerRuntime();
  const container = async (service: string) => (await rt.listContainers({ 'baas.project': p.name, 'baas.service': service }))[0]!;
  const topology = async (): Promise<{ code: number; t: TopologyJson }> => {
    const r = await p.run(['redis', 'topology', '--json']);
    if (!r.out) throw new Error(`redis topology printed nothing (exit ${r.code}): ${r.err}`);
    return { code: r.code, t: JSON.parse(r.out) as TopologyJson };
  };

  beforeAll(async () => {
    p = testProject('ha', CONFIG);
    const r = await p.run(['up', '--quiet']);
    expect(r.code, r.err).toBe(0);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('loses no acknowledged write when the master is killed during a WAIT-confirmed writer; the old master rejoins', async () => {
    const r = await p.run(['redis', 'failover', '--kill', '--measure', '--json']);
    expect(r.code, r.err).toBe(0);
    const f = JSON.parse(r.out) as FailoverJson;
    console.log('kill:', JSON.stringify(f));
    expect(f.writes!.acknowledged).toBeGreaterThan(50);
    expect(f.lostAcknowledged).toBe(0);
    expect(f.firstWriteMs).toBeDefined();
    expect(f.killedRestarted).toBe(true);
    expect((await topology()).code).toBe(0);
  });

  it('brings a master paused past down-after back as a replica, with the loss measured', async () => {
    // Paused well past the failover (about 2.5-3.2 s here): a master that resumes while the failover
    // is still running can lose acknowledged writes (README "What can still be lost", bench/failover.mjs).
    const r = await p.run(['redis', 'failover', '--pause', '6', '--measure', '--json']);
    expect(r.code, r.err).toBe(0);
    const f = JSON.parse(r.out) as FailoverJson;
    console.log('pause:', JSON.stringify(f));
    expect(f.newMaster).not.toBe(f.oldMaster);
    // A Sentinel that misses the new master's first pings on a busy host fails over a second
    // time (seen in CI with down-after 1000 ms): the run then measures against that master.
    if (f.masterAfter) expect(f.masterAfter).not.toBe(f.oldMaster);
    expect(f.resumedAsReplica).toBe(true);
    // The replicas follow the new master by the time the old one resumes, so no replica acknowledges its writes.
    expect(f.lostAcknowledged).toBe(0);
  });

  it('fails over with one Sentinel down; with two down, health and topology report the quorum lost (exit 6)', async () => {
    const s3 = await container('sentinel-3');
    await rt.stopContainer(s3.id, 1);
    const r = await p.run(['redis', 'failover', '--kill', '--measure', '--json']);
    expect(r.code, r.err).toBe(0);
    const f = JSON.parse(r.out) as FailoverJson;
    expect(f.lostAcknowledged).toBe(0);

    const s2 = await container('sentinel-2');
    await rt.stopContainer(s2.id, 1);
    // sentinel-1 flags its stopped peer down only after down-after-milliseconds (1000 ms here);
    // until then health fails on sentinel-2 itself. Asked again until sentinel-1 has noticed.
    type Health = { services: { service: string; status: string; detail: string }[] };
    let s1: Health['services'][number] | undefined;
    for (let i = 0; i < 20; i++) {
      const h = await p.run(['health', 'redis', '--json']);
      expect(h.code).toBe(6);
      s1 = (JSON.parse(h.out) as Health).services.find((s) => s.service === 'sentinel-1')!;
      if (/quorum/i.test(s1.detail)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(s1!.status).not.toBe('healthy');
    expect(s1!.detail).toMatch(/quorum/i);
    const t = await topology();
    expect(t.code).toBe(6);
    expect(t.t.problems.join(' ')).toMatch(/Sentinel quorum lost: 1 of 3/);

    const up = await p.run(['up', '--quiet']);
    expect(up.code, up.err).toBe(0);
    expect((await topology()).code).toBe(0);
  });

  it('resyncs a replica that was killed and started again; health shows it in sync', async () => {
    const { t } = await topology();
    const replica = t.replicas[0]!.service;
    const c = await container(replica);
    await rt.killContainer(c.id);
    const down = await p.run(['health', 'redis', '--json']);
    expect(down.code).toBe(6);
    expect((await topology()).t.problems.join(' ')).toMatch(new RegExp(`replica ${replica} out of sync`));
    await rt.startContainer(c.id);
    let synced = false;
    for (let i = 0; i < 80 && !synced; i++) {
      const now = await topology();
      synced = now.code === 0 && now.t.replicas.some((r) => r.service === replica && r.inSync);
      if (!synced) await new Promise((r) => setTimeout(r, 250));
    }
    expect(synced).toBe(true);
    // The Sentinels clear their s_down flag on the replica at their next successful ping, which can
    // come a moment after the replica itself is in sync: wait for that settled view.
    let h = await p.run(['health', 'redis']);
    for (let i = 0; i < 40 && h.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      h = await p.run(['health', 'redis']);
    }
    expect(h.code, h.out).toBe(0);
  });
});
