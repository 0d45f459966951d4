import { z } from 'zod';
import { parseSize } from './size.js';

/**
 * The one source of the config's shape and defaults. Every object is strict: an unknown key
 * is an error, because a typo that is silently ignored is worse than a refusal.
 */

const PROJECT_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const SIZE = /^\d+(\.\d+)?\s*(b|k|kb|m|mb|g|gb)?$/i;

export const portSchema = z.union([z.literal('auto'), z.number().int().min(1).max(65535)]);

const sizeSchema = z
  .string()
  .regex(SIZE, 'must be a size such as 512m, 1g or 256mb');

const dataSchema = z
  .string()
  .min(1)
  .refine((v) => v === 'volume' || v.startsWith('/') || v.startsWith('./') || v.startsWith('../'), {
    message: "must be 'volume' (a named Docker volume) or a host path starting with /, ./ or ../",
  });

const common = {
  enabled: z.boolean().default(true),
  /** Overrides the image chosen by `images`. */
  image: z.string().min(1).optional(),
  memory: sizeSchema.optional(),
  cpus: z.number().positive().max(256).optional(),
  data: dataSchema.default('volume'),
};

export const postgresSchema = z
  .object({
    ...common,
    port: portSchema.default(5432),
    version: z.number().int().min(13).max(19).default(18),
    database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase identifier').default('app'),
    user: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase identifier').default('app'),
    settings: z
      .record(z.string().regex(/^[a-z_][a-z0-9_.]*$/, 'must be a Postgres setting name'), z.union([z.string(), z.number(), z.boolean()]))
      .default({}),
  })
  .strict();

export const redisSchema = z
  .object({
    ...common,
    port: portSchema.default(6379),
    sentinelPort: portSchema.default(26379),
    replicas: z.number().int().min(0).max(5).default(2),
    sentinels: z.number().int().min(0).max(7).default(3),
    quorum: z.number().int().min(1).default(2),
    masterName: z.string().regex(/^[A-Za-z0-9_-]+$/).default('baas'),
    downAfterMilliseconds: z.number().int().min(100).max(600_000).default(5000),
    failoverTimeout: z.number().int().min(1000).default(60_000),
    maxmemory: sizeSchema.default('256mb'),
    maxmemoryPolicy: z
      .enum(['noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'])
      .default('allkeys-lru'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.enabled && r.sentinels > 0 && r.quorum > r.sentinels) {
      ctx.addIssue({ code: 'custom', path: ['quorum'], message: `must not exceed the number of sentinels (${r.sentinels})` });
    }
  });

export const mongoSchema = z
  .object({
    ...common,
    port: portSchema.default(27017),
    replicaSet: z.string().regex(/^[A-Za-z0-9_-]+$/).default('rs0'),
  })
  .strict();

export const alertsSchema = z
  .object({
    hitRateBelow: z.number().min(0).max(1).default(0.8),
    memoryAbove: z.number().min(0).max(1).default(0.9),
    replicationLagAboveBytes: z.number().int().min(0).default(1_048_576),
    rejectedConnections: z.number().int().min(0).default(1),
  })
  .strict();

export const configSchema = z
  .object({
    project: z.string().regex(PROJECT_NAME, 'must be 2-40 characters of lowercase letters, digits and -, starting with a letter').default('baas'),
    profile: z.enum(['local', 'server']).default('local'),
    /** Which images to use: the official ones from a registry, or ones built by `baas images build`. */
    images: z.enum(['official', 'local']).default('official'),
    /** Address published ports bind to; defaults to 127.0.0.1 (local) or 0.0.0.0 (server). */
    bindAddress: z.ipv4().optional(),
    network: z
      .object({
        subnet: z
          .union([z.literal('auto'), z.string().regex(/^(\d{1,3}\.){3}0\/24$/, 'must be an IPv4 /24 such as 10.213.7.0/24')])
          .default('auto'),
      })
      .strict()
      .prefault({}),
    services: z
      .object({
        postgres: postgresSchema.prefault({}),
        redis: redisSchema.prefault({}),
        mongo: mongoSchema.prefault({}),
      })
      .strict()
      .prefault({}),
    migrations: z
      .object({ dir: z.string().min(1).default('db/migrations'), schemas: z.array(z.string()).default(['public']) })
      .strict()
      .prefault({}),
    alerts: alertsSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type PostgresConfig = Config['services']['postgres'];
export type RedisConfig = Config['services']['redis'];
export type MongoConfig = Config['services']['mongo'];
export type ServiceKind = keyof Config['services'];
export const SERVICE_KINDS: ServiceKind[] = ['postgres', 'redis', 'mongo'];

/** Parses sizes such as 512m / 1g / 256mb into bytes (in ./size.ts, which does not load zod). */
export { parseSize };
