import { z } from 'zod';
import { UserError } from '../errors.js';

/** Every quantity a usage profile can carry. A month is 730 hours (as in Infracost). */
export const METRICS = [
  'mau',
  'sso_mau',
  'db_gb',
  'storage_gb',
  'egress_gb',
  'function_invocations',
  'compute_hours',
  'realtime_messages',
  'requests',
  'db_reads',
  'db_writes',
  'cpu_ms',
  'db_io_gb',
  'action_gb_hours',
  'branches',
  'projects',
  'seats',
  'servers',
] as const;
export type Metric = (typeof METRICS)[number];
export type Usage = Record<Metric, number>;

export const METRIC_INFO: Record<Metric, { label: string; unit: string; max: number }> = {
  mau: { label: 'monthly active users', unit: 'users', max: 1e10 },
  sso_mau: { label: 'enterprise SSO monthly active users', unit: 'users', max: 1e10 },
  db_gb: { label: 'database size', unit: 'GB', max: 1e7 },
  storage_gb: { label: 'file storage', unit: 'GB', max: 1e8 },
  egress_gb: { label: 'egress', unit: 'GB/month', max: 1e8 },
  function_invocations: { label: 'function invocations', unit: '/month', max: 1e14 },
  compute_hours: { label: 'compute hours', unit: 'h/month', max: 730 * 10_000 },
  realtime_messages: { label: 'realtime messages', unit: '/month', max: 1e15 },
  requests: { label: 'requests', unit: '/month', max: 1e15 },
  db_reads: { label: 'database reads', unit: '/month', max: 1e16 },
  db_writes: { label: 'database writes', unit: '/month', max: 1e15 },
  cpu_ms: { label: 'edge CPU time', unit: 'ms/month', max: 1e16 },
  db_io_gb: { label: 'database I/O', unit: 'GB/month', max: 1e9 },
  action_gb_hours: { label: 'function compute', unit: 'GB-hours/month', max: 1e8 },
  branches: { label: 'extra database branches', unit: 'branch-months', max: 1e5 },
  projects: { label: 'separate databases or projects (one per tenant when tenants are isolated)', unit: 'projects', max: 1e7 },
  seats: { label: 'developer seats', unit: 'seats', max: 1e5 },
  servers: { label: 'self-hosted servers', unit: 'servers', max: 1e4 },
};

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
