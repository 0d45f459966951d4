import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';
import type { ContainerRuntime } from '../../../src/runtime/types.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const issuesOf = (text: string): { path: string; message: string; line?: number }[] => {
  try {
    parseConfigText(text);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
};

describe('config validate catches what up would fail on', () => {
  it('refuses services whose host ports overlap, naming both', () => {
    const issues = issuesOf(`services:
  postgres:
    port: 6380
  redis:
    port: 6379
`);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('services.redis.port');
    expect(issues[0]!.line).toBe(5);
    expect(issues[0]!.message).toBe('redis-2 would be published on port 6380, which postgres of this stack (services.postgres.port) already gets');
  });

  it('refuses redis ports that overlap the sentinels', () => {
    const issues = issuesOf(`services:
  redis:
    port: 26378
`);
    expect(issues.map((i) => i.path)).toEqual(['services.redis.sentinelPort', 'services.redis.sentinelPort']);
    expect(issues[0]!.message).toBe('sentinel-1 would be published on port 26379, which redis-2 of this stack (services.redis.port) already gets');
  });

  it('refuses a port range that runs past 65535', () => {
    const issues = issuesOf(`services:
  redis:
    port: 65535
`);
    expect(issues.map((i) => i.path)).toEqual(['services.redis.port', 'services.redis.port']);
    expect(issues[0]).toMatchObject({ line: 3, message: 'redis-2 would be published on port 65536, outside 1-65535 (each replica or sentinel takes the next port)' });
  });

  it('accepts ports that are all auto or apart', () => {
    expect(issuesOf(`services:\n  postgres: {port: auto}\n  redis: {port: auto, sentinelPort: auto}\n`)).toEqual([]);
    expect(issuesOf(`services:\n  postgres: {port: 6382}\n`)).toEqual([]);
  });

  it('refuses a public or malformed subnet', () => {
    expect(issuesOf('network: {subnet: 8.8.8.0/24}\n')[0]!.message).toMatch(/private range/);
    expect(issuesOf('network: {subnet: 10.300.1.0/24}\n')[0]!.message).toMatch(/each number is 0-255/);
    expect(issuesOf('network: {subnet: 172.32.0.0/24}\n')[0]!.message).toMatch(/private range/);
    expect(issuesOf('network: {subnet: 172.20.5.0/24}\n')).toEqual([]);
    expect(issuesOf('network: {subnet: 192.168.77.0/24}\n')).toEqual([]);
  });

  it('refuses a memory limit of 1b or "0" (which Docker reads as no limit)', () => {
    expect(issuesOf('services: {postgres: {memory: 1b}}\n')[0]).toMatchObject({ path: 'services.postgres.memory' });
    expect(issuesOf('services: {postgres: {memory: "0"}}\n')[0]!.message).toMatch(/'0' is no limit at all/);
    expect(issuesOf('services: {postgres: {memory: 16m}}\n')[0]!.message).toMatch(/below 32m/);
    expect(issuesOf('services: {postgres: {memory: 512m}}\n')).toEqual([]);
  });

  it('refuses a Redis maxmemory Redis cannot read, or one not below the container limit', () => {
    expect(issuesOf('services: {redis: {maxmemory: 1.5g}}\n')[0]!.path).toBe('services.redis.maxmemory');
    expect(issuesOf('services: {redis: {memory: 128m}}\n')[0]!.message).toMatch(/256mb is not below the container limit/);
    expect(issuesOf('services: {redis: {memory: 512m, maxmemory: 384mb}}\n')).toEqual([]);
  });

  it('refuses two services on one data directory and Postgres settings baas decides', () => {
    expect(issuesOf('services: {postgres: {data: ./d}, mongo: {data: ./d/}}\n')[0]!.path).toBe('services.mongo.data');
    expect(issuesOf('services: {postgres: {settings: {port: 5433}}}\n')[0]!.message).toMatch(/is set by baas/);
  });

  it('stops up before it touches Docker, so an invalid port leaves no network behind', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-cross-'));
    writeFileSync(path.join(dir, 'platform.config.yaml'), 'project: orphan\nservices:\n  redis:\n    port: 65535\n');
    const touched: string[] = [];
    const runtime = new Proxy({}, { get: (_t, k) => () => { touched.push(String(k)); throw new Error('no Docker in this test'); } }) as ContainerRuntime;
    const io = captureIo({ cwd: dir });
    expect(await main(['up'], io, { runtime })).toBe(3);
    expect(io.err()).toMatch(/outside 1-65535/);
    expect(touched).toEqual([]);
  });
});
