import { z } from 'zod';
import { parseSize } from './size.js';

/**
 * The one source of the config's shape and defaults. Every object is strict: an unknown key
 * is an error, because a typo that is silently ignored is worse than a refusal.
 */

const PROJECT_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const SIZE = /^\d+(\.\d+)?\s*(b|k|kb|m|mb|g|gb)?$/i;

export const portSchema = z.union([z.literal('auto'), z.number().int().min(1).max(65535)]);

/** Docker refuses limits under 6 MB; no engine baas runs starts in less than this. */
export const MIN_MEMORY_BYTES = 32 * 1024 * 1024;

/** A container memory limit: a size of at least 32 MB (`0` would mean "no limit" to Docker, silently). */
const memorySchema = z
  .string()
  .regex(SIZE, 'must be a size such as 512m, 1g or 256mb')
  .superRefine((v, ctx) => {
    const bytes = parseSize(v);
    if (bytes === 0) ctx.addIssue({ code: 'custom', message: `'${v}' is no limit at all: give a size such as 512m (or leave the key out for no limit)` });
    else if (bytes < MIN_MEMORY_BYTES) ctx.addIssue({ code: 'custom', message: `'${v}' is below 32m, too little for any server baas runs to start: give a size such as 512m` });
  });

/** Redis's own size syntax: a whole number with k/kb/m/mb/g/gb (no fractions, no spaces); 0 = no limit. */
const redisSizeSchema = z.string().regex(/^\d+(k|kb|m|mb|g|gb)?$/i, 'must be a whole number with k, kb, m, mb, g or gb, such as 256mb (0 = no limit)');

/** Postgres settings that baas itself decides: changing them would make the container unreachable or lose its data. */
export const RESERVED_PG_SETTINGS = ['port', 'listen_addresses', 'data_directory', 'hba_file', 'ident_file', 'config_file', 'unix_socket_directories'];

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
  memory: memorySchema.optional(),
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
      .superRefine((settings, ctx) => {
        for (const k of Object.keys(settings)) {
          if (RESERVED_PG_SETTINGS.includes(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'is set by baas (it decides where Postgres listens and keeps its data)' });
        }
      })
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
    /** Sentinel's down-after-milliseconds (default 5000 in both profiles). */
    downAfterMilliseconds: z.number().int().min(100).max(600_000).default(5000),
    /** Sentinel's failover-timeout (default 60000 locally, 30000 in the server profile). */
    failoverTimeout: z.number().int().min(1000).optional(),
    /** Replicas reconfigured at once after a failover (Sentinel parallel-syncs). */
    parallelSyncs: z.number().int().min(1).max(5).default(1),
    /**
     * The master refuses writes unless this many replicas acknowledged within minReplicasMaxLag
     * seconds: it bounds what a master cut off from its replicas accepts (and later loses).
     * Default 1 when there are replicas, else 0.
     */
    minReplicasToWrite: z.number().int().min(0).max(5).optional(),
    /** Seconds (default 10 locally, 5 in the server profile). */
    minReplicasMaxLag: z.number().int().min(1).max(60).optional(),
    /** AOF fsync policy (default everysec; `always` trades write speed for no loss on a crash). */
    appendfsync: z.enum(['always', 'everysec', 'no']).default('everysec'),
    maxmemory: redisSizeSchema.default('256mb'),
    maxmemoryPolicy: z
      .enum(['noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'])
      .default('allkeys-lru'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.enabled && r.sentinels > 0 && r.quorum > r.sentinels) {
      ctx.addIssue({ code: 'custom', path: ['quorum'], message: `must not exceed the number of sentinels (${r.sentinels})` });
    }
    if (r.minReplicasToWrite !== undefined && r.minReplicasToWrite > r.replicas) {
      ctx.addIssue({ code: 'custom', path: ['minReplicasToWrite'], message: `must not exceed the number of replicas (${r.replicas}), or the master refuses every write` });
    }
  });

export const mongoSchema = z
  .object({
    ...common,
    port: portSchema.default(27017),
    replicaSet: z.string().regex(/^[A-Za-z0-9_-]+$/).default('rs0'),
  })
  .strict();

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const durationSchema = z.string().regex(DURATION, 'must be a duration such as 500ms, 30s, 5m, 6h or 1d');

/** Where `baas serve` sends alerts: once when one fires, once when it resolves. */
export const webhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
    format: z.enum(['slack', 'generic']).default('generic'),
  })
  .strict();

const pathSchema = z.string().min(1);

