/**
 * A one-platform catalog in YAML, for tests of the catalog's own checks. Each option replaces
 * a line of the platform (`provides`, `meters`) or adds lines (`maturity` before `ecosystems`,
 * `extra` after it); without options the meters are on line 18.
 */
export function oneCatalogText(over: { provides?: string; maturity?: string; extra?: string; meters?: string } = {}): string {
  const provides =
    over.provides ??
    'database: null, auth: true, storage: false, functions: false, edge: false, hosting: false, containers: false, realtime: false, offline_sync: false, vector_search: false, branching: false, scale_to_zero: false, cache: false, cache_ha: false, enterprise_sso: false, organizations: false, api: [rest]';
  return [
    'version: 1',
    'assumptions:',
    '  self_hosted_vm: { label: x, per: server-month, source: a, as_of: "2026-01-01", tiers: [{ id: s, ram_gb: 2, price: 10, label: s }], sizing: { db_cache_share: 0.25, db_cache_max_gb: 16, gb_per_10m_requests: 0.5, label: x } }',
    '  catalog_date: "2026-01-01"',
    '  month_hours: 730',
    '  days_per_month: 30',
    'platforms:',
    '  - id: p',
    '    name: P',
    '    summary: s',
    `    provides: { ${provides} }`,
    '    self_hosting: { available: false, licence: x }',
    '    compliance: {}',
    '    regions: {}',
    '    lock_in: low',
    ...(over.maturity ? [`    maturity: ${over.maturity}`] : []),
    '    ecosystems: []',
    ...(over.extra ? [over.extra] : []),
    '    sources: { s: { title: t, as_of: "2026-01" } }',
    `    meters: ${over.meters ?? '{}'}`,
    '    plans: [{ id: free, name: Free, base: 0, source: s, overage: false }]',
  ].join('\n');
}
