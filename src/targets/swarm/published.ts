import type { LoadedConfig } from '../../config/load.js';
import { UnhealthyError, UserError } from '../../errors.js';
import type { Secrets } from '../../model/secrets.js';
import type { ServiceDef } from '../../services/types.js';
import { serviceName } from './spec.js';
import { currentTask, viewSwarm, type SwarmDeps, type SwarmView } from './stack.js';

/**
 * Where clients outside the swarm reach each service: the swarm target publishes every port in
 * host mode (no routing mesh, see spec.ts), so a service answers only at the address of the node
 * its running task is on, on the port that task publishes there.
 */
export interface SwarmEndpoint {
  def: ServiceDef;
  /** The node's host name. */
  node?: string;
  /** The node's address. */
  host?: string;
  /** The port the task publishes on that node. */
  port?: number;
  /** Why there is no address (no service, no running task, its node down). */
  missing?: string;
}

/** Pure: the address of each service of the configuration, from its running task. */
export function swarmEndpoints(view: SwarmView): SwarmEndpoint[] {
  return view.defs.map((def) => {
    const svc = view.services.find((s) => s.name === serviceName(view.ctx.project, def.name));
    if (!svc) return { def, missing: 'not deployed' };
    const task = currentTask(view.tasks, svc.id);
    const node = view.nodes.find((n) => n.id === task?.nodeId);
    const port = task?.ports[0]?.published;
    if (!task || task.state !== 'running') return { def, ...(node ? { node: node.hostname } : {}), missing: task ? `task ${task.state}` : 'no task scheduled' };
    if (!node || node.state !== 'ready') return { def, ...(node ? { node: node.hostname } : {}), missing: `its node ${node?.hostname ?? task.nodeId} is ${node?.state ?? 'unknown'}` };
    if (!port) return { def, node: node.hostname, missing: 'its task publishes no port' };
    return { def, node: node.hostname, host: node.addr, port };
  });
}

/** The endpoints as service definitions connection settings take: the node address, the published port, the name Sentinels announce. */
export function publishedSwarmDefs(endpoints: SwarmEndpoint[]): ServiceDef[] {
  return endpoints
    .filter((e) => e.port !== undefined)
    .map((e) => ({ ...e.def, hostPort: e.port!, publishedHost: e.host!, internal: { ip: e.def.name, port: e.def.internal.port } }));
}

/** What the swarm holds for the project; refuses, with the fix, a project with nothing deployed. */
export async function deployedView(deps: SwarmDeps, loaded: LoadedConfig, secrets: Secrets): Promise<SwarmView> {
  const view = await viewSwarm(deps, loaded, secrets);
  if (view.services.length === 0) {
    throw new UserError(`The stack '${loaded.config.project}' is not deployed on the swarm at ${deps.engine.endpoint}.`, { hint: 'Deploy it with `baas up --target swarm` (DOCKER_HOST must point at the same manager).' });
  }
  return view;
}

/**
 * The endpoints clients can use. A Redis node or Sentinel without a running task is left out (the
 * others still serve); Postgres, or a whole group, without one has no address to give: exit 6.
 */
export function reachableEndpoints(endpoints: SwarmEndpoint[]): { reachable: SwarmEndpoint[]; left: SwarmEndpoint[] } {
  const reachable = endpoints.filter((e) => e.port !== undefined);
  const left = endpoints.filter((e) => e.port === undefined);
  const fatal = left.filter((e) => e.def.kind === 'postgres' || !reachable.some((r) => r.def.kind === e.def.kind));
  if (fatal.length > 0) {
    throw new UnhealthyError(`No address for ${fatal.map((e) => `${e.def.name} (${e.missing})`).join(', ')} on the swarm.`, {
      hint: '`baas status --target swarm` shows each task and its node; `baas up --target swarm` starts what is missing.',
    });
  }
  return { reachable, left };
}
