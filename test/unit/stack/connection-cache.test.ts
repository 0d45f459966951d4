import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../../src/config/load.js';
import type { LoadedConfig } from '../../../src/config/load.js';
import { CONNECTION_CACHE_FILE, forgetPostgres, rememberedPostgres, rememberPostgres } from '../../../src/stack/connection-cache.js';

const urls = { admin: 'postgres://postgres:s3cret@127.0.0.1:40001/app', app: 'postgres://app:s3cret2@127.0.0.1:40001/app' };
const loaded = (text: string, dir: string): LoadedConfig => ({ config: parseConfigText(text), file: undefined, dir });

function project(): { dir: string; state: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-conncache-'));
  const state = path.join(dir, '.baas');
  mkdirSync(state);
  writeFileSync(path.join(state, 'secrets.json'), '{"postgres":{}}');
  return { dir, state };
}

describe('the remembered Postgres address', () => {
  it('is returned for the same config and secrets, from a 0600 file', () => {
    const { dir, state } = project();
    const l = loaded('project: shop\n', dir);
    expect(rememberedPostgres(l, state)).toBeUndefined();
    rememberPostgres(l, state, urls);
    expect(statSync(path.join(state, CONNECTION_CACHE_FILE)).mode & 0o777).toBe(0o600);
    expect(rememberedPostgres(l, state)).toEqual(urls);
    expect(rememberedPostgres(loaded('project: shop\nservices:\n  redis:\n    replicas: 1\n', dir), state)).toEqual(urls);
    forgetPostgres(state);
    expect(rememberedPostgres(l, state)).toBeUndefined();
  });

  it('is not used once the Postgres section, the project, the bind address or the secrets change', () => {
    const { dir, state } = project();
    const l = loaded('project: shop\n', dir);
    rememberPostgres(l, state, urls);
    expect(rememberedPostgres(loaded('project: shop\nservices:\n  postgres:\n    port: 6000\n', dir), state)).toBeUndefined();
    expect(rememberedPostgres(loaded('project: other\n', dir), state)).toBeUndefined();
    expect(rememberedPostgres(loaded('project: shop\nbindAddress: 127.0.0.2\n', dir), state)).toBeUndefined();
    writeFileSync(path.join(state, 'secrets.json'), '{"postgres":{"superuserPassword":"new"}}');
    expect(rememberedPostgres(l, state)).toBeUndefined();
  });

  it('is never written without .baas/secrets.json (the stack was not started here)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-conncache-'));
    rememberPostgres(loaded('project: shop\n', dir), path.join(dir, '.baas'), urls);
    expect(rememberedPostgres(loaded('project: shop\n', dir), path.join(dir, '.baas'))).toBeUndefined();
  });
});
