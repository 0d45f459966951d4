import type { Readable } from 'node:stream';

/**
 * The small interface baas needs from a container engine. The dockerode implementation lives
 * in docker.ts; unit tests pass a fake. Everything is found by label: there is no state file.
 */

export interface PortBinding {
  container: number;
  host: number;
  hostIp: string;
}

export interface MountSpec {
  type: 'volume' | 'bind';
  source: string;
  target: string;
  readOnly?: boolean;
}

export interface ContainerSpec {
  name: string;
  image: string;
  cmd: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  network: string;
  /** A fixed address in `network`; empty for none (one-off containers on Docker's default `bridge`). */
  ipv4: string;
  hostname: string;
  ports: PortBinding[];
  mounts: MountSpec[];
  memoryBytes?: number;
  nanoCpus?: number;
  restartPolicy: 'no' | 'unless-stopped' | 'always';
  stopTimeoutSeconds?: number;
  user?: string;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface MountInfo {
  type: string;
  /** The volume's name (volumes only). */
  name?: string;
  /** Where the data is on the Docker host. */
  source: string;
  target: string;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  /** The id of the image the container was created from (Docker's ImageID), whatever its tag points at now. */
  imageId?: string;
  state: ContainerState;
  status: string;
  labels: Record<string, string>;
  ports: PortBinding[];
  /** Mounts as Docker lists them (not filled by every runtime). */
  mounts?: MountInfo[];
}

/** A short-lived container that runs one command to completion (no network), then is removed. */
export interface OneOffSpec {
  image: string;
  cmd: string[];
  mounts: MountSpec[];
  labels: Record<string, string>;
}

export interface NetworkSpec {
  name: string;
  subnet: string;
  gateway: string;
  labels: Record<string, string>;
}

export interface NetworkInfo {
  id: string;
  name: string;
  subnets: string[];
  labels: Record<string, string>;
}

export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ImageInfo {
  id: string;
  sizeBytes: number;
  created: string;
}

export interface EngineInfo {
  version: string;
  apiVersion: string;
  os: string;
  rootDir: string;
  /** CPUs and memory the engine can give containers (absent when the engine does not say). */
  cpus?: number;
  memoryBytes?: number;
}

export interface ContainerRuntime {
  ping(): Promise<EngineInfo>;
  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]>;
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  killContainer(id: string): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listNetworks(labels?: Record<string, string>): Promise<NetworkInfo[]>;
  createNetwork(spec: NetworkSpec): Promise<void>;
  removeNetwork(name: string): Promise<void>;
  listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]>;
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  removeVolume(name: string): Promise<void>;
  imageExists(ref: string): Promise<boolean>;
  pullImage(ref: string, onProgress?: (status: string) => void): Promise<void>;
  importImage(tar: Readable, ref: string, changes: string[]): Promise<void>;
  /** Gives the image `ref` a second name `newRef` (no copy). */
  tagImage(ref: string, newRef: string): Promise<void>;
  /** A local image's id, size and creation time; undefined when it is not present. */
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  logs(id: string, options: { tail?: number; follow?: boolean; since?: number }): Promise<Readable>;
  exec(id: string, cmd: string[], options?: { user?: string; env?: Record<string, string> }): Promise<ExecResult>;
  /** Runs `spec` to completion as root without a network and removes the container; resolves with its exit code and output. */
  runOnce(spec: OneOffSpec): Promise<ExecResult>;
  /** A tar stream of a file or directory in a container (`docker cp` out); works on stopped containers too. */
  getArchive(id: string, path: string): Promise<Readable>;
  /** Unpacks a tar stream into a directory of a container (`docker cp` in). */
  putArchive(id: string, dir: string, tar: Readable): Promise<void>;
}
