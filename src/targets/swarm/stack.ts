import type { LoadedConfig } from '../../config/load.js';
import { ExitCode, UserError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HealthReport, ServiceDef, StackContext } from '../../services/types.js';
import { LABEL } from '../../model/labels.js';
import type { Secrets } from '../../model/secrets.js';
import type { Clock } from '../../wait.js';
import { clusterContext, clusterDefs, secretItems } from '../common.js';
import type { SwarmEngine, SwarmNodeInfo, SwarmServiceInfo, SwarmState, SwarmTaskInfo } from './engine.js';
import { pinnedNode, planPlacement, type PlacementPlan } from './placement.js';
import { SWARM_TARGET_LABEL, swarmService, type DesiredSwarmService } from './spec.js';

export interface SwarmDeps {
  engine: SwarmEngine;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  clock?: Clock;
}

/** Refuses, with the fix, an engine that is not the manager of an active swarm. */
export async function requireManager(engine: SwarmEngine): Promise<SwarmState> {
  const s = await engine.swarm();
  if (s.localNodeState !== 'active') {
    throw new UserError(`The Docker engine at ${engine.endpoint} is not part of a swarm (swarm state: ${s.localNodeState}).`, {
      hint: 'Set DOCKER_HOST to a swarm manager (for example ssh://admin@manager-1 or unix:///path/to/manager.sock), or make this engine one with `docker swarm init`.',
    });
  }
  if (!s.isManager) {
    throw new UserError(`The Docker engine at ${engine.endpoint} is a swarm worker; services can only be managed through a manager.`, {
      hint: 'Set DOCKER_HOST to a manager node (`docker node ls` on any manager lists them, MANAGER STATUS column).',
    });
  }
  return s;
}

export const projectFilter = (project: string): Record<string, string> => ({ [LABEL.project]: project, [SWARM_TARGET_LABEL]: 'swarm' });

/** The live task of a service: the newest one meant to run (or the newest at all). */
export function currentTask(tasks: SwarmTaskInfo[], serviceId: string): SwarmTaskInfo | undefined {
  const mine = tasks.filter((t) => t.serviceId === serviceId).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  return mine.find((t) => t.desiredState === 'running') ?? mine[0];
}

export interface SwarmView {
  ctx: StackContext;
  defs: ServiceDef[];
  nodes: SwarmNodeInfo[];
  services: SwarmServiceInfo[];
  tasks: SwarmTaskInfo[];
}

/** What the swarm holds for the project, next to what the config describes. */
export async function viewSwarm(deps: SwarmDeps, loaded: LoadedConfig, secrets: Secrets): Promise<SwarmView> {
  await requireManager(deps.engine);
  const ctx = clusterContext(loaded, secrets, deps.env);
  const defs = clusterDefs(ctx);
  const [nodes, services] = await Promise.all([deps.engine.nodes(), deps.engine.services(projectFilter(ctx.project))]);
  const tasks = await deps.engine.tasks(services.map((s) => s.id));
  return { ctx, defs, nodes, services, tasks };
}

/** Pure: the desired Swarm services, placed. Throws before anything is created when placement is impossible. */
export function desiredSwarmServices(
  ctx: StackContext,
  defs: ServiceDef[],
  nodes: SwarmNodeInfo[],
  existing: SwarmServiceInfo[],
  files: (def: ServiceDef) => Record<string, string> = (d) => d.secretFiles ?? {},
): { services: DesiredSwarmService[]; placement: PlacementPlan } {
  const current = new Map<string, string>();
  for (const s of existing) {
    const id = pinnedNode(s.constraints);
    const name = s.labels[LABEL.service];
    if (id && name) current.set(name, id);
  }
  const placement = planPlacement(nodes, defs, current);
  const items = secretItems(ctx.config, ctx.secrets);
  const services = defs.map((d) => swarmService(ctx, d, defs, placement.placements.find((p) => p.service === d.name)!, items, files(d)));
  return { services, placement };
}

export type SwarmAction =
  | { type: 'create'; desired: DesiredSwarmService }
  | { type: 'update'; desired: DesiredSwarmService; existing: SwarmServiceInfo; reason: string }
  | { type: 'keep'; desired: DesiredSwarmService; existing: SwarmServiceInfo }
  | { type: 'remove'; existing: SwarmServiceInfo; reason: string };

/** Pure: create what is missing, update what changed (config hash), keep the rest, remove strays. */
export function planSwarm(desired: DesiredSwarmService[], existing: SwarmServiceInfo[]): SwarmAction[] {
  const actions: SwarmAction[] = [];
  const claimed = new Set<string>();
  for (const d of desired) {
    const found = existing.find((s) => s.name === d.spec.Name);
    if (!found) {
      actions.push({ type: 'create', desired: d });
      continue;
    }
    claimed.add(found.id);
    if (found.labels[LABEL.configHash] !== d.hash) actions.push({ type: 'update', desired: d, existing: found, reason: 'configuration changed' });
    else actions.push({ type: 'keep', desired: d, existing: found });
  }
  for (const s of existing) if (!claimed.has(s.id)) actions.push({ type: 'remove', existing: s, reason: 'no longer in the configuration' });
  return actions;
}

export function nodeName(nodes: SwarmNodeInfo[], id: string): string {
  return nodes.find((n) => n.id === id)?.hostname ?? (id ? id.slice(0, 12) : '');
}

/** Health of one service asked through the port its task publishes on its node. */
export async function probeTask(
  ctx: StackContext,
  def: ServiceDef,
  task: SwarmTaskInfo | undefined,
  nodes: SwarmNodeInfo[],
  probe: (ctx: StackContext, def: ServiceDef) => Promise<HealthReport>,
): Promise<HealthReport & { node?: string }> {
  if (!task) return { service: def.name, kind: def.kind, status: 'missing', detail: 'no service (run `baas up --target swarm`)' };
  const node = nodes.find((n) => n.id === task.nodeId);
  const where = node ? { node: node.hostname } : {};
  if (node && node.state !== 'ready') return { service: def.name, kind: def.kind, status: 'unhealthy', detail: `its node ${node.hostname} is ${node.state}`, ...where };
  if (task.state !== 'running') return { service: def.name, kind: def.kind, status: task.desiredState === 'running' ? 'starting' : 'stopped', detail: `task ${task.state}${task.error ? `: ${task.error}` : task.message ? ` (${task.message})` : ''}`, ...where };
  const port = task.ports[0]?.published;
  if (!node || !port) return { service: def.name, kind: def.kind, status: 'unhealthy', detail: 'the task publishes no port', ...where };
  const h = await probe({ ...ctx, probeHost: node.addr }, { ...def, hostPort: port });
  return { ...h, ...where };
}

export function assertNoConflict(existingOther: SwarmServiceInfo[], names: string[]): void {
  const clash = existingOther.filter((s) => names.includes(s.name));
  if (clash.length > 0) {
    throw new UserError(`The swarm already has service(s) named ${clash.map((s) => s.name).join(', ')} that baas did not create for this project.`, {
      exitCode: ExitCode.conflict,
      hint: 'Remove them (`docker service rm ...`) or choose another project name in platform.config.yaml.',
    });
  }
}
