import type { LoadedConfig } from '../config/load.js';
import type { HealthReport } from '../services/types.js';
import { describeStack, type StackDeps } from './context.js';
import { LABEL } from '../model/labels.js';
import { readSecrets, generateSecrets } from './secrets.js';

export interface ServiceStatus {
  service: string;
  kind: string;
  state: string;
  status: string;
  image: string;
  ports: string[];
  container?: string;
  /** Only when health was asked for. */
  health?: HealthReport;
}

export interface StatusResult {
  project: string;
  network?: string;
  subnet?: string;
  running: boolean;
  services: ServiceStatus[];
  /** Containers of the project that the configuration no longer describes. */
  extra: string[];
}

export async function status(deps: StackDeps, loaded: LoadedConfig, stateDir: string, options: { health?: boolean } = {}): Promise<StatusResult> {
  // No separate ping: listing the network and containers fails the same way when Docker is not there.
  const secrets = readSecrets(stateDir) ?? generateSecrets();
  const { ctx, defs, actual, network } = await describeStack(deps.runtime, loaded, secrets, deps.env);
  // Only when asked for: the health probes and their modules load then, not for a plain status.
  const health = options.health ? await (await import('./health.js')).stackHealth(ctx, defs, actual, { runtime: deps.runtime }) : [];
  const services = defs.map((d): ServiceStatus => {
    const c = actual.find((x) => x.labels[LABEL.service] === d.name);
    const h = health.find((x) => x.service === d.name);
    return {
      service: d.name,
      kind: d.kind,
      state: c?.state ?? 'missing',
      status: c?.status ?? 'not created',
      image: c?.image ?? d.spec.image,
      ports: (c?.ports ?? []).map((p) => `${p.hostIp || '0.0.0.0'}:${p.host}->${p.container}`),
      ...(c ? { container: c.name } : {}),
      ...(h ? { health: h } : {}),
    };
  });
  const known = new Set(defs.map((d) => d.name));
  return {
    project: loaded.config.project,
    ...(network ? { network: network.name, subnet: network.subnets[0] } : {}),
    running: actual.some((c) => c.state === 'running'),
    services,
    extra: actual.filter((c) => !known.has(c.labels[LABEL.service] ?? '')).map((c) => c.name),
  };
}
