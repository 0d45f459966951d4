import http from 'node:http';
import type Docker from 'dockerode';
import { dockerOptionsFromEnv, translateDockerError } from '../../runtime/docker.js';
import type { SwarmServiceSpec } from './spec.js';

/**
 * The small interface the Swarm target needs from a manager's Engine API. No dockerode types
 * leak out: unit tests pass a fake, the real one is DockerSwarmEngine below.
 */

export interface SwarmState {
  /** inactive, pending, active, error, locked */
  localNodeState: string;
  isManager: boolean;
  nodeId: string;
  nodeAddr: string;
  engineVersion: string;
}

export interface SwarmNodeInfo {
  id: string;
  hostname: string;
  addr: string;
  role: 'manager' | 'worker';
  leader: boolean;
  /** active, pause, drain */
  availability: string;
  /** ready, down, unknown, disconnected */
  state: string;
  labels: Record<string, string>;
  version: number;
}

export interface SwarmServiceInfo {
  id: string;
  name: string;
  version: number;
  labels: Record<string, string>;
  constraints: string[];
  createdAt: string;
  updatedAt: string;
}

export interface SwarmTaskInfo {
  id: string;
  serviceId: string;
  nodeId: string;
  slot: number;
  desiredState: string;
  state: string;
  message: string;
  error: string;
  containerId?: string;
  /** Ports published on the task's node (host mode). */
  ports: { target: number; published: number }[];
  updatedAt: string;
  /** The config hash of the service spec the task was made from. */
  hash?: string;
}

export interface SwarmObjectInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface SwarmEngine {
  /** Where the engine is, as the user named it (DOCKER_HOST or the default socket). */
  readonly endpoint: string;
  swarm(): Promise<SwarmState>;
  nodes(): Promise<SwarmNodeInfo[]>;
  setNodeLabels(id: string, version: number, labels: Record<string, string>): Promise<void>;
  services(labels: Record<string, string>): Promise<SwarmServiceInfo[]>;
  createService(spec: SwarmServiceSpec): Promise<string>;
  updateService(id: string, version: number, spec: SwarmServiceSpec): Promise<void>;
  removeService(id: string): Promise<void>;
  tasks(serviceIds: string[]): Promise<SwarmTaskInfo[]>;
  networks(labels: Record<string, string>): Promise<SwarmObjectInfo[]>;
  createNetwork(spec: { name: string; labels: Record<string, string>; subnet?: string }): Promise<string>;
  removeNetwork(id: string): Promise<void>;
  secrets(labels: Record<string, string>): Promise<SwarmObjectInfo[]>;
  createSecret(name: string, data: string, labels: Record<string, string>): Promise<string>;
  removeSecret(id: string): Promise<void>;
  configs(labels: Record<string, string>): Promise<SwarmObjectInfo[]>;
  createConfig(name: string, data: string, labels: Record<string, string>): Promise<string>;
  removeConfig(id: string): Promise<void>;
  /** Named volumes on the manager's own node (other nodes' volumes are not reachable through it). */
  localVolumes(labels: Record<string, string>): Promise<string[]>;
  removeLocalVolume(name: string): Promise<void>;
}

const filters = (labels: Record<string, string>): string => JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });

interface RawTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  UpdatedAt: string;
  Status: { State: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string }; PortStatus?: { Ports?: { TargetPort: number; PublishedPort: number }[] } };
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
}

export class DockerSwarmEngine implements SwarmEngine {
  readonly endpoint: string;
  private readonly docker: Promise<Docker>;

  constructor(env: NodeJS.ProcessEnv) {
    this.endpoint = env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock';
    const options = dockerOptionsFromEnv(env);
    this.docker = import('dockerode').then(({ default: D }) => new D({ ...options, agent: new http.Agent({ keepAlive: false }) } as Docker.DockerOptions));
  }

  private async call<T>(doing: string, fn: (d: Docker) => Promise<T>): Promise<T> {
    const d = await this.docker;
    try {
      return await fn(d);
    } catch (e) {
      throw translateDockerError(e, doing);
    }
  }

  async swarm(): Promise<SwarmState> {
    const info = await this.call('reading the engine info', (d) => d.info() as Promise<Record<string, any>>);
    const s = (info['Swarm'] ?? {}) as Record<string, any>;
    return {
      localNodeState: String(s['LocalNodeState'] ?? 'inactive'),
      isManager: Boolean(s['ControlAvailable']),
      nodeId: String(s['NodeID'] ?? ''),
      nodeAddr: String(s['NodeAddr'] ?? ''),
      engineVersion: String(info['ServerVersion'] ?? ''),
    };
  }

  async nodes(): Promise<SwarmNodeInfo[]> {
    const raw = await this.call('listing the swarm nodes', (d) => d.listNodes() as Promise<any[]>);
    return raw.map((n) => ({
      id: n.ID,
      hostname: n.Description?.Hostname ?? n.ID,
      addr: n.Status?.Addr ?? '',
      role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
      leader: Boolean(n.ManagerStatus?.Leader),
      availability: n.Spec?.Availability ?? 'active',
      state: n.Status?.State ?? 'unknown',
      labels: n.Spec?.Labels ?? {},
      version: n.Version?.Index ?? 0,
    }));
  }

  async setNodeLabels(id: string, version: number, labels: Record<string, string>): Promise<void> {
    await this.call(`labelling node ${id}`, async (d) => {
      const n = (await d.getNode(id).inspect()) as { Spec: Record<string, unknown> };
      await d.getNode(id).update({ _query: { version }, _body: { ...n.Spec, Labels: labels } } as never);
    });
  }

