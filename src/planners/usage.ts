import { z } from 'zod';
import { UserError } from '../errors.js';

export { METRICS, METRIC_INFO, type Metric, type Usage } from './metrics.js';
import { METRICS, METRIC_INFO, type Metric, type Usage } from './metrics.js';

const quantity = z.number().finite().nonnegative();

/** The shape of a usage file (`baas cost --file usage.yaml`): every metric optional. */
export const usageFileSchema = z
  .object(Object.fromEntries(METRICS.map((m) => [m, quantity.optional()])) as Record<Metric, z.ZodOptional<typeof quantity>>)
  .strict();
export type UsageInput = Partial<Usage>;

export interface DerivedUsage {
  usage: Usage;
  /** Quantities that were not given and were derived from others, in words. */
  assumptions: string[];
}

/**
 * Fills the metrics a user rarely knows from the ones they do: database reads/writes and
 * edge CPU from requests, one seat and one server. Every derivation is reported.
 */
export function deriveUsage(input: UsageInput): DerivedUsage {
  const assumptions: string[] = [];
  const u = Object.fromEntries(METRICS.map((m) => [m, input[m] ?? 0])) as Usage;
  if (input.db_reads === undefined && u.requests > 0) {
    u.db_reads = u.requests;
    assumptions.push('database reads = requests (one read per request)');
  }
  if (input.db_writes === undefined && u.requests > 0) {
    u.db_writes = Math.round(u.requests / 10);
    assumptions.push('database writes = requests / 10');
  }
  if (input.cpu_ms === undefined && u.requests > 0) {
    u.cpu_ms = u.requests * 5;
    assumptions.push('edge CPU = 5 ms per request');
  }
  // A database that scales to zero runs while traffic comes in; without a figure, as long as the rest.
  if (input.active_hours === undefined) u.active_hours = u.compute_hours;
  if (input.seats === undefined) u.seats = 1;
  if (input.servers === undefined) u.servers = 1;
  if (input.projects === undefined) u.projects = 1;
  return { usage: u, assumptions };
}

/** Rejects negative, non-finite and absurd quantities with one clear sentence (exit 2). */
export function checkUsage(input: UsageInput, flagOf: (m: Metric) => string = (m) => m): void {
  for (const m of METRICS) {
    const v = input[m];
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v < 0) {
      throw new UserError(`${flagOf(m)} must be a number of zero or more (got ${v}).`, {
        hint: `Give ${METRIC_INFO[m].label} in ${METRIC_INFO[m].unit}, e.g. ${flagOf(m)} 1000.`,
      });
    }
    if (v > METRIC_INFO[m].max) {
      throw new UserError(`${flagOf(m)} ${v} is beyond any plausible ${METRIC_INFO[m].label} (limit ${METRIC_INFO[m].max}).`, {
        hint: `Check the unit: ${METRIC_INFO[m].label} is in ${METRIC_INFO[m].unit}.`,
      });
    }
  }
}

/** Multiplies every quantity by a factor (growth projections); seats, servers, branches and projects stay put. */
export function scaleUsage(u: Usage, factor: number): Usage {
  const out = { ...u };
  for (const m of METRICS) if (m !== 'seats' && m !== 'servers' && m !== 'branches' && m !== 'projects') out[m] = u[m] * factor;
  return out;
}
