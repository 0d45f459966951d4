/**
 * The branch API: the same core functions and rules as `baas branch` (createBranch, listBranches,
 * deleteBranch, gcBranches and the registry sync), without the CLI's start-up. Each operation opens
 * its own branch context (one superuser session), as a CLI run would.
 */
import { z } from 'zod';
import type { BranchContext } from '../branch/context.js';
import { deleteBranch, createBranch, gcBranches, type GcResult } from '../branch/lifecycle.js';
import { listBranches } from '../branch/list.js';
import { parseTtl } from '../branch/names.js';
import { syncRegistry } from '../branch/registry.js';
import { parseStrategy } from '../branch/strategy.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BranchApi } from './http.js';

export const createBodySchema = z
  .object({
    name: z.string(),
    from: z.string().optional(),
    ttl: z.string().optional(),
    protect: z.boolean().optional(),
    strategy: z.string().optional(),
    disrupt: z.boolean().optional(),
    force: z.boolean().optional(),
  })
  .strict();

export function parseCreateBody(body: unknown): z.infer<typeof createBodySchema> {
  const r = createBodySchema.safeParse(body);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : `${i.path.join('.') || 'body'}: ${i.message}`));
  throw new UserError(`The request body is not a valid branch: ${problems.join('; ')}.`, {
    hint: 'Send {"name": "ci-42", "from": "main", "ttl": "1d", "protect": false, "strategy": "clone", "disrupt": true, "force": false}; only name is required.',
  });
}

export interface BranchServiceDeps {
  open(): Promise<BranchContext>;
  logger: Logger;
  /** A branch was created or deleted (events, metrics). */
  changed(kind: 'created' | 'deleted', branch: string, data: Record<string, unknown>): void;
}

export function branchService(deps: BranchServiceDeps): BranchApi & { gc(): Promise<GcResult> } {
  const withContext = async <T>(fn: (ctx: BranchContext) => Promise<T>, mutates: boolean): Promise<T> => {
    const ctx = await deps.open();
    try {
      const result = await fn(ctx);
      if (mutates) {
        // As in the CLI: the registry copy must not fail an operation whose real work is done.
        await syncRegistry(ctx.deps).catch((e: unknown) => deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'baas_platform.databases was not updated'));
      }
      return result;
    } finally {
      await ctx.close();
    }
  };
  return {
    async create(body) {
      const input = parseCreateBody(body);
      const ttlMs = input.ttl !== undefined ? parseTtl(input.ttl) : undefined;
      const strategy = parseStrategy(input.strategy);
      const r = await withContext(
        ({ deps: d }) =>
          createBranch(d, {
            name: input.name,
            from: input.from ?? 'main',
            ...(ttlMs ? { ttlMs } : {}),
            protect: Boolean(input.protect),
            ...(strategy ? { strategy } : {}),
            disrupt: input.disrupt ?? true,
            force: Boolean(input.force),
          }),
        true,
      );
      deps.changed('created', r.branch, { parent: r.parent, strategy: r.choice.strategy, durationMs: Math.round(r.durationMs), pauseMs: Math.round(r.pause?.pauseMs ?? 0), expiresAt: r.expiresAt });
      return r;
    },
    list: () => withContext(({ deps: d }) => listBranches(d), false),
    async remove(name, options) {
      const r = await withContext(({ deps: d }) => deleteBranch(d, { name, disrupt: options.disrupt }), true);
      deps.changed('deleted', r.branch, { endedSessions: r.endedSessions });
      return r;
    },
    async gc() {
      const r = await withContext(({ deps: d }) => gcBranches(d), true);
      for (const d of r.deleted) deps.changed('deleted', d.branch, { expiredAt: d.expiredAt, by: 'gc' });
      return r;
    },
  };
}
