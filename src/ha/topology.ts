import type { LoadedConfig } from '../config/load.js';
import { UserError, messageOf } from '../errors.js';
import { LABEL } from '../model/labels.js';
import { closeRedis, pairsToObject, parseInfo, redisAccess, redisClient } from '../services/redis.js';
import type { ServiceDef, StackContext } from '../services/types.js';
import { publishedDefs } from '../stack/connection.js';
import { describeStack, type StackDeps } from '../stack/context.js';
import { requireSecrets } from '../stack/secrets.js';

/** What `baas redis topology` shows: the master, its replicas and what each Sentinel thinks. */
export interface Topology {
  masterName: string;
  /** The master the Sentinels agree on (container address), or undefined when none answers. */
  master?: { service: string; ip: string; offset: number } | undefined;
  replicas: { service: string; ip: string; link: string; lagBytes: number; lagSeconds: number; inSync: boolean }[];
  sentinels: {
    service: string;
    ip: string;
    up: boolean;
    master?: string;
    flags?: string;
    quorum?: string;
    quorumOk?: boolean;
    otherSentinels?: number;
    configEpoch?: number;
    failoverState?: string;
    error?: string;
  }[];
  quorum: number;
  /** Sentinels that answer and agree; below `quorum` no failover can happen. */
  sentinelsUp: number;
}

const serviceOfIp = (defs: ServiceDef[], ip: string): string => defs.find((d) => d.internal.ip === ip)?.name ?? ip;

/** A replica is in sync when its link is up and it is at most `maxLagSeconds` behind (min-replicas-max-lag). */
export function judgeReplica(link: string, lagSeconds: number, maxLagSeconds: number): boolean {
  return link === 'online' && lagSeconds <= maxLagSeconds;
}

export async function readTopology(ctx: StackContext, defs: ServiceDef[]): Promise<Topology> {
  const cfg = ctx.config.services.redis;
  const sentinels: Topology['sentinels'] = await Promise.all(
    defs
      .filter((d) => d.kind === 'sentinel')
      .map(async (d) => {
        let c;
        try {
          c = await redisClient(ctx.probeHost, d.hostPort, redisAccess(ctx, 'monitor'));
          const m = pairsToObject((await c.call('SENTINEL', 'MASTER', cfg.masterName)) as unknown[]);
          const ck = await c.call('SENTINEL', 'CKQUORUM', cfg.masterName).then(String, (e: Error) => e.message);
          return {
            service: d.name,
            ip: d.internal.ip,
            up: true,
            master: `${m['ip']}:${m['port']}`,
            flags: m['flags'] ?? '',
            quorum: ck,
            quorumOk: /^OK/.test(ck),
            otherSentinels: Number(m['num-other-sentinels'] ?? 0),
            configEpoch: Number(m['config-epoch'] ?? 0),
            failoverState: m['failover-state'] ?? '',
          };
        } catch (e) {
          return { service: d.name, ip: d.internal.ip, up: false, error: messageOf(e) };
        } finally {
          closeRedis(c);
        }
      }),
  );
  const votes = new Map<string, number>();
  for (const s of sentinels) if (s.master) votes.set(s.master, (votes.get(s.master) ?? 0) + 1);
  const agreed = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const masterIp = agreed?.split(':')[0];
  const masterDef = defs.find((d) => d.kind === 'redis' && d.internal.ip === masterIp);
  let master: Topology['master'];
  const replicas: Topology['replicas'] = [];
  if (masterDef) {
    let c;
    try {
      c = await redisClient(ctx.probeHost, masterDef.hostPort, redisAccess(ctx, 'monitor'));
      const info = parseInfo(await c.info('replication'));
      const offset = Number(info['master_repl_offset'] ?? 0);
      master = { service: masterDef.name, ip: masterDef.internal.ip, offset };
      for (const [k, v] of Object.entries(info)) {
        if (!/^slave\d+$/.test(k)) continue;
        const f = Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string]));
        const lagSeconds = Number(f['lag'] ?? -1);
        replicas.push({
          service: serviceOfIp(defs, f['ip'] ?? ''),
          ip: f['ip'] ?? '?',
          link: f['state'] ?? '?',
          lagBytes: Math.max(0, offset - Number(f['offset'] ?? 0)),
          lagSeconds,
          inSync: judgeReplica(f['state'] ?? '', lagSeconds, cfg.minReplicasMaxLag ?? 10),
        });
      }
    } catch {
      master = { service: masterDef.name, ip: masterDef.internal.ip, offset: -1 };
    } finally {
      closeRedis(c);
    }
  }
  // Replicas the master does not list are disconnected.
  for (const d of defs.filter((x) => x.kind === 'redis' && x.internal.ip !== masterIp)) {
    if (!replicas.some((r) => r.ip === d.internal.ip)) replicas.push({ service: d.name, ip: d.internal.ip, link: 'disconnected', lagBytes: -1, lagSeconds: -1, inSync: false });
  }
  const sentinelsUp = sentinels.filter((s) => s.up && s.master === agreed).length;
  return { masterName: cfg.masterName, master, replicas, sentinels, quorum: cfg.quorum, sentinelsUp };
}

/** Problems that make `baas redis topology` (and health) exit 6: lost quorum, a replica out of sync, no master. */
export function topologyProblems(t: Topology): string[] {
  const out: string[] = [];
  if (!t.master) out.push('no master: the Sentinels do not answer or do not agree');
  if (t.sentinels.length > 0 && t.sentinelsUp < t.quorum) out.push(`Sentinel quorum lost: ${t.sentinelsUp} of ${t.sentinels.length} Sentinels up, ${t.quorum} needed for a failover`);
  for (const r of t.replicas) if (!r.inSync) out.push(`replica ${r.service} out of sync (link ${r.link}${r.lagSeconds >= 0 ? `, ${r.lagSeconds} s behind` : ''})`);
  return out;
}

export async function stackTopology(deps: StackDeps, loaded: LoadedConfig, stateDir: string): Promise<{ ctx: StackContext; defs: ServiceDef[]; topology: Topology }> {
  if (!loaded.config.services.redis.enabled) throw new UserError('Redis is disabled in the configuration.', { hint: 'Set services.redis.enabled: true and run `baas up`.' });
  const described = await describeStack(deps.runtime, loaded, requireSecrets(stateDir), deps.env);
  if (!described.actual.some((c) => c.labels[LABEL.kind] === 'redis')) {
    throw new UserError(`The stack '${loaded.config.project}' has no Redis containers.`, { hint: 'Start it with `baas up`.' });
  }
  const defs = publishedDefs(described.defs, described.actual).filter((d) => d.group === 'redis');
  return { ctx: described.ctx, defs, topology: await readTopology(described.ctx, defs) };
}