  async services(labels: Record<string, string>): Promise<SwarmServiceInfo[]> {
    const raw = await this.call('listing services', (d) => d.listServices({ filters: filters(labels) } as never) as unknown as Promise<any[]>);
    return raw.map((s) => ({
      id: s.ID,
      name: s.Spec?.Name ?? '',
      version: s.Version?.Index ?? 0,
      labels: s.Spec?.Labels ?? {},
      constraints: s.Spec?.TaskTemplate?.Placement?.Constraints ?? [],
      createdAt: s.CreatedAt ?? '',
      updatedAt: s.UpdatedAt ?? '',
    }));
  }

  async createService(spec: SwarmServiceSpec): Promise<string> {
    const r = await this.call(`creating service ${spec.Name}`, (d) => d.createService(spec as never) as Promise<{ ID?: string; id?: string }>);
    return r.ID ?? r.id ?? '';
  }

  async updateService(id: string, version: number, spec: SwarmServiceSpec): Promise<void> {
    await this.call(`updating service ${spec.Name}`, (d) => d.getService(id).update({ _query: { version }, _body: spec } as never));
  }

  async removeService(id: string): Promise<void> {
    await this.call(`removing service ${id}`, (d) => d.getService(id).remove());
  }

  async tasks(serviceIds: string[]): Promise<SwarmTaskInfo[]> {
    if (serviceIds.length === 0) return [];
    const raw = await this.call('listing tasks', (d) => d.listTasks({ filters: JSON.stringify({ service: serviceIds }) } as never) as unknown as Promise<RawTask[]>);
    return raw.map((t) => ({
      id: t.ID,
      serviceId: t.ServiceID,
      nodeId: t.NodeID ?? '',
      slot: t.Slot ?? 0,
      desiredState: t.DesiredState,
      state: t.Status.State,
      message: t.Status.Message ?? '',
      error: t.Status.Err ?? '',
      ...(t.Status.ContainerStatus?.ContainerID ? { containerId: t.Status.ContainerStatus.ContainerID } : {}),
      ports: (t.Status.PortStatus?.Ports ?? []).map((p) => ({ target: p.TargetPort, published: p.PublishedPort })),
      updatedAt: t.UpdatedAt,
      ...(t.Spec?.ContainerSpec?.Labels?.['baas.config-hash'] ? { hash: t.Spec.ContainerSpec.Labels['baas.config-hash'] } : {}),
    }));
  }

  async networks(labels: Record<string, string>): Promise<SwarmObjectInfo[]> {
    const raw = await this.call('listing networks', (d) => d.listNetworks({ filters: filters(labels) } as never) as unknown as Promise<any[]>);
    return raw.filter((n) => n.Scope === 'swarm').map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }

  async createNetwork(spec: { name: string; labels: Record<string, string>; subnet?: string }): Promise<string> {
    const r = await this.call(`creating network ${spec.name}`, (d) =>
      d.createNetwork({
        Name: spec.name,
        Driver: 'overlay',
        Attachable: true,
        CheckDuplicate: true,
        Labels: spec.labels,
        ...(spec.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet }] } } : {}),
      }),
    );
    return (r as unknown as { id: string }).id;
  }

  async removeNetwork(id: string): Promise<void> {
    await this.call(`removing network ${id}`, (d) => d.getNetwork(id).remove());
  }

  async secrets(labels: Record<string, string>): Promise<SwarmObjectInfo[]> {
    const raw = await this.call('listing secrets', (d) => d.listSecrets({ filters: filters(labels) } as never) as unknown as Promise<any[]>);
    return raw.map((s) => ({ id: s.ID, name: s.Spec?.Name ?? '', labels: s.Spec?.Labels ?? {} }));
  }

  async createSecret(name: string, data: string, labels: Record<string, string>): Promise<string> {
    const r = await this.call(`creating secret ${name}`, (d) => d.createSecret({ Name: name, Labels: labels, Data: Buffer.from(data).toString('base64') }) as Promise<unknown>);
    return (r as { id?: string; ID?: string }).id ?? (r as { ID?: string }).ID ?? '';
  }

  async removeSecret(id: string): Promise<void> {
    await this.call(`removing secret ${id}`, (d) => d.getSecret(id).remove());
  }

  async configs(labels: Record<string, string>): Promise<SwarmObjectInfo[]> {
    const raw = await this.call('listing configs', (d) => d.listConfigs({ filters: filters(labels) } as never) as unknown as Promise<any[]>);
    return raw.map((s) => ({ id: s.ID, name: s.Spec?.Name ?? '', labels: s.Spec?.Labels ?? {} }));
  }

  async createConfig(name: string, data: string, labels: Record<string, string>): Promise<string> {
    const r = await this.call(`creating config ${name}`, (d) => d.createConfig({ Name: name, Labels: labels, Data: Buffer.from(data).toString('base64') }) as Promise<unknown>);
    return (r as { id?: string; ID?: string }).id ?? (r as { ID?: string }).ID ?? '';
  }

  async removeConfig(id: string): Promise<void> {
    await this.call(`removing config ${id}`, (d) => d.getConfig(id).remove());
  }

  async localVolumes(labels: Record<string, string>): Promise<string[]> {
    const r = await this.call('listing volumes', (d) => d.listVolumes({ filters: filters(labels) } as never) as unknown as Promise<{ Volumes?: { Name: string }[] }>);
    return (r.Volumes ?? []).map((v) => v.Name);
  }

  async removeLocalVolume(name: string): Promise<void> {
    await this.call(`removing volume ${name}`, (d) => d.getVolume(name).remove());
  }
}

