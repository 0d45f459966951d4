import type { LoadedConfig } from '../../config/load.js';
import { LABEL } from '../../model/labels.js';
import { realClock } from '../../wait.js';
import { currentTask, projectFilter, requireManager, type SwarmDeps } from './stack.js';

export interface SwarmDownResult {
  project: string;
  target: 'swarm';
  services: string[];
  networks: string[];
  secrets: string[];
  configs: string[];
  /** Volumes deleted (on the manager's node: the only node whose volumes its API reaches). */
  volumes: string[];
  /** Data volumes left on the nodes, by node, with --volumes or without. */
  keptVolumes: { node: string; volume: string }[];
  nothingToDo: boolean;
}

/**
 * Removes the project's services, network, secrets and configs. Data volumes are kept unless
 * --volumes; even then only the manager node's can be deleted through its API, and the others
 * are listed with their node so they can be removed there.
 */
export async function swarmDown(deps: SwarmDeps, loaded: LoadedConfig, options: { volumes?: boolean } = {}): Promise<SwarmDownResult> {
  const { engine } = deps;
  const clock = deps.clock ?? realClock;
  const state = await requireManager(engine);
  const project = loaded.config.project;
  const filter = projectFilter(project);
  const services = await engine.services(filter);
  const tasks = await engine.tasks(services.map((s) => s.id));
  const nodes = await engine.nodes();
  // Volumes live where the task ran: remember those places before the services go.
  const volumeSites: { node: string; volume: string }[] = [];
  for (const s of services) {
    const t = currentTask(tasks, s.id);
    const svc = s.labels[LABEL.service] ?? s.name;
    if (!t) continue;
    const host = nodes.find((n) => n.id === t.nodeId)?.hostname ?? t.nodeId;
    if (s.labels[LABEL.kind] === 'postgres' || s.labels[LABEL.kind] === 'redis') volumeSites.push({ node: host, volume: `baas-${project}-${svc}-data` });
  }
  for (const s of services) await engine.removeService(s.id);
  // The network can go once the tasks have left it.
  const networks = await engine.networks(filter);
  for (const n of networks) {
    const deadline = clock.now() + 30_000;
    for (;;) {
      try {
        await engine.removeNetwork(n.id);
        break;
      } catch (e) {
        if (clock.now() > deadline) throw e;
        await clock.sleep(500);
      }
    }
  }
  // The manager keeps listing a removed network until its own tasks have left it: wait, so
  // that an `up` right after this `down` makes a new one instead of finding the old one.
  const gone = clock.now() + 30_000;
  while (networks.length > 0 && (await engine.networks(filter)).some((n) => networks.some((x) => x.id === n.id)) && clock.now() < gone) await clock.sleep(250);
  const secrets = await engine.secrets(filter);
  for (const s of secrets) await engine.removeSecret(s.id);
  const configs = await engine.configs(filter);
  for (const c of configs) await engine.removeConfig(c.id);
  const volumes: string[] = [];
  let kept = volumeSites;
  if (options.volumes) {
    const manager = nodes.find((n) => n.id === state.nodeId)?.hostname;
    const local = await engine.localVolumes({ [LABEL.project]: project });
    for (const v of local) {
      for (let i = 0; ; i++) {
        try {
          await engine.removeLocalVolume(v);
          volumes.push(v);
          break;
        } catch (e) {
          if (i > 40) throw e; // still held by a container that is stopping
          await clock.sleep(500);
        }
      }
    }
    kept = volumeSites.filter((s) => s.node !== manager);
  }
  deps.logger.info({ project, services: services.length }, 'swarm stack removed');
  return {
    project,
    target: 'swarm',
    services: services.map((s) => s.name),
    networks: networks.map((n) => n.name),
    secrets: secrets.map((s) => s.name),
    configs: configs.map((c) => c.name),
    volumes,
    keptVolumes: kept,
    nothingToDo: services.length === 0 && networks.length === 0 && secrets.length === 0 && configs.length === 0 && volumes.length === 0,
  };
}
