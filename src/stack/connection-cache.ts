import { existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { replacePrivateFile } from '../private-files.js';
import { secretsPath } from './secrets.js';

/**
 * The stack's Postgres URLs as last found through Docker, so that commands which connect
 * anyway (`baas branch …`) can skip the Docker lookup and the engine drivers: one small read
 * instead. Only a connection validates an entry: a caller that cannot connect with it forgets
 * it and asks Docker (a recreated container on another port, a stopped stack). The entry is
 * tied to what the URLs are made of: the project, profile, bind address and Postgres section of
 * the config, and the secrets file. It holds passwords: mode 0600 in `.baas/`, like secrets.json.
 */
export const CONNECTION_CACHE_FILE = 'connection-cache.json';

export interface PostgresUrls {
  /** DATABASE_ADMIN_URL: the superuser, main database. */
  admin: string;
  /** DATABASE_URL: the application role. */
  app: string;
}

/** What the URLs are derived from; undefined without a secrets file (the stack was never started). */
function identity(loaded: LoadedConfig, stateDir: string): string | undefined {
  try {
    const st = statSync(secretsPath(stateDir));
    const c = loaded.config;
    return JSON.stringify([c.project, c.profile, c.bindAddress ?? null, c.services.postgres, st.size, st.mtimeMs, st.ino]);
  } catch {
    return undefined;
  }
}

export function rememberedPostgres(loaded: LoadedConfig, stateDir: string): PostgresUrls | undefined {
  const id = identity(loaded, stateDir);
  if (!id) return undefined;
  try {
    const entry = JSON.parse(readFileSync(path.join(stateDir, CONNECTION_CACHE_FILE), 'utf8')) as { identity?: unknown; postgres?: Partial<PostgresUrls> };
    const pg = entry.postgres;
    if (entry.identity !== id || typeof pg?.admin !== 'string' || typeof pg.app !== 'string') return undefined;
    return { admin: pg.admin, app: pg.app };
  } catch {
    return undefined;
  }
}

/** Best effort, and only into an existing `.baas/`. */
export function rememberPostgres(loaded: LoadedConfig, stateDir: string, urls: PostgresUrls): void {
  const id = identity(loaded, stateDir);
  if (!id || !existsSync(stateDir)) return;
  try {
    replacePrivateFile(path.join(stateDir, CONNECTION_CACHE_FILE), JSON.stringify({ identity: id, postgres: urls }));
  } catch {
    forgetPostgres(stateDir);
  }
}

export function forgetPostgres(stateDir: string): void {
  try {
    unlinkSync(path.join(stateDir, CONNECTION_CACHE_FILE));
  } catch {
    /* not there */
  }
}
