import { existsSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { LABEL, extraLabelsFromEnv, projectLabels } from '../model/labels.js';
import { describeStack, type StackDeps } from './context.js';
import { bindDataOf, removeBindData } from './data-files.js';
import { holdsData } from './data-location.js';
import { generateSecrets } from './secrets.js';

export interface DownResult {
  project: string;
  containers: string[];
  networks: string[];
  volumes: string[];
  /** Named volumes kept because --volumes was not given. */
  keptVolumes: string[];
  /** Bind-mounted data deleted with --volumes (only what the services wrote there). */
  removedData: string[];
  /** Bind-mounted data directories left in place, and why. */
  keptData: { path: string; why: string }[];
  nothingToDo: boolean;
}

/** Removes everything labelled with the project; data volumes only when asked. */
export async function down(deps: StackDeps, loaded: LoadedConfig, options: { volumes?: boolean } = {}): Promise<DownResult> {
  const { runtime } = deps;
  const project = loaded.config.project;
  const filter = { [LABEL.project]: project };
  await runtime.ping();
  const containers = await runtime.listContainers(filter);
  // Read before the containers go: their mounts say where bind-mounted data lives.
  const { defs } = await describeStack(runtime, loaded, generateSecrets(), deps.env);
  const binds = bindDataOf(defs, containers, LABEL.service, LABEL.kind);
  // Stop in parallel with a short grace period, then remove: databases get to flush.
  await Promise.all(containers.map(async (c) => {
    if (c.state === 'running') await runtime.stopContainer(c.id, 10);
    await runtime.removeContainer(c.id);
  }));
  const networks = await runtime.listNetworks(filter);
  for (const n of networks) await runtime.removeNetwork(n.name);
  const vols = await runtime.listVolumes(filter);
  if (options.volumes) for (const v of vols) await runtime.removeVolume(v.name);
  const removedData: string[] = [];
  const keptData: { path: string; why: string }[] = [];
  const labels = { ...projectLabels(project, extraLabelsFromEnv(deps.env)), [LABEL.kind]: 'helper' };
  for (const b of binds) {
    if (!options.volumes) {
      if (holdsData({ kind: 'bind', path: b.source }, [])) keptData.push({ path: b.source, why: `${b.service}'s data (bind mount); \`baas down --volumes\` deletes it` });
      continue;
    }
    const image = b.image && (await runtime.imageExists(b.image).catch(() => false)) ? b.image : undefined;
    const r = await removeBindData({ runtime, labels }, image, b.kind, b.source);
    removedData.push(...r.removed);
    keptData.push(...r.kept);
  }
  deps.logger.info({ project, containers: containers.length, volumes: options.volumes ? vols.length : 0, removedData, keptData: keptData.map((k) => k.path) }, 'stack removed');
  return {
    project,
    containers: containers.map((c) => c.name),
    networks: networks.map((n) => n.name),
    volumes: options.volumes ? vols.map((v) => v.name) : [],
    keptVolumes: options.volumes ? [] : vols.map((v) => v.name),
    removedData,
    keptData: keptData.filter((k) => existsSync(k.path)),
    nothingToDo: containers.length === 0 && networks.length === 0 && (!options.volumes || (vols.length === 0 && removedData.length === 0)),
  };
}
