import type { LoadedConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import { LABEL } from '../model/labels.js';
import type { ContainerKind } from '../services/types.js';
import { bindAddressOf, projectContainers, type StackDeps } from '../stack/context.js';
import { measureExposure, type ExposureReport, type PublishedPort } from './exposure.js';

/** The running stack's published ports, probed (see exposure.ts). */
export async function describeExposure(deps: StackDeps, loaded: LoadedConfig): Promise<ExposureReport> {
  await deps.runtime.ping();
  const containers = (await projectContainers(deps.runtime, loaded.config.project)).filter((c) => c.state === 'running');
  if (containers.length === 0) throw new UserError(`The stack '${loaded.config.project}' is not running.`, { hint: 'Start it with `baas up`.' });
  const published: PublishedPort[] = containers.flatMap((c) =>
    c.ports.map((p) => ({ service: c.labels[LABEL.service] ?? c.name, kind: (c.labels[LABEL.kind] ?? 'redis') as ContainerKind, address: p.hostIp || '0.0.0.0', port: p.host })),
  );
  // Docker lists a port bound to every interface once per address family: keep one.
  const seen = new Set<string>();
  const unique = published.filter((p) => {
    const k = `${p.service}:${p.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const bind = bindAddressOf(loaded);
  return measureExposure(loaded.config, unique.sort((a, b) => a.service.localeCompare(b.service)), bind === '0.0.0.0' ? '127.0.0.1' : bind);
}
