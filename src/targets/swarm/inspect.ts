import type { LoadedConfig } from '../../config/load.js';
import type { HealthReport } from '../../services/types.js';
import { probeService } from '../../stack/health.js';
import { LABEL } from '../../model/labels.js';
import { generateSecrets, readSecrets } from '../../stack/secrets.js';
import { currentTask, nodeName, probeTask, viewSwarm, type SwarmDeps } from './stack.js';
import { serviceName } from './spec.js';

export interface SwarmServiceStatus {
  service: string;
  kind: string;
  /** running, pending, failed, ... or missing (no service). */
  state: string;
  node: string;
  /** ready, down, unknown: the state of the node the task is on. */
  nodeState: string;
  ports: string[];
  status: string;
  health?: HealthReport;
}

export interface SwarmStatusResult {
  project: string;
  target: 'swarm';
  manager: string;
  running: boolean;
  nodes: { hostname: string; addr: string; role: string; state: string; availability: string; labels: Record<string, string> }[];
  services: SwarmServiceStatus[];
  /** Services of the project the configuration no longer describes. */
  extra: string[];
}

/** Every service with the node its task is on, that node's state, and (with health) its own client's answer. */
export async function swarmStatus(deps: SwarmDeps, loaded: LoadedConfig, stateDir: string, options: { health?: boolean } = {}): Promise<SwarmStatusResult> {
  const secrets = readSecrets(stateDir) ?? generateSecrets();
  const { ctx, defs, nodes, services, tasks } = await viewSwarm(deps, loaded, secrets);
  const rows = await Promise.all(
    defs.map(async (def): Promise<SwarmServiceStatus> => {
      const svc = services.find((s) => s.name === serviceName(ctx.project, def.name));
      const task = svc ? currentTask(tasks, svc.id) : undefined;
      const node = nodes.find((n) => n.id === task?.nodeId);
      const health = options.health ? await probeTask(ctx, def, task, nodes, probeService) : undefined;
      return {
        service: def.name,
        kind: def.kind,
        state: !svc ? 'missing' : !task ? 'no task' : node && node.state !== 'ready' ? `${task.state} (node ${node.state})` : task.state,
        node: task ? nodeName(nodes, task.nodeId) : '',
        nodeState: node?.state ?? '',
        ports: task ? [...new Set(task.ports.map((p) => `${node?.addr ?? '?'}:${p.published}->${p.target}`))] : [],
        status: !svc ? 'not created' : task ? `${task.message}${task.error ? `: ${task.error}` : ''}` : 'no task scheduled',
        ...(health ? { health } : {}),
      };
    }),
  );
  const known = new Set(defs.map((d) => serviceName(ctx.project, d.name)));
  return {
    project: ctx.project,
    target: 'swarm',
    manager: deps.engine.endpoint,
    running: rows.some((r) => r.state === 'running'),
    nodes: [...nodes].sort((a, b) => a.hostname.localeCompare(b.hostname)).map((n) => ({ hostname: n.hostname, addr: n.addr, role: n.role, state: n.state, availability: n.availability, labels: n.labels })),
    services: rows,
    extra: services.filter((s) => !known.has(s.name)).map((s) => s.labels[LABEL.service] ?? s.name),
  };
}

/** `baas health --target swarm`: the same reports as on one host, plus the node. */
export async function swarmHealth(deps: SwarmDeps, loaded: LoadedConfig, stateDir: string, names: string[]): Promise<(HealthReport & { node?: string })[]> {
  const secrets = readSecrets(stateDir) ?? generateSecrets();
  const { ctx, defs, nodes, services, tasks } = await viewSwarm(deps, loaded, secrets);
  const { selectServices } = await import('../../stack/desired.js');
  const selected = selectServices(defs, names, loaded.config);
  return Promise.all(
    selected.map((def) => {
      const svc = services.find((s) => s.name === serviceName(ctx.project, def.name));
      return probeTask(ctx, def, svc ? currentTask(tasks, svc.id) : undefined, nodes, probeService);
    }),
  );
}
