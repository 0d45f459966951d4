/** Opens a branch context for the agent's branch API and schedules, as `baas branch` would. */
import type { BranchContext } from '../branch/context.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { ContainerRuntime } from '../runtime/types.js';

export async function openContextFor(deps: { loaded: LoadedConfig; stateDir: string; runtime: ContainerRuntime; logger: Logger; env: NodeJS.ProcessEnv }): Promise<BranchContext> {
  const { openBranchContext } = await import('../branch/context.js');
  return openBranchContext({ loaded: deps.loaded, stateDir: deps.stateDir, runtime: async () => deps.runtime, logger: deps.logger, env: deps.env });
}
