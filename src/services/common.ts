import path from 'node:path';
import { parseSize } from '../config/size.js';
import type { MountSpec } from '../runtime/types.js';
import { containerName, serviceLabels, volumeName } from '../model/labels.js';
import type { ContainerKind, ReadyEnv, ServiceDef, StackContext } from './types.js';
import type { ServiceKind } from '../config/schema.js';
import { selectImage } from '../images/refs.js';
import { SECRETS_MOUNT, serviceSecretsDir } from '../security/files.js';

/** The image for a service: explicit `image:`, else the local or official one (see images/refs.ts). */
export function imageFor(ctx: Pick<StackContext, 'config'>, group: ServiceKind): string {
  return selectImage(ctx.config, group).ref;
}

export function dataMount(ctx: StackContext, group: ServiceKind, service: string, target: string): { mount: MountSpec; volume?: string } {
  const data = ctx.config.services[group].data;
  if (data === 'volume') {
    const name = volumeName(ctx.project, service);
    return { mount: { type: 'volume', source: name, target }, volume: name };
  }
  // Several containers of one group (the Redis nodes) each get their own subdirectory.
  const base = path.resolve(ctx.configDir, data);
  const source = group === 'redis' ? path.join(base, service) : base;
  return { mount: { type: 'bind', source, target } };
}

/** The inverse of dataMount for a bind mount: the `services.<group>.data` value that puts a service's data at `source`. */
export function configuredData(group: ServiceKind, source: string): string {
  return group === 'redis' ? path.dirname(source) : source;
}

export function limits(ctx: StackContext, group: ServiceKind): { memoryBytes?: number; nanoCpus?: number } {
  const svc = ctx.config.services[group];
  return {
    ...(svc.memory ? { memoryBytes: parseSize(svc.memory) } : {}),
    ...(svc.cpus ? { nanoCpus: Math.round(svc.cpus * 1e9) } : {}),
  };
}

export function baseDef(
  ctx: StackContext,
  args: { name: string; kind: ContainerKind; group: ServiceKind; ip: string; port: number; hostPort: number },
): Pick<ServiceDef, 'name' | 'kind' | 'group' | 'internal' | 'hostPort'> & { labels: Record<string, string>; containerName: string } {
  return {
    name: args.name,
    kind: args.kind,
    group: args.group,
    internal: { ip: args.ip, port: args.port },
    hostPort: args.hostPort,
    labels: serviceLabels(ctx.project, args.name, args.kind, args.group, ctx.extraLabels),
    containerName: containerName(ctx.project, args.name),
  };
}

export const restartPolicy = (ctx: StackContext): 'unless-stopped' | 'always' => (ctx.config.profile === 'server' ? 'always' : 'unless-stopped');

/** Runs a readiness probe; when it fails, first checks that the container still runs (a crash loop ends the wait). */
export async function checkingContainer<T>(env: Pick<ReadyEnv, 'assertRunning'>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    await env.assertRunning(e);
    throw e;
  }
}

/** The service's own secrets directory, read-only at /run/secrets (see security/files.ts). */
export function secretsMount(ctx: StackContext, service: string): MountSpec {
  return { type: 'bind', source: serviceSecretsDir(ctx.stateDir, service), target: SECRETS_MOUNT, readOnly: true };
}
