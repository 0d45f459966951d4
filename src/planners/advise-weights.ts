import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CAPABILITIES as CAPABILITY_NAMES } from './catalog.js';
import { LEAVE_REASONS } from './requirements.js';
import { SNAPSHOT_DIR } from './data-snapshot.js';
import { loadBundledYaml } from './yaml-file.js';

/**
 * The weights and thresholds of `baas advise`, kept as data beside the catalog
 * (templates/catalog/advisor-weights.yaml, each value with its reason there).
 */

export const WEIGHTS_URL = new URL('../../templates/catalog/advisor-weights.yaml', import.meta.url);

const share = z.number().min(0).max(1);
const weight = z.number().nonnegative();
const byStage = z.object({ mvp: z.number().nonnegative(), growth: z.number().nonnegative(), scale: z.number().nonnegative() }).strict();
const fitRow = z.object({ relational: share, document: share, mixed: share }).strict();
const lockRow = z.object({ low: share, medium: share, high: share }).strict();
/** The criteria a reason for leaving can weigh more (ids of advise-criteria's scores). */
export const CRITERION_IDS = ['capabilities', 'data', 'simplicity', 'cost', 'lock_in', 'ecosystem', 'maturity', 'data_safety', 'migration', 'self_hosting'] as const;
const credit = z.object({ designed_for: share, full: share, partial: share }).strict();

export const weightsSchema = z
  .object({
    version: z.literal(1),
    ranking: z.object({ core_missing_counts: weight, budget_tie_usd: z.number().positive(), budget_tie_share: share, second_is_alternative: z.boolean(), third_is_alternative: z.boolean(), look_alike_is_variant: z.boolean(), sign_in_is_alternative: z.boolean() }).strict(),
    criteria: z
      .object({ capabilities: weight, data: weight, simplicity: weight, cost: weight, lock_in: weight, ecosystem: weight, self_hosting: weight })
      .strict(),
    capabilities: z
      .object({
        level_weight: z.object({ core: weight, some: weight }).strict(),
        core: credit,
        some: credit,
        container_runs_functions: z.enum(['full', 'partial', 'none']),
        container_runs_api: z.enum(['designed_for', 'full', 'partial']),
        partial_host_static_build: z.enum(['full', 'partial']),
        partial_sign_in: share,
        organizations_as_tables: share,
        realtime_joins_in_code: z.enum(['designed_for', 'full']),
        api_style_weight: weight,
        commodity: z.array(z.enum(CAPABILITY_NAMES)),
        buildable_when_some: z.array(z.enum(CAPABILITY_NAMES)),
        serves_own_model: z.array(z.enum(CAPABILITY_NAMES)),
        api_of_stated_functions: z.boolean(),
      })
      .strict(),
    data: z
      .object({
        fit: z.object({ relational: fitRow, document: fitRow, mixed: fitRow }).strict(),
        mobile_unspecified: z.enum(['relational', 'document', 'mixed', 'unspecified']),
        single_node_large_gb: weight,
        single_node_large_factor: share,
        joins_in_code: share,
        documents_by_key: share,
      })
      .strict(),
    simplicity: z
      .object({
        vendor_step: byStage,
        assumed_team: z.object({ whole_product: z.number().int().positive(), sign_in_decision: z.number().int().positive() }).strict(),
        assumed_self_hosting: z.object({ internal_sign_in_decision: z.enum(['any', 'preferred']) }).strict(),
        self_hosted_penalty: z.array(z.object({ team_up_to: z.number().int().positive(), penalty: share }).strict()).min(1),
        mvp_self_hosted_extra: share,
        wanted_self_hosting_factor: share,
        extra_self_hosted_service: weight,
        single_node_growth: share,
        library_upkeep: share,
        library_upkeep_server_rendered: share,
        sign_in_partner: share,
        billed_through_host: share,
        backend_for_sign_in: share,
        bundled_sign_in_alone: share,
        sign_in_elsewhere: share,
        single_node_scale: share,
        tiny: z
          .object({ team_up_to: z.number().int().positive(), mau_up_to: weight, db_gb_up_to: weight, single_binary_bonus: share })
          .strict(),
      })
      .strict(),
    cost: z
      .object({ reference: byStage, negligible: byStage, negligible_non_commercial: z.number().nonnegative(), within_slope: share, over_start: share, unknown_price_factor: share, unpriced_growth_factor: share })
      .strict(),
    lock_in: z.object({ fit: z.object({ low: lockRow, medium: lockRow, high: lockRow, unstated: lockRow }).strict(), stated_low_factor: z.number().min(1) }).strict(),
    ecosystem: z.object({ host_share: share, server_rendered: z.array(z.string()), node_server_host: share, adapter_host: share, adapter_host_leaving: share, web_sdk_credit: share }).strict(),
    maturity: z.object({ weight: byStage, unknown: share, full_years: z.number().positive(), pre_ga: share, pre_ga_tiny: share }).strict(),
    data_safety: z
      .object({ weight: byStage, unknown: share, unmanaged: share, self_run: share, no_pitr: share, ha: z.object({ failover: share, replicas: share, none: share }).strict(), ha_from: z.enum(['mvp', 'growth', 'scale']) })
      .strict(),
    migration: z
      .object({
        weight,
        reference_days: z.number().positive(),
        staying_factor: z.number().min(1),
        role_share: z.object({ database: share, auth: share, compute: share, cache: share }).strict(),
      })
      .strict(),
    leaving: z.object({ because: z.partialRecord(z.enum(LEAVE_REASONS), z.partialRecord(z.enum(CRITERION_IDS), z.number().positive())), same_kind_sign_in: z.boolean() }).strict(),
  })
  .strict();
export type Weights = z.infer<typeof weightsSchema>;

let cached: Weights | undefined;

/** Reads and validates the weights file once (from the build's snapshot when it matches, see data-snapshot.ts). */
export function loadWeights(url: URL = WEIGHTS_URL, snapshots: string = SNAPSHOT_DIR): Weights {
  if (url === WEIGHTS_URL && cached) return cached;
  const file = fileURLToPath(url);
  const w = loadBundledYaml(weightsSchema, file, snapshots);
  if (url === WEIGHTS_URL) cached = w;
  return w;
}
