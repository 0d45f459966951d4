import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseConfigText } from '../../../src/config/load.js';
import { parseSize } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/errors.js';

const issuesOf = (text: string, env: NodeJS.ProcessEnv = {}): { path: string; message: string; line?: number }[] => {
  try {
    parseConfigText(text, { env });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
};

describe('config', () => {
  it('works with no file at all, with documented defaults', () => {
    const c = parseConfigText('');
    expect(c.project).toBe('baas');
    expect(c.profile).toBe('local');
    expect(c.images).toBe('official');
    expect(c.services.postgres).toMatchObject({ enabled: true, port: 5432, version: 18, database: 'app', user: 'app', data: 'volume' });
    expect(c.services.redis).toMatchObject({ replicas: 2, sentinels: 3, quorum: 2, maxmemory: '256mb', maxmemoryPolicy: 'allkeys-lru', downAfterMilliseconds: 5000 });
    expect(c.services.mongo).toMatchObject({ replicaSet: 'rs0', port: 27017 });
  });

  it('reports every problem at once with key path and line', () => {
    const issues = issuesOf(`project: Bad_Name
profile: cloud
services:
  redis:
    replicas: 9
    bogus: 1
  cassandra:
    enabled: true
`);
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath['project']?.line).toBe(1);
    expect(byPath['profile']?.line).toBe(2);
    expect(byPath['services.redis.replicas']?.line).toBe(5);
    expect(byPath['services.redis.bogus']).toMatchObject({ message: 'unknown key', line: 6 });
    expect(byPath['services.cassandra']).toMatchObject({ message: 'unknown key', line: 7 });
    expect(issues).toHaveLength(5);
  });

  it('rejects a quorum larger than the number of sentinels', () => {
    expect(issuesOf('services:\n  redis:\n    sentinels: 1\n    quorum: 2\n').map((i) => i.path)).toEqual(['services.redis.quorum']);
  });

  it('interpolates ${VAR} and ${VAR:-default}, keeping numbers numbers', () => {
    const c = parseConfigText('project: ${NAME}\nservices:\n  postgres:\n    port: ${PG_PORT:-6543}\n', { env: { NAME: 'shop' } });
    expect(c.project).toBe('shop');
    expect(c.services.postgres.port).toBe(6543);
  });

  it('names an unset environment variable with its key path', () => {
    expect(issuesOf('project: ${MISSING_VAR}\n')).toEqual([
      expect.objectContaining({ path: 'project', line: 1, message: expect.stringContaining('MISSING_VAR is not set') }),
    ]);
  });

  it('reports YAML syntax errors with a line', () => {
    const [issue] = issuesOf('project: a\n  bad: [\n');
    expect(issue?.message).toMatch(/YAML syntax error/);
    expect(issue?.line).toBeGreaterThan(0);
  });

  it('accepts port auto, host-path data and the server profile', () => {
    const c = parseConfigText('profile: server\nservices:\n  postgres:\n    port: auto\n    data: /srv/pg\n');
    expect(c.services.postgres.port).toBe('auto');
    expect(c.services.postgres.data).toBe('/srv/pg');
    expect(issuesOf('services:\n  postgres:\n    data: relative/path\n')[0]?.path).toBe('services.postgres.data');
  });

  it('finds platform.config.yaml in the directory, and refuses a missing --config file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-cfg-'));
    writeFileSync(path.join(dir, 'platform.config.yaml'), 'project: found\n');
    expect(loadConfig({ cwd: dir, env: {} }).config.project).toBe('found');
    expect(() => loadConfig({ cwd: dir, file: 'nope.yaml', env: {} })).toThrow(/does not exist/);
  });

  it('parses sizes', () => {
    expect(parseSize('256mb')).toBe(256 * 1024 ** 2);
    expect(parseSize('1g')).toBe(1024 ** 3);
    expect(parseSize('512')).toBe(512);
  });
});
