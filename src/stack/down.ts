import type { LoadedConfig } from '../config/load.js';
import type { StackDeps } from './context.js';
import { LABEL } from '../model/labels.js';

export interface DownResult {
  project: string;
  containers: string[];
  networks: string[];
  volumes: string[];
  /** Named volumes kept because --volumes was not given. */
  keptVolumes: string[];
  nothingToDo: boolean;
}

/** Removes everything labelled with the project; data volumes only when asked. */
export async function down(deps: StackDeps, loaded: LoadedConfig, options: { volumes?: boolean } = {}): Promise<DownResult> {
  const { runtime } = deps;
  const project = loaded.config.project;
  const filter = { [LABEL.project]: project };
  await runtime.ping();
  const containers = await runtime.listContainers(filter);
  // Stop in parallel with a short grace period, then remove: databases get to flush.
  await Promise.all(containers.map(async (c) => {
    if (c.state === 'running') await runtime.stopContainer(c.id, 10);
    await runtime.removeContainer(c.id);
  }));
  const networks = await runtime.listNetworks(filter);
  for (const n of networks) await runtime.removeNetwork(n.name);
  const vols = await runtime.listVolumes(filter);
  if (options.volumes) for (const v of vols) await runtime.removeVolume(v.name);
  deps.logger.info({ project, containers: containers.length, volumes: options.volumes ? vols.length : 0 }, 'stack removed');
  return {
    project,
    containers: containers.map((c) => c.name),
    networks: networks.map((n) => n.name),
    volumes: options.volumes ? vols.map((v) => v.name) : [],
    keptVolumes: options.volumes ? [] : vols.map((v) => v.name),
    nothingToDo: containers.length === 0 && networks.length === 0 && (!options.volumes || vols.length === 0),
  };
}