/**
 * TLS on every link. `tls: true` / `false` is short for `{ enabled: ... }`; unset, it is on in
 * the server profile and off locally. Without files baas keeps its own CA under .baas/tls/;
 * with caFile + certFile + keyFile it uses those for every service (checked at load time).
 */
export const tlsSchema = z.preprocess(
  (v) => (typeof v === 'boolean' ? { enabled: v } : v),
  z
    .object({
      enabled: z.boolean().optional(),
      /** Names and addresses clients use to reach the stack (added to the certificates). */
      hosts: z.array(z.string().min(1).regex(/^[A-Za-z0-9.*:-]+$/, 'must be a DNS name or an IP address')).default([]),
      caFile: pathSchema.optional(),
      certFile: pathSchema.optional(),
      keyFile: pathSchema.optional(),
      /** Days the certificates baas makes are valid (the CA: ten times as long). */
      days: z.number().int().min(1).max(3650).default(365),
    })
    .strict()
    .superRefine((t, ctx) => {
      const given = (['caFile', 'certFile', 'keyFile'] as const).filter((k) => t[k] !== undefined);
      if (given.length > 0 && given.length < 3) {
        for (const k of (['caFile', 'certFile', 'keyFile'] as const).filter((x) => t[x] === undefined)) {
          ctx.addIssue({ code: 'custom', path: [k], message: `is needed too: bring caFile, certFile and keyFile together (${given.join(', ')} given)` });
        }
      }
    }),
);

export const securitySchema = z
  .object({
    /**
     * Tenant isolation: 'session' trusts the app to set app.org_id (the default); 'signed'
     * accepts the active organisation only from a claim signed by the auth layer (HMAC checked
     * in the database with a key the app role cannot read).
     */
    tenantClaims: z.enum(['session', 'signed']).default('session'),
  })
  .strict();

export const alertsSchema = z
  .object({
    hitRateBelow: z.number().min(0).max(1).default(0.8),
    memoryAbove: z.number().min(0).max(1).default(0.9),
    replicationLagAboveBytes: z.number().int().min(0).default(1_048_576),
    rejectedConnections: z.number().int().min(0).default(1),
    /** Postgres client connections as a share of max_connections (baas serve). */
    postgresConnectionsAbove: z.number().min(0).max(1).default(0.9),
    webhooks: z.array(webhookSchema).default([]),
  })
  .strict();

/**
 * Continuous WAL archiving and base backups (`baas backup`). `enabled` defaults to the profile:
 * on for `server`, off for `local` (resolved in configSchema's transform, so the parsed config
 * always says which).
 */
export const backupsSchema = z
  .object({
    enabled: z.boolean().optional(),
    /** 'volume' (the Docker volume baas-<project>-backups, kept by `down --volumes`) or a host path. */
    dir: dataSchema.default('volume'),
    /** Seconds after which a WAL segment with any write in it is archived: bounds the recovery point. */
    archiveTimeout: z.number().int().min(1).max(86_400).default(60),
    /** Base backups kept by `baas backup prune` (and `create`); WAL older than the oldest kept one goes. */
    keep: z.number().int().min(1).max(1000).default(7),
  })
  .strict();

/** Postgres settings baas sets itself when backups are on; a user value would silently break archiving. */
export const BACKUP_OWNED_SETTINGS = ['archive_mode', 'archive_command', 'archive_library', 'archive_timeout', 'restore_command', 'wal_level'] as const;

/** `baas serve`: the always-on agent (health API, metrics, alert webhooks, schedules). */
export const serveSchema = z
  .object({
    listen: z.string().min(1).default('127.0.0.1:7070'),
    /** How often the agent asks Redis, Sentinel, Postgres and MongoDB (what /health and /metrics serve). */
    interval: durationSchema.default('1s'),
    /** How often the full `baas health` checks run (also at once when the collection sees a change). */
    healthInterval: durationSchema.default('5s'),
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
  })
  .strict();

/** branch-gc deletes expired branches; backup takes a base backup (and prunes); backup-verify restores the newest one into a scratch container. */
export const SCHEDULE_JOBS = ['branch-gc', 'backup', 'backup-verify'] as const;

