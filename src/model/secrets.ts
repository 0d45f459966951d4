/**
 * The stack's generated credentials: what the engines' drivers put into containers and
 * connection settings. Stored 0600 in .baas/secrets.json (see src/stack/secrets.ts); never
 * logged or printed without --show-secrets.
 */
export interface Secrets {
  postgres: { superuserPassword: string; appPassword: string };
  redis: { password: string };
  mongo: { rootPassword: string; keyfile: string };
}
