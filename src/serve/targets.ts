/** Where the agent connects: the Redis topology (with the NAT map), Postgres and MongoDB URLs. */
import type { LoadedConfig } from '../config/load.js';
import type { Topology } from '../dashboard/types.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { mongoUrl } from '../services/mongo.js';
import { postgresUrls } from '../services/postgres.js';
import { withDatabase } from '../branch/pg.js';
import { describeStack } from '../stack/context.js';
import { LABEL } from '../stack/labels.js';
import type { Secrets } from '../stack/secrets.js';

export interface Targets {
  /** Changes when a published port changes (containers re-created): then the agent reconnects. */
  key: string;
  topology: Topology | undefined;
  /** Superuser URL (secret: never logged). */
  postgresUrl: string | undefined;
  mongoUrl: string | undefined;
}

/**
 * The agent's Postgres session lives in the `postgres` database: a session in main would be ended
 * by every `branch create` (the parent is paused and its sessions terminated for the copy).
 */
const maintenanceOf = (loaded: LoadedConfig) => (url: string): string => withDatabase(url, loaded.config.services.postgres.database === 'postgres' ? 'template1' : 'postgres');

/** Undefined while the stack has no container at all. */
export async function resolveTargets(runtime: ContainerRuntime, loaded: LoadedConfig, secrets: Secrets, env: NodeJS.ProcessEnv): Promise<Targets | undefined> {
  const cfg = loaded.config.services;
  const maintenance = maintenanceOf(loaded);
  if (cfg.redis.enabled) {
    const { stackTargets } = await import('../dashboard/adapters.js');
    try {
      const t = await stackTargets(runtime, loaded, secrets, env);
      const ports = [...t.topology.nodes, ...t.topology.sentinels].map((n) => `${n.name}:${n.host.port}`);
      const pg = t.postgresUrl ? maintenance(t.postgresUrl) : undefined;
      return { key: JSON.stringify([ports, pg, t.mongoUrl]), topology: t.topology, postgresUrl: pg, mongoUrl: t.mongoUrl };
    } catch (e) {
      if ((e as { exitCode?: number }).exitCode === 6) return undefined; // not running
      throw e;
    }
  }
  const { ctx, defs, actual } = await describeStack(runtime, loaded, secrets, env);
  if (actual.length === 0) return undefined;
  const portOf = (name: string): number => {
    const c = actual.find((x) => x.labels[LABEL.service] === name);
    const label = Number(c?.labels[LABEL.hostPort]);
    return c?.ports[0]?.host ?? (Number.isInteger(label) && label > 0 ? label : (defs.find((d) => d.name === name)?.hostPort ?? 0));
  };
  const pg = cfg.postgres.enabled ? maintenance(postgresUrls(ctx, ctx.probeHost, portOf('postgres')).superuser) : undefined;
  const mongo = cfg.mongo.enabled ? mongoUrl(ctx, ctx.probeHost, portOf('mongo')) : undefined;
  return { key: JSON.stringify([pg, mongo]), topology: undefined, postgresUrl: pg, mongoUrl: mongo };
}
