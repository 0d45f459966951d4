import path from 'node:path';
import { setConfigValue } from '../config/edit.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { ServiceKind } from '../config/schema.js';
import { ExitCode, UserError } from '../errors.js';
import { describeStack, projectContainers, type StackDeps } from './context.js';
import { copyData, type CopyReport } from './data-files.js';
import { currentLocation, describeLocation, desiredLocation, holdsData, sameLocation, type DataLocation } from './data-location.js';
import { LABEL, projectLabels, extraLabelsFromEnv } from '../model/labels.js';
import { requireSecrets } from './secrets.js';
import { up, type UpOptions, type UpResult } from './up.js';

export interface DataMoveInput {
  group: ServiceKind;
  /** The new data directory (absolute, or relative to the current directory). */
  target: string;
  cwd: string;
}

export interface DataMoveResult {
  group: ServiceKind;
  target: string;
  copies: { service: string; from: string; to: string; files: number; bytes: number }[];
  /** How the switch was recorded. */
  config: { file: string; edited: boolean; created: boolean; instruction?: string };
  /** The old locations, left as they were. */
  kept: string[];
  up?: UpResult;
}

/**
 * `baas data move <service> <path>`: stop the service's containers, copy their data into the
 * new (empty) place with `cp -a --reflink=auto` (clones where the filesystem allows), verify
 * the copy file by file, record the new place in platform.config.yaml, and bring the service
 * up on it. The old data is left where it was, for the user to delete when satisfied.
 */
export async function moveData(deps: StackDeps, loaded: LoadedConfig, stateDir: string, input: DataMoveInput, options: Pick<UpOptions, 'onEvent' | 'timeoutMs' | 'buildImages'> = {}): Promise<DataMoveResult> {
  const { runtime } = deps;
  const { group } = input;
  if (!loaded.config.services[group].enabled) {
    throw new UserError(`The service '${group}' is disabled in the configuration.`, { hint: `Set services.${group}.enabled: true in platform.config.yaml.` });
  }
  const target = path.resolve(input.cwd, input.target);
  await runtime.ping();
  const secrets = requireSecrets(stateDir);
  const project = loaded.config.project;
  const moved: LoadedConfig = { ...loaded, config: { ...loaded.config, services: { ...loaded.config.services, [group]: { ...loaded.config.services[group], data: target } } } };
  const before = await describeStack(runtime, loaded, secrets, deps.env);
  const after = await describeStack(runtime, moved, secrets, deps.env);
  const volumes = await runtime.listVolumes({ [LABEL.project]: project });

  const plans: { service: string; image: string; from: DataLocation; to: string }[] = [];
  for (const def of after.defs.filter((d) => d.group === group)) {
    const want = desiredLocation(def);
    if (!want || want.location.kind !== 'bind') continue;
    const old = before.defs.find((d) => d.name === def.name);
    const oldConfigured = old ? desiredLocation(old)?.location : undefined;
    const from = currentLocation(def, after.actual, volumes) ?? (oldConfigured && holdsData(oldConfigured, volumes) ? oldConfigured : undefined);
    if (!from || sameLocation(from, want.location)) continue;
    if (!holdsData(from, volumes)) continue;
    if (holdsData(want.location, volumes)) {
      throw new UserError(`${want.location.path} already holds data, so ${def.name}'s data cannot be copied there.`, {
        exitCode: ExitCode.conflict,
        hint: `Pick an empty directory, or empty ${want.location.path} first (its data would otherwise be mixed with ${describeLocation(from)}).`,
      });
    }
    plans.push({ service: def.name, image: def.spec.image, from, to: want.location.path });
  }
  if (plans.length === 0 && sameConfigured(loaded, group, target)) {
    throw new UserError(`${group} already keeps its data in ${target}.`, { hint: '`baas up` starts it there.' });
  }

  // Stop before copying: a copy of a running database's files is not a consistent copy.
  const containers = (await projectContainers(runtime, project)).filter((c) => plans.some((p) => p.service === c.labels[LABEL.service]));
  const t0 = Date.now();
  const emit = (service: string, phase: 'check' | 'ready' | 'start', detail?: string): void =>
    options.onEvent?.({ service, phase, elapsedMs: Date.now() - t0, ...(detail ? { detail } : {}) });
  for (const c of containers) {
    if (c.state !== 'running' && c.state !== 'restarting') continue;
    emit(c.labels[LABEL.service] ?? c.name, 'check', 'stopping');
    await runtime.stopContainer(c.id, 30);
  }
  const labels = { ...projectLabels(project, extraLabelsFromEnv(deps.env)), [LABEL.kind]: 'helper' };
  const copies: DataMoveResult['copies'] = [];
  try {
    for (const p of plans) {
      emit(p.service, 'check', `copying ${describeLocation(p.from)} to ${p.to}`);
      const r: CopyReport = await copyData({ runtime, labels }, p.image, p.from, p.to);
      copies.push({ service: p.service, from: describeLocation(p.from), to: p.to, ...r });
      emit(p.service, 'ready', `${r.files} files verified`);
    }
  } catch (e) {
    // Nothing was switched: the service goes back to where its data is.
    for (const c of containers) await runtime.startContainer(c.id).catch(() => {});
    throw e;
  }

  const edit = setConfigValue(loaded.file, loaded.dir, ['services', group, 'data'], target);
  const result: DataMoveResult = {
    group,
    target,
    copies,
    config: edit.edited
      ? { file: edit.file, edited: true, created: edit.created }
      : { file: edit.file, edited: false, created: false, instruction: `${edit.reason}: set it to ${target}, then run \`baas up ${group}\`.` },
    kept: [...new Set(plans.map((p) => describeLocation(p.from)))],
  };
  if (!edit.edited) return result;
  const reloaded = loadConfig({ cwd: loaded.dir, env: deps.env, ...(loaded.file ? { file: loaded.file } : {}) });
  result.up = await up(deps, reloaded, stateDir, { ...options, services: [group] });
  return result;
}

function sameConfigured(loaded: LoadedConfig, group: ServiceKind, target: string): boolean {
  const data = loaded.config.services[group].data;
  return data !== 'volume' && path.resolve(loaded.dir, data) === target;
}
