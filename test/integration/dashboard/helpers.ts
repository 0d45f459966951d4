import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import type { TestProject } from '../../helpers/harness.js';

export async function hostPort(p: TestProject, service: string): Promise<number> {
  const cs = await new DockerRuntime().listContainers({ 'baas.project': p.name });
  const c = cs.find((x) => x.labels['baas.service'] === service);
  const port = c?.ports[0]?.host ?? Number(c?.labels['baas.host-port']);
  if (!port) throw new Error(`no published port for ${service}`);
  return port;
}

export function redisPassword(p: TestProject): string {
  return (JSON.parse(readFileSync(path.join(p.dir, '.baas', 'secrets.json'), 'utf8')) as { redis: { password: string } }).redis.password;
}

export async function client(p: TestProject, service = 'redis-1'): Promise<Redis> {
  const r = new Redis({ host: '127.0.0.1', port: await hostPort(p, service), password: redisPassword(p), lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  return r;
}

export async function stats(r: Redis): Promise<{ hits: number; misses: number }> {
  const info = await r.info('stats');
  const get = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(info)?.[1] ?? 0);
  return { hits: get('keyspace_hits'), misses: get('keyspace_misses') };
}

export const HOT = Array.from({ length: 5 }, (_, i) => `hot:${i}`);
export const COLD = Array.from({ length: 500 }, (_, i) => `cold:${i}`);

/** A known distribution: 5 hot keys read 1000x each, 500 cold keys once, `missing` GETs that miss. */
export async function generateLoad(r: Redis, missing: number): Promise<{ hits: number; misses: number }> {
  const set = r.pipeline();
  for (const k of [...HOT, ...COLD]) set.set(k, 'v');
  await set.exec();
  const get = r.pipeline();
  for (let n = 0; n < 1000; n++) for (const k of HOT) get.get(k);
  for (const k of COLD) get.get(k);
  for (let i = 0; i < missing; i++) get.get(`missing:${i}`);
  await get.exec();
  return { hits: HOT.length * 1000 + COLD.length, misses: missing };
}

/** Keeps reading the hot keys (and some cold ones) until stopped, for MONITOR sampling. */
export function backgroundReads(r: Redis): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      const q = r.pipeline();
      for (let n = 0; n < 10; n++) for (const k of HOT) q.get(k);
      for (let i = 0; i < 5; i++) q.get(COLD[Math.floor(Math.random() * COLD.length)]!);
      await q.exec();
      await new Promise((res) => setTimeout(res, 2));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