export const scheduleSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be 1-40 characters of lowercase letters, digits and -, starting with a letter'),
    job: z.enum(SCHEDULE_JOBS),
    /** A cron expression (5 fields, or 6 with seconds first), in the agent's time zone unless `timezone`. */
    cron: z.string().min(1).optional(),
    every: durationSchema.optional(),
    timezone: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.cron === undefined) === (s.every === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of `cron` (e.g. "0 3 * * *") or `every` (e.g. 6h)' });
    }
    if (s.cron !== undefined && !/^\S+(\s+\S+){4,5}$/.test(s.cron.trim())) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: 'must have 5 fields (minute hour day month weekday), or 6 with seconds first' });
    }
    if (s.every !== undefined && parseDuration(s.every) < 1000) ctx.addIssue({ code: 'custom', path: ['every'], message: 'must be at least 1s' });
  });

const configObject = z
  .object({
    project: z.string().regex(PROJECT_NAME, 'must be 2-40 characters of lowercase letters, digits and -, starting with a letter').default('baas'),
    profile: z.enum(['local', 'server']).default('local'),
    /** Where `up`/`status`/`health`/`down` act: this host's Docker, or a Swarm through its manager (DOCKER_HOST). */
    target: z.enum(['docker', 'swarm']).default('docker'),
    /** Which images to use: the official ones from a registry, or ones built by `baas images build`. */
    images: z.enum(['official', 'local']).default('official'),
    /** Address published ports bind to; defaults to 127.0.0.1 (local) or 0.0.0.0 (server). */
    bindAddress: z.ipv4().optional(),
    network: z
      .object({
        subnet: z
          .union([
            z.literal('auto'),
            z
              .string()
              .regex(/^(\d{1,3}\.){3}0\/24$/, 'must be an IPv4 /24 such as 10.213.7.0/24')
              .refine((v) => v.split(/[./]/).slice(0, 4).every((o) => Number(o) <= 255), { message: 'is not an IPv4 address (each number is 0-255)' })
              .refine((v) => isPrivateSubnet(v), { message: 'must be in a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16): a public range would hide real hosts from the containers' }),
          ])
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
      .object({ dir: z.string().min(1).default('db/migrations'), schemas: z.array(z.string().min(1)).min(1).max(100).transform((xs) => [...new Set(xs)]).default(['public']) })
      .strict()
      .prefault({}),
    alerts: alertsSchema.prefault({}),
    tls: tlsSchema.prefault({}),
    security: securitySchema.prefault({}),
    backups: backupsSchema.prefault({}),
    serve: serveSchema.prefault({}),
    schedules: z
      .array(scheduleSchema)
      .default([])
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((s, i) => {
          if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `'${s.name}' is used by an earlier schedule` });
          seen.add(s.name);
        });
      }),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const issue of crossChecks(c)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    const enabled = c.backups.enabled ?? c.profile === 'server';
    c.schedules.forEach((sc, i) => {
      if (sc.job.startsWith('backup') && (!enabled || !c.services.postgres.enabled)) {
        ctx.addIssue({ code: 'custom', path: ['schedules', i, 'job'], message: `'${sc.job}' needs backups: set backups.enabled: true (the server profile's default) and keep services.postgres enabled` });
      }
    });
    if (!enabled || !c.services.postgres.enabled) return;
    if (c.backups.dir !== 'volume' && c.backups.dir.replace(/\/+$/, '') === c.services.postgres.data.replace(/\/+$/, '')) {
      ctx.addIssue({ code: 'custom', path: ['backups', 'dir'], message: 'must not be the Postgres data directory (services.postgres.data): a backup there is lost with the data' });
    }
    for (const key of BACKUP_OWNED_SETTINGS) {
      if (key in c.services.postgres.settings) {
        ctx.addIssue({ code: 'custom', path: ['services', 'postgres', 'settings', key], message: 'is set by baas while backups are enabled (backups.enabled); remove it, or turn backups off' });
      }
    }
  });

type ParsedConfig = z.output<typeof configObject>;

/**
 * Defaults that depend on the profile or on other keys, filled in one place so `config show`
 * prints what is in force: TLS on in the server profile, tighter Sentinel and replication
 * bounds there, a master that needs one replica's acknowledgement when it has replicas, and
 * backups on in the server profile.
 */
function withProfileDefaults(c: ParsedConfig) {
  const server = c.profile === 'server';
  const r = c.services.redis;
  return {
    ...c,
    tls: { ...c.tls, enabled: c.tls.enabled ?? server },
    backups: { ...c.backups, enabled: c.backups.enabled ?? server },
    services: {
      ...c.services,
      redis: {
        ...r,
        failoverTimeout: r.failoverTimeout ?? (server ? 30_000 : 60_000),
        minReplicasToWrite: r.minReplicasToWrite ?? (r.replicas > 0 ? 1 : 0),
        minReplicasMaxLag: r.minReplicasMaxLag ?? (server ? 5 : 10),
      },
    },
  };
}

