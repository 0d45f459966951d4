import type { ContainerInfo, ContainerRuntime } from '../runtime/types.js';
import { driverFor } from '../services/drivers.js';
import type { HealthReport, ServiceDef, StackContext } from '../services/types.js';
import { LABEL } from '../model/labels.js';
import { describeHeadroom, measureHeadroom, type StatFs } from './disk.js';

/** One service's health, asked with its own engine's client. */
export async function probeService(ctx: StackContext, def: ServiceDef): Promise<HealthReport> {
  return driverFor(def.kind).health(ctx, def);
}

export interface HealthOptions {
  /** Measures disk headroom of data locations (needs the runtime for volumes it cannot read directly). */
  runtime?: ContainerRuntime;
  statfs?: StatFs;
}

/**
 * Health of every desired service; containers that are missing or stopped are reported as such.
 * Before judging, each engine repairs what it can (Postgres: a database left refusing
 * connections by an interrupted branch copy); a data location that is full makes its service
 * unhealthy whatever its server answers.
 */
export async function stackHealth(ctx: StackContext, defs: ServiceDef[], actual: ContainerInfo[], options: HealthOptions = {}): Promise<HealthReport[]> {
  return Promise.all(
    defs.map(async (def): Promise<HealthReport> => {
      const c = actual.find((x) => x.labels[LABEL.service] === def.name);
      if (!c) return { service: def.name, kind: def.kind, status: 'missing', detail: 'no container (run `baas up`)' };
      if (c.state !== 'running') return { service: def.name, kind: def.kind, status: 'stopped', detail: `container is ${c.state} (${c.status})` };
      // Ports may be auto-assigned: probe the port the container really publishes.
      const probed = { ...def, hostPort: c.ports[0]?.host ?? def.hostPort };
      const driver = driverFor(def.kind);
      const [report, disk] = await Promise.all([
        (async () => {
          const repaired = (await driver.repair?.(ctx, probed)) ?? [];
          const h = await driver.health(ctx, probed);
          return repaired.length > 0 ? { ...h, repaired, detail: `${h.detail}; repaired: ${repaired.join(' ')}` } : h;
        })(),
        options.runtime ? measureHeadroom(options.runtime, def, c, options.statfs ? { statfs: options.statfs } : {}) : Promise.resolve(undefined),
      ]);
      if (!disk) return report;
      if (disk.full) return { ...report, status: 'unhealthy', disk, detail: `data location full: ${describeHeadroom(disk)}; ${report.detail}` };
      return { ...report, disk, ...(disk.low ? { detail: `${report.detail}; low disk: ${describeHeadroom(disk)}` } : {}) };
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
