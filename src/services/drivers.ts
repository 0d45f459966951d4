import type { ContainerKind, EngineDriver } from './types.js';
import { mongoDriver } from './mongo.js';
import { postgresDriver } from './postgres.js';
import { redisDriver, sentinelDriver } from './redis.js';

/** Every engine baas runs, in start order: Postgres, the Redis nodes, their sentinels, MongoDB. */
export const DRIVERS: readonly EngineDriver[] = [postgresDriver, redisDriver, sentinelDriver, mongoDriver];

export function driverFor(kind: ContainerKind): EngineDriver {
  const d = DRIVERS.find((x) => x.kind === kind);
  if (!d) throw new Error(`no driver for ${kind}`);
  return d;
}
