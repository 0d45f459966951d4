import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BAAS_VERSION } from '../model/labels.js';
import { replacePrivateFile } from '../private-files.js';
import type { Config } from './schema.js';
import type { LoadedConfig, LoadOptions } from './load.js';

/**
 * A cache of the validated configuration, so that commands do not pay for the YAML parser and
 * the zod schema (together about a third of a short command's CPU time) when nothing changed.
 *
 * The entry lives in `.baas/config-cache.json` next to the config file (mode 0600: it holds the
 * interpolated values) and is used only when its key matches: a hash of the file's text, the
 * values of the environment variables the text names, baas's version and the loader's own code;
 * and when the variables the loader read (an escape in a quoted YAML string can name one the
 * text does not spell out) still have the values they had.
 * Any change to one of those, or a cache that cannot be read, falls back to the full loader,
 * which reports errors exactly as before; only a configuration that loaded without error is
 * cached, and only where `.baas/` already exists (this never creates the directory).
 */

export const CONFIG_CACHE_FILE = 'config-cache.json';
const CONFIG_FILE = 'platform.config.yaml';
const FORMAT = 2;
/** Larger files are not cached: the loader reads (and refuses) them itself. */
const MAX_CACHED_BYTES = 256 * 1024;
const VAR_NAME = /\$\{([A-Za-z_][A-Za-z0-9_]*)/g;

interface CacheEntry {
  format: number;
  key: string;
  /**
   * The variables the loader actually read, with a digest of their values: the key covers the
   * ones the text names literally, but a YAML escape ("\x24{NAME}") names one only once parsed.
   */
  vars: string[];
  varsDigest: string;
  config: Config;
}

/** `loadConfig`, answered from `.baas/config-cache.json` when the file, its variables and baas are unchanged. */
export async function loadConfigCached(options: LoadOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file = options.file ? path.resolve(cwd, options.file) : existsSync(path.join(cwd, CONFIG_FILE)) ? path.join(cwd, CONFIG_FILE) : undefined;
  const dir = file ? path.dirname(file) : cwd;
  const text = file ? readSmallFile(file) : '';
  const cacheFile = path.join(dir, '.baas', CONFIG_CACHE_FILE);
  const key = text === undefined ? undefined : configCacheKey(text, file ?? dir, env);
  if (key) {
    const hit = readEntry(cacheFile, key, env);
    if (hit) return { config: hit, file, dir };
  }
  const { loadConfig } = await import('./load.js');
  const variablesUsed = new Set<string>();
  const loaded = loadConfig({ ...options, variablesUsed });
  // Cache what was validated, unless the file changed while it was being read.
  if (key && loaded.file === file && (file ? readSmallFile(file) === text : true)) {
    const vars = [...variablesUsed].sort();
    writeEntry(cacheFile, { format: FORMAT, key, vars, varsDigest: varsDigest(vars, env), config: loaded.config });
  }
  return loaded;
}

/** The file's text, or undefined when it cannot be read or is too large to be worth caching. */
function readSmallFile(file: string): string | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > MAX_CACHED_BYTES) return undefined;
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What a validated config depends on: the text, where it is, the variables it names, and the code that validated it. */
export function configCacheKey(text: string, where: string, env: NodeJS.ProcessEnv, version = BAAS_VERSION): string {
  const names = [...new Set([...text.matchAll(VAR_NAME)].map((m) => m[1]!))].sort();
  const vars = names.map((n) => [n, env[n] ?? null]);
  return createHash('sha256')
    .update(JSON.stringify([FORMAT, version, loaderStamp(), where, text, vars]))
    .digest('hex');
}

let stamp: string | undefined;
/** Size and mtime of the loader and schema modules: a rebuilt baas (same version, new rules) misses the cache. */
function loaderStamp(): string {
  if (stamp === undefined) {
    const self = fileURLToPath(import.meta.url);
    const ext = path.extname(self);
    stamp = ['load', 'schema']
      .map((m) => {
        try {
          const st = statSync(path.join(path.dirname(self), `${m}${ext}`));
          return `${st.size}:${st.mtimeMs}`;
        } catch {
          return '-';
        }
      })
      .join(',');
  }
  return stamp;
}

function varsDigest(names: string[], env: NodeJS.ProcessEnv): string {
  return createHash('sha256')
    .update(JSON.stringify(names.map((n) => [n, env[n] ?? null])))
    .digest('hex');
}

function readEntry(cacheFile: string, key: string, env: NodeJS.ProcessEnv): Config | undefined {
  let entry: Partial<CacheEntry>;
  try {
    entry = JSON.parse(readFileSync(cacheFile, 'utf8')) as Partial<CacheEntry>;
  } catch {
    return undefined;
  }
  const c = entry?.config as Partial<Config> | undefined;
  if (entry?.format !== FORMAT || entry.key !== key || !c || typeof c !== 'object' || typeof c.project !== 'string' || typeof c.services !== 'object') return undefined;
  if (!Array.isArray(entry.vars) || !entry.vars.every((v) => typeof v === 'string') || entry.varsDigest !== varsDigest(entry.vars, env)) return undefined;
  return c as Config;
}

/** Best effort: a read-only or missing `.baas/` just means no cache. */
function writeEntry(cacheFile: string, entry: CacheEntry): void {
  if (!existsSync(path.dirname(cacheFile))) return;
  try {
    replacePrivateFile(cacheFile, JSON.stringify(entry));
  } catch {
    /* no cache this time */
  }
}
