// The quantities a usage profile carries, with their labels: no dependencies, so the CLI can
// describe its flags without loading the planners.

/** Every quantity a usage profile can carry. A month is 730 hours (as in Infracost). */
export const METRICS = [
  'mau',
  'sso_mau',
  'db_gb',
  'storage_gb',
  'egress_gb',
  'function_invocations',
  'compute_hours',
  'active_hours',
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
  active_hours: { label: 'hours with traffic, billed by a database that scales to zero', unit: 'h/month', max: 730 * 10_000 },
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
