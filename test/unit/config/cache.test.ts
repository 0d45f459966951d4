import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_CACHE_FILE, configCacheKey, loadConfigCached } from '../../../src/config/cache.js';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';

const repo = path.resolve(import.meta.dirname, '../../..');

function project(text: string, withState = true): { dir: string; cache: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-cfgcache-'));
  writeFileSync(path.join(dir, 'platform.config.yaml'), text);
  if (withState) mkdirSync(path.join(dir, '.baas'), { mode: 0o700 });
  return { dir, cache: path.join(dir, '.baas', CONFIG_CACHE_FILE) };
}

/** Rewrites the cached config (keeping its key), to tell a cache hit from a fresh load. */
function tamper(cache: string, project: string): void {
  const entry = JSON.parse(readFileSync(cache, 'utf8'));
  entry.config.project = project;
  writeFileSync(cache, JSON.stringify(entry));
}

describe('the config cache', () => {
  it('answers with the same config as the loader, from .baas/config-cache.json (mode 0600 whatever the umask)', async () => {
    const text = readFileSync(path.join(repo, 'platform.config.yaml'), 'utf8');
    const { dir, cache } = project(text);
    const old = process.umask(0);
    try {
      const first = await loadConfigCached({ cwd: dir, env: {} });
      expect(first).toEqual(loadConfig({ cwd: dir, env: {} }));
      expect(statSync(cache).mode & 0o777).toBe(0o600);
      const second = await loadConfigCached({ cwd: dir, env: {} });
      expect(second).toEqual(first);
      tamper(cache, 'from-cache');
      expect((await loadConfigCached({ cwd: dir, env: {} })).config.project).toBe('from-cache');
    } finally {
      process.umask(old);
    }
  });

  it('misses when the file, a variable it names, the version or the path changes; not for other variables', async () => {
    const { dir, cache } = project('project: ${NAME:-shop}\n');
    expect((await loadConfigCached({ cwd: dir, env: { NAME: 'one' } })).config.project).toBe('one');
    tamper(cache, 'from-cache');
    expect((await loadConfigCached({ cwd: dir, env: { NAME: 'one', OTHER: 'x' } })).config.project).toBe('from-cache');
    expect((await loadConfigCached({ cwd: dir, env: { NAME: 'two' } })).config.project).toBe('two');
    expect((await loadConfigCached({ cwd: dir, env: {} })).config.project).toBe('shop');
    writeFileSync(path.join(dir, 'platform.config.yaml'), 'project: ${NAME:-shop}\nprofile: server\n');
    expect((await loadConfigCached({ cwd: dir, env: {} })).config.profile).toBe('server');
    const key = configCacheKey('project: x\n', dir, {});
    expect(configCacheKey('project: x\n', dir, {}, '99.0.0')).not.toBe(key);
    expect(configCacheKey('project: x\n', `${dir}/other`, {})).not.toBe(key);
    expect(configCacheKey('project: x\n', dir, { UNRELATED: '1' })).toBe(key);
  });

  it('misses when a variable changes that the text names only through a YAML escape', async () => {
    // "\x24{NAME}" and a double-quoted line continuation both read as ${NAME} once parsed.
    for (const text of ['project: "\\x24{NAME}"\n', 'project: "$\\\n  {NAME}"\n']) {
      const { dir } = project(text);
      expect((await loadConfigCached({ cwd: dir, env: { NAME: 'one' } })).config.project).toBe('one');
      expect((await loadConfigCached({ cwd: dir, env: { NAME: 'one' } })).config.project).toBe('one');
      expect((await loadConfigCached({ cwd: dir, env: { NAME: 'two' } })).config.project).toBe('two');
    }
  });

  it('never caches an invalid file, and reports it exactly as the loader does', async () => {
    const { dir, cache } = project('project: shop\n');
    await loadConfigCached({ cwd: dir, env: {} });
    writeFileSync(path.join(dir, 'platform.config.yaml'), 'project: Bad_Name\nimages: docker\n');
    const err = await loadConfigCached({ cwd: dir, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path).sort()).toEqual(['images', 'project']);
    expect(JSON.parse(readFileSync(cache, 'utf8')).config.project).toBe('shop');
    await expect(loadConfigCached({ cwd: dir, env: {}, file: 'missing.yaml' })).rejects.toThrow(/does not exist/);
  });

  it('does not create .baas/ and ignores a corrupt cache', async () => {
    const fresh = project('project: shop\n', false);
    expect((await loadConfigCached({ cwd: fresh.dir, env: {} })).config.project).toBe('shop');
    expect(existsSync(path.join(fresh.dir, '.baas'))).toBe(false);
    const { dir, cache } = project('project: shop\n');
    writeFileSync(cache, '{"format":1,"key":');
    expect((await loadConfigCached({ cwd: dir, env: {} })).config.project).toBe('shop');
    expect(JSON.parse(readFileSync(cache, 'utf8')).config.project).toBe('shop');
  });

  it('uses built-in defaults when there is no file, cached in an existing .baas/', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-cfgcache-'));
    mkdirSync(path.join(dir, '.baas'));
    const first = await loadConfigCached({ cwd: dir, env: {} });
    expect(first.file).toBeUndefined();
    expect(first.config.project).toBe('baas');
    expect(await loadConfigCached({ cwd: dir, env: {} })).toEqual(first);
  });
});
