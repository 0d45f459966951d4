import type { LoadedConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import { mongoUrl } from '../services/mongo.js';
import { postgresUrls } from '../services/postgres.js';
import { natMap } from '../services/redis.js';
import { describeStack, type StackDeps } from './context.js';
import { LABEL } from './labels.js';
import { requireSecrets } from './secrets.js';

export interface ConnectionInfo {
  service: 'postgres' | 'redis' | 'mongo';
  /** Environment variables an app would use, with secrets in place. */
  env: Record<string, string>;
  /** Keys of `env` that carry a secret. */
  secretKeys: string[];
  notes: string[];
}

/** Connection details for the running stack (ports as published by the actual containers). */
export async function connectionInfo(deps: StackDeps, loaded: LoadedConfig, stateDir: string): Promise<ConnectionInfo[]> {
  const secrets = requireSecrets(stateDir);
  const { ctx, defs, actual } = await describeStack(deps.runtime, loaded, secrets, deps.env);
  if (actual.length === 0) {
    throw new UserError(`The stack '${loaded.config.project}' is not running.`, { hint: 'Start it with `baas up`.' });
  }
  const host = ctx.probeHost;
  const portOf = (name: string): number => actual.find((c) => c.labels[LABEL.service] === name)?.ports[0]?.host ?? defs.find((d) => d.name === name)!.hostPort;
  const out: ConnectionInfo[] = [];
  const s = loaded.config.services;
  if (s.postgres.enabled) {
    const urls = postgresUrls(ctx, host, portOf('postgres'));
    out.push({
      service: 'postgres',
      env: { DATABASE_URL: urls.app, DATABASE_ADMIN_URL: urls.superuser, PGHOST: host, PGPORT: String(portOf('postgres')), PGDATABASE: s.postgres.database, PGUSER: s.postgres.user, PGPASSWORD: secrets.postgres.appPassword },
      secretKeys: ['DATABASE_URL', 'DATABASE_ADMIN_URL', 'PGPASSWORD'],
      notes: [`DATABASE_URL connects as '${s.postgres.user}', which owns no tables and is subject to RLS; DATABASE_ADMIN_URL is the superuser for migrations.`],
    });
  }
  if (s.redis.enabled) {
    const redisDefs = defs.filter((d) => d.kind === 'redis' || d.kind === 'sentinel').map((d) => ({ ...d, hostPort: portOf(d.name) }));
    const sentinels = redisDefs.filter((d) => d.kind === 'sentinel').map((d) => `${host}:${d.hostPort}`);
    const map = natMap(redisDefs, host);
    const env: Record<string, string> = {
      REDIS_PASSWORD: secrets.redis.password,
      REDIS_MASTER_NAME: s.redis.masterName,
      REDIS_URL: `redis://:${encodeURIComponent(secrets.redis.password)}@${host}:${portOf('redis-1')}/0`,
    };
    if (sentinels.length > 0) {
      env['REDIS_SENTINELS'] = sentinels.join(',');
      // Exactly what ioredis' `natMap` option takes: JSON.parse(REDIS_NAT_MAP) and pass it on.
      env['REDIS_NAT_MAP'] = JSON.stringify(map);
    }
    out.push({
      service: 'redis',
      env,
      secretKeys: ['REDIS_PASSWORD', 'REDIS_URL'],
      notes: sentinels.length > 0
        ? ['Connect through the sentinels (REDIS_SENTINELS, REDIS_MASTER_NAME) to follow failovers; the sentinels use the same password.', 'From the host, sentinels answer with container addresses: pass JSON.parse(REDIS_NAT_MAP) as ioredis natMap.', 'REDIS_URL points at redis-1, the initial master: fine for quick checks, not for failover.']
        : [],
    });
  }
  if (s.mongo.enabled) {
    out.push({
      service: 'mongo',
      env: { MONGO_URL: mongoUrl(ctx, host, portOf('mongo')) },
      secretKeys: ['MONGO_URL'],
      notes: [`Single-node replica set '${s.mongo.replicaSet}'; from the host connect with directConnection=true (the member address is internal to the Docker network).`],
    });
  }
  return out;
}

export function maskSecrets(info: ConnectionInfo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.env)) {
    if (!info.secretKeys.includes(k)) out[k] = v;
    else if (/^[a-z]+:\/\//.test(v)) out[k] = v.replace(/(\/\/[^:@/]*:)[^@]*@/, '$1***@');
    else out[k] = '***';
  }
  return out;
}