export const configSchema = configObject.transform(withProfileDefaults);

export type Config = z.output<typeof configSchema>;
export type TlsConfig = Config['tls'];
export type PostgresConfig = Config['services']['postgres'];
export type RedisConfig = Config['services']['redis'];
export type MongoConfig = Config['services']['mongo'];
export type BackupsConfig = Config['backups'];
export type ServeConfig = Config['serve'];
export type ScheduleConfig = Config['schedules'][number];
export type WebhookConfig = Config['alerts']['webhooks'][number];
export type ServiceKind = keyof Config['services'];
export const SERVICE_KINDS: ServiceKind[] = ['postgres', 'redis', 'mongo'];

/** Parses sizes such as 512m / 1g / 256mb into bytes (in ./size.ts, which does not load zod). */
export { parseSize };

/** 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16. */
export function isPrivateSubnet(subnet: string): boolean {
  const [a, b] = subnet.split('.').map(Number) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

interface ConfigShape {
  services: {
    postgres: { enabled: boolean; port: number | 'auto'; data: string; memory?: string | undefined };
    redis: { enabled: boolean; port: number | 'auto'; sentinelPort: number | 'auto'; replicas: number; sentinels: number; data: string; memory?: string | undefined; maxmemory: string };
    mongo: { enabled: boolean; port: number | 'auto'; data: string; memory?: string | undefined };
  };
}

/**
 * Problems no single key shows: host ports of different services that collide or run past
 * 65535 (Redis nodes take port, port+1...; sentinels sentinelPort, +1...), two services on
 * one data directory, Redis allowed more memory than its container.
 */
export function crossChecks(c: ConfigShape): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const s = c.services;
  // Every host port a fixed-port service gets: Redis nodes take port, port+1..., sentinels sentinelPort, +1...
  // (the same words as up's pre-flight, which checks the built containers again before creating anything).
  const wanted: { name: string; port: number; key: string[] }[] = [];
  const add = (names: string[], first: number | 'auto', key: string[]): void => {
    if (first !== 'auto') names.forEach((name, i) => wanted.push({ name, port: first + i, key }));
  };
  if (s.postgres.enabled) add(['postgres'], s.postgres.port, ['services', 'postgres', 'port']);
  if (s.redis.enabled) {
    add(Array.from({ length: 1 + s.redis.replicas }, (_, i) => `redis-${i + 1}`), s.redis.port, ['services', 'redis', 'port']);
    add(Array.from({ length: s.redis.sentinels }, (_, i) => `sentinel-${i + 1}`), s.redis.sentinelPort, ['services', 'redis', 'sentinelPort']);
  }
  if (s.mongo.enabled) add(['mongo'], s.mongo.port, ['services', 'mongo', 'port']);
  const taken = new Map<number, { name: string; key: string[] }>();
  for (const w of wanted) {
    if (w.port > 65535) {
      out.push({ path: w.key, message: `${w.name} would be published on port ${w.port}, outside 1-65535 (each replica or sentinel takes the next port)` });
      continue;
    }
    const holder = taken.get(w.port);
    if (holder) out.push({ path: w.key, message: `${w.name} would be published on port ${w.port}, which ${holder.name} of this stack (${holder.key.join('.')}) already gets` });
    else taken.set(w.port, w);
  }
  const binds = new Map<string, string>();
  for (const name of ['postgres', 'redis', 'mongo'] as const) {
    const svc = s[name];
    if (!svc.enabled || svc.data === 'volume') continue;
    const key = svc.data.replace(/\/+$/, '');
    const other = binds.get(key);
    if (other) out.push({ path: ['services', name, 'data'], message: `is also the data directory of ${other}: two servers in one directory destroy each other's data` });
    else binds.set(key, name);
  }
  if (s.redis.enabled && s.redis.memory) {
    const limit = parseSize(s.redis.memory);
    const max = parseSize(s.redis.maxmemory);
    if (max === 0 || max >= limit) {
      out.push({
        path: ['services', 'redis', 'maxmemory'],
        message: `${max === 0 ? 'no limit' : s.redis.maxmemory} is not below the container limit services.redis.memory (${s.redis.memory}): the kernel would kill Redis before it evicts; set it to about 3/4 of the limit`,
      });
    }
  }
  return out;
}

/** Parses durations such as 500ms / 30s / 5m / 6h / 1d / 2w into milliseconds. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms'];
  return Math.round(Number(m[1]) * unit);
}
