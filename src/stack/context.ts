import net from 'node:net';
import type { LoadedConfig } from '../config/load.js';
import { ExitCode, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ContainerInfo, ContainerRuntime, NetworkInfo } from '../runtime/types.js';
import type { ServiceDef, StackContext } from '../services/types.js';
import { desiredServices, resolvePorts } from './desired.js';
import { LABEL, extraLabelsFromEnv, networkName } from '../model/labels.js';
import { pickSubnet } from './network.js';
import type { Secrets } from '../model/secrets.js';

export interface StackDeps {
  runtime: ContainerRuntime;
  logger: Logger;
  env: NodeJS.ProcessEnv;
}

export function bindAddressOf(loaded: LoadedConfig): string {
  return loaded.config.bindAddress ?? (loaded.config.profile === 'server' ? '0.0.0.0' : '127.0.0.1');
}

export async function projectNetwork(runtime: ContainerRuntime, project: string): Promise<NetworkInfo | undefined> {
  const nets = await runtime.listNetworks({ [LABEL.project]: project });
  return nets.find((n) => n.name === networkName(project)) ?? nets[0];
}

export async function projectContainers(runtime: ContainerRuntime, project: string): Promise<ContainerInfo[]> {
  return runtime.listContainers({ [LABEL.project]: project });
}

/** The subnet the project uses: the existing network's, the configured one, or a free derived one. */
export async function chooseSubnet(runtime: ContainerRuntime, loaded: LoadedConfig, existing: NetworkInfo | undefined): Promise<string> {
  const configured = loaded.config.network.subnet;
  if (existing?.subnets[0]) {
    if (configured !== 'auto' && existing.subnets[0] !== configured) {
      throw new UserError(`The network ${existing.name} uses ${existing.subnets[0]} but the configuration asks for ${configured}.`, {
        exitCode: ExitCode.conflict,
        hint: 'Containers keep fixed addresses in their network: run `baas down` (data is kept) and then `baas up` to move the stack to the new subnet.',
      });
    }
    return existing.subnets[0];
  }
  if (configured !== 'auto') return configured;
  const used = (await runtime.listNetworks()).flatMap((n) => n.subnets);
  const subnet = pickSubnet(loaded.config.project, used);
  if (!subnet) {
    throw new UserError('No free /24 subnet could be found for the project network.', {
      exitCode: ExitCode.conflict,
      hint: 'Set network.subnet in platform.config.yaml to an unused private /24, e.g. 10.250.1.0/24.',
    });
  }
  return subnet;
}

export function makeContext(loaded: LoadedConfig, subnet: string, secrets: Secrets, env: NodeJS.ProcessEnv): StackContext {
  const bindAddress = bindAddressOf(loaded);
  return {
    project: loaded.config.project,
    config: loaded.config,
    configDir: loaded.dir,
    subnet,
    network: networkName(loaded.config.project),
    bindAddress,
    probeHost: bindAddress === '0.0.0.0' ? '127.0.0.1' : bindAddress,
    secrets,
    extraLabels: extraLabelsFromEnv(env),
  };
}

/** A free TCP port on the bind address, for `port: auto`. */
export async function freePort(host: string, avoid: Set<number> = new Set()): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, host, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (!avoid.has(port)) return port;
  }
  throw new Error('could not find a free port');
}

/** Whether something already listens on host:port (used before publishing a port). */
export async function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE' || e.code === 'EACCES'));
    srv.listen(port, host, () => srv.close(() => resolve(false)));
  });
}

/** Desired services for status/health/env: ports come from the containers that exist, or the config. */
export async function describeStack(
  runtime: ContainerRuntime,
  loaded: LoadedConfig,
  secrets: Secrets,
  env: NodeJS.ProcessEnv,
): Promise<{ ctx: StackContext; defs: ServiceDef[]; actual: ContainerInfo[]; network: NetworkInfo | undefined }> {
  const project = loaded.config.project;
  const [network, actual] = await Promise.all([projectNetwork(runtime, project), projectContainers(runtime, project)]);
  const subnet = network?.subnets[0] ?? (loaded.config.network.subnet === 'auto' ? '10.255.255.0/24' : loaded.config.network.subnet);
  const ctx = makeContext(loaded, subnet, secrets, env);
  const ports = resolvePorts(loaded.config, actual, () => 0);
  return { ctx, defs: desiredServices(ctx, ports), actual, network };
}
