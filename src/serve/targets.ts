/** Where the agent connects: the Redis topology (with the NAT map), Postgres and MongoDB URLs. */
import type { LoadedConfig } from '../config/load.js';
import type { Topology } from '../dashboard/types.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { Secrets } from '../model/secrets.js';
import { withDatabase } from '../pg/url.js';
import { maintenanceDatabase } from '../services/postgres.js';
import { connectionSettings, publishedDefs } from '../stack/connection.js';
import { describeStack } from '../stack/context.js';

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
const maintenanceOf = (loaded: LoadedConfig) => (url: string): string => withDatabase(url, maintenanceDatabase(loaded.config.services.postgres.database));

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
  const settings = connectionSettings(ctx, publishedDefs(defs, actual));
  const setting = (service: string, key: string): string | undefined => settings.find((s) => s.service === service)?.env[key];
  const admin = setting('postgres', 'DATABASE_ADMIN_URL');
  const pg = admin ? maintenance(admin) : undefined;
  const mongo = setting('mongo', 'MONGO_URL');
  return { key: JSON.stringify([pg, mongo]), topology: undefined, postgresUrl: pg, mongoUrl: mongo };
}
