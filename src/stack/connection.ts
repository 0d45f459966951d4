import type { LoadedConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import { LABEL } from '../model/labels.js';
import { DRIVERS } from '../services/drivers.js';
import type { ConnectionInfo, ServiceDef, StackContext } from '../services/types.js';
import type { ContainerInfo } from '../runtime/types.js';
import { describeStack, type StackDeps } from './context.js';
import { requireSecrets } from './secrets.js';

export type { ConnectionInfo } from '../services/types.js';

/** The desired services with the host ports their containers really publish (auto ports included). */
export function publishedDefs(defs: ServiceDef[], actual: ContainerInfo[]): ServiceDef[] {
  return defs.map((d) => {
    const c = actual.find((x) => x.labels[LABEL.service] === d.name);
    const label = Number(c?.labels[LABEL.hostPort]);
    const hostPort = c?.ports[0]?.host ?? (Number.isInteger(label) && label > 0 ? label : d.hostPort);
    return hostPort === d.hostPort ? d : { ...d, hostPort };
  });
}

/** Each enabled engine's connection settings, from its driver. */
export function connectionSettings(ctx: StackContext, defs: ServiceDef[], host = ctx.probeHost): ConnectionInfo[] {
  return DRIVERS.filter((d) => d.connection && ctx.config.services[d.group].enabled).map((d) => d.connection!(ctx, defs, host));
}

/** Connection details for the running stack (ports as published by the actual containers). */
export async function connectionInfo(deps: StackDeps, loaded: LoadedConfig, stateDir: string): Promise<ConnectionInfo[]> {
  const secrets = requireSecrets(stateDir);
  const { ctx, defs, actual } = await describeStack(deps.runtime, loaded, secrets, deps.env);
  if (actual.length === 0) {
    throw new UserError(`The stack '${loaded.config.project}' is not running.`, { hint: 'Start it with `baas up`.' });
  }
  return connectionSettings(ctx, publishedDefs(defs, actual));
}

export function maskSecrets(info: ConnectionInfo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.env)) {
    if (!info.secretKeys.includes(k)) out[k] = v;
    else if (/^[a-z]+:\/\//.test(v)) out[k] = v.replace(/(\/\/[^:@/]*:)[^@]*@/, '$1***@');
    else out[k] = '***';
  }
  return out;
}
