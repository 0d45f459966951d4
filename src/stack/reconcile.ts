import { createHash } from 'node:crypto';
import type { ContainerInfo } from '../runtime/types.js';
import type { ServiceDef } from '../services/types.js';
import { LABEL } from '../model/labels.js';

export type Action =
  | { type: 'create'; def: ServiceDef }
  | { type: 'recreate'; def: ServiceDef; container: ContainerInfo; reason: string }
  | { type: 'start'; def: ServiceDef; container: ContainerInfo }
  | { type: 'keep'; def: ServiceDef; container: ContainerInfo }
  | { type: 'remove'; container: ContainerInfo; reason: string };

/** JSON with sorted keys, so the same spec always hashes the same. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function configHash(def: ServiceDef): string {
  return createHash('sha256').update(stableStringify(def.hashInput)).digest('hex').slice(0, 16);
}

/**
 * Pure: what to do to turn `actual` into `desired`. Creates what is missing, recreates what
 * changed (config-hash label differs, or the image tag now points at another image id: a
 * rebuild or a re-pull, which compose catches with its image-digest label), starts what is
 * stopped, keeps the rest. Containers of this project that no desired service claims are
 * removed unless `partial` (a subset of services was asked for).
 */
export function planReconcile(
  desired: ServiceDef[],
  actual: ContainerInfo[],
  options: { partial?: boolean; /** image reference -> the id it points at now (absent: not known, no comparison) */ imageIds?: Map<string, string> } = {},
): Action[] {
  const byService = new Map<string, ContainerInfo[]>();
  for (const c of actual) {
    const s = c.labels[LABEL.service] ?? '';
    byService.set(s, [...(byService.get(s) ?? []), c]);
  }
  const actions: Action[] = [];
  for (const def of desired) {
    const found = byService.get(def.name) ?? [];
    byService.delete(def.name);
    const hash = configHash(def);
    // Prefer the container with the expected name; anything else claiming the service is stray.
    const primary = found.find((c) => c.name === def.spec.name) ?? found[0];
    for (const extra of found) if (extra !== primary) actions.push({ type: 'remove', container: extra, reason: 'duplicate container for this service' });
    if (!primary) actions.push({ type: 'create', def });
    else if (primary.labels[LABEL.configHash] !== hash) actions.push({ type: 'recreate', def, container: primary, reason: 'configuration changed' });
    else if (imageChanged(primary, options.imageIds?.get(def.spec.image))) actions.push({ type: 'recreate', def, container: primary, reason: `image ${def.spec.image} changed (rebuilt or pulled)` });
    else if (primary.state !== 'running' && primary.state !== 'restarting') actions.push({ type: 'start', def, container: primary });
    else actions.push({ type: 'keep', def, container: primary });
  }
  if (!options.partial) {
    for (const [, containers] of byService) for (const c of containers) actions.push({ type: 'remove', container: c, reason: 'no longer in the configuration' });
  }
  return actions;
}

function imageChanged(c: ContainerInfo, currentId: string | undefined): boolean {
  return Boolean(c.imageId && currentId && c.imageId !== currentId);
}

/** Groups services into waves: each wave depends only on earlier waves. */
export function waves(defs: ServiceDef[]): ServiceDef[][] {
  const names = new Set(defs.map((d) => d.name));
  const done = new Set<string>();
  const out: ServiceDef[][] = [];
  let rest = [...defs];
  while (rest.length > 0) {
    const wave = rest.filter((d) => d.dependsOn.every((n) => done.has(n) || !names.has(n)));
    if (wave.length === 0) throw new Error(`dependency cycle among ${rest.map((d) => d.name).join(', ')}`);
    out.push(wave);
    for (const d of wave) done.add(d.name);
    rest = rest.filter((d) => !wave.includes(d));
  }
  return out;
}
