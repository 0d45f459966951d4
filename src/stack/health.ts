import type { ContainerInfo, ContainerRuntime } from '../runtime/types.js';
import { mongoHealth } from '../services/mongo.js';
import { postgresHealth } from '../services/postgres.js';
import { redisHealth } from '../services/redis.js';
import type { HealthReport, ServiceDef, StackContext } from '../services/types.js';
import { LABEL } from '../model/labels.js';

/** One service's health, asked with its own engine's client. */
export async function probeService(ctx: StackContext, def: ServiceDef): Promise<HealthReport> {
  switch (def.kind) {
    case 'postgres':
      return postgresHealth(ctx, def, ctx.probeHost);
    case 'redis':
    case 'sentinel':
      return redisHealth(ctx, def, ctx.probeHost);
    case 'mongo':
      return mongoHealth(ctx, def, ctx.probeHost);
  }
}

/** Health of every desired service; containers that are missing or stopped are reported as such. */
export async function stackHealth(ctx: StackContext, defs: ServiceDef[], actual: ContainerInfo[]): Promise<HealthReport[]> {
  return Promise.all(
    defs.map(async (def): Promise<HealthReport> => {
      const c = actual.find((x) => x.labels[LABEL.service] === def.name);
      if (!c) return { service: def.name, kind: def.kind, status: 'missing', detail: 'no container (run `baas up`)' };
      if (c.state !== 'running') return { service: def.name, kind: def.kind, status: 'stopped', detail: `container is ${c.state} (${c.status})` };
      // Ports may be auto-assigned: probe the port the container really publishes.
      const hostPort = c.ports[0]?.host ?? def.hostPort;
      return probeService(ctx, { ...def, hostPort });
    }),
  );
}

export async function lastLogLines(runtime: ContainerRuntime, containerId: string, lines = 20): Promise<string[]> {
  try {
    const stream = await runtime.logs(containerId, { tail: lines });
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).slice(-lines);
  } catch {
    return [];
  }
}
