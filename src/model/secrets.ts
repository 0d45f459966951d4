/**
 * The stack's generated credentials: what the engines' drivers put into containers (as
 * read-only files, never as environment variables) and into connection settings. Stored 0600
 * in .baas/secrets.json (see src/stack/secrets.ts); never logged or printed without --show-secrets.
 */
export interface Secrets {
  /** monitorPassword: the `baas_monitor` role (pg_monitor), which the dashboard reads statistics with. */
  postgres: { superuserPassword: string; appPassword: string; monitorPassword: string };
  redis: {
    /** The `admin` ACL user (all commands); also `default` in the local profile. */
    password: string;
    /** The `app` ACL user: data commands, no admin or dangerous ones. */
    appPassword: string;
    /** The `replication` ACL user replicas authenticate with. */
    replicationPassword: string;
    /** The `sentinel` ACL user: Sentinels to the nodes and to each other. */
    sentinelPassword: string;
    /** The `monitor` ACL user: health checks and the dashboard (read-only introspection). */
    monitorPassword: string;
  };
  mongo: { rootPassword: string; keyfile: string };
}

/** Every password and key in `secrets`, for tests and leak checks. */
export function allSecretValues(secrets: Secrets): string[] {
  return [
    secrets.postgres.superuserPassword,
    secrets.postgres.appPassword,
    secrets.postgres.monitorPassword,
    ...Object.values(secrets.redis),
    secrets.mongo.rootPassword,
    secrets.mongo.keyfile,
  ];
}
