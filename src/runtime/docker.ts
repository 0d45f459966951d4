import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import http from 'node:http';
import { DockerUnavailableError, ExternalError, UserError, ExitCode, messageOf } from '../errors.js';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  EngineInfo,
  ExecResult,
  ImageInfo,
  NetworkInfo,
  NetworkSpec,
  OneOffSpec,
  VolumeInfo,
} from './types.js';

const labelFilter = (labels: Record<string, string>): string[] => Object.entries(labels).map(([k, v]) => `${k}=${v}`);

/** Translates what dockerode throws into errors that say what happened in the user's terms. */
export function translateDockerError(e: unknown, doing: string): Error {
  const err = e as { code?: string; statusCode?: number; json?: { message?: string }; message?: string; address?: string };
  const code = err?.code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ECONNRESET') {
    const where = err.address ?? process.env['DOCKER_HOST'] ?? '/var/run/docker.sock';
    const why = code === 'EACCES' ? 'permission was denied on' : code === 'ENOENT' ? 'there is no Docker socket at' : 'nothing answers at';
    return new DockerUnavailableError(`Docker is not reachable: ${why} ${where}.`, {
      ...(code === 'EACCES' ? { hint: 'Run baas as root, or add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again).' } : {}),
      cause: e,
    });
  }
  const message = err?.json?.message ?? messageOf(e);
  const port = /(?:Bind for [^ ]*:(\d+) failed: port is already allocated|listen tcp4? [^ ]*:(\d+): bind: address already in use)/.exec(message);
  if (port) {
    const p = port[1] ?? port[2];
    return new UserError(`Port ${p} is already in use, so Docker could not publish it while ${doing}.`, {
      exitCode: ExitCode.conflict,
      hint: `Stop whatever holds port ${p} (\`baas doctor\` shows it) or set a different port (or 'auto') in platform.config.yaml.`,
      cause: e,
    });
  }
  return new ExternalError(`Docker refused ${doing}: ${message.trim()}`, { cause: e });
}

function toState(s: string | undefined): ContainerState {
  const v = (s ?? 'exited').toLowerCase();
  return (['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'].includes(v) ? v : 'exited') as ContainerState;
}

/**
 * Plain HTTP has no TLS server name, but node's agent derives one for every request by calling
 * net.isIP('localhost'), whose first IPv6 check compiles a regular expression costing ~10 ms of
 * CPU at start-up. An empty `servername` (passed through to the agent) skips that.
 */
const NO_SERVER_NAME = { servername: '' } as http.RequestOptions;

export class DockerRuntime implements ContainerRuntime {
  private dockerClient: Promise<Docker> | undefined;
  private readonly options: Docker.DockerOptions;

  /**
   * dockerode (with its ssh and grpc dependencies) costs ~110 ms to load, so it is loaded only
   * for operations that need it; the read-only queries every command makes (version, lists,
   * image lookups) go straight to the Engine API over the socket.
   */
  constructor(docker?: Docker | { env?: NodeJS.ProcessEnv }) {
    if (docker && 'modem' in docker) {
      this.dockerClient = Promise.resolve(docker);
      this.options = {};
    } else {
      this.options = dockerOptionsFromEnv((docker as { env?: NodeJS.ProcessEnv } | undefined)?.env ?? process.env);
    }
  }

  private client(): Promise<Docker> {
    // Without keep-alive, like the direct reads: pooled idle sockets would hold the process open.
    this.dockerClient ??= import('dockerode').then(({ default: D }) => new D({ ...this.options, agent: new http.Agent({ keepAlive: false }) } as Docker.DockerOptions));
    return this.dockerClient;
  }

  /** A request on the Engine API over the socket; the whole body, whatever the status. */
  private request(method: 'GET' | 'POST', pathAndQuery: string, body?: unknown): Promise<{ status: number; body: Buffer }> {
    const o = this.options;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          method,
          path: pathAndQuery,
          ...(o.socketPath ? { socketPath: o.socketPath } : { host: o.host, port: Number(o.port ?? 2375) }),
          headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
          ...NO_SERVER_NAME,
          // No keep-alive: an idle pooled socket would keep the process alive for seconds after the command is done.
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 500, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => reject(Object.assign(e, { address: (e as { address?: string }).address ?? o.socketPath })));
      req.end(payload);
    });
  }

  /** JSON from the Engine API; undefined on 404; a status of 400 and above throws with Docker's message. */
  private async json<T>(method: 'GET' | 'POST', pathAndQuery: string, body?: unknown): Promise<T | undefined> {
    const r = await this.request(method, pathAndQuery, body);
    const text = r.body.toString('utf8');
    if (r.status === 404 && method === 'GET') return undefined;
    if (r.status >= 400) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        /* not JSON */
      }
      throw Object.assign(new Error(message), { statusCode: r.status, json: { message } });
    }
    return text ? (JSON.parse(text) as T) : (undefined as T);
  }

  /** GET on the Engine API; resolves undefined on 404. */
  private get<T>(pathAndQuery: string): Promise<T | undefined> {
    return this.json<T>('GET', pathAndQuery);
  }

  private static filters(labels: Record<string, string>): string {
    return encodeURIComponent(JSON.stringify({ label: labelFilter(labels) }));
  }

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw translateDockerError(e, doing);
    }
  }

  async ping(): Promise<EngineInfo> {
    return this.call('a version query', async () => {
      const [v, info] = await Promise.all([
        this.get<{ Version: string; ApiVersion: string; Os: string; Arch: string }>('/version'),
        this.get<{ DockerRootDir?: string; NCPU?: number; MemTotal?: number }>('/info'),
      ]);
      return {
        version: v?.Version ?? '?',
        apiVersion: v?.ApiVersion ?? '?',
        os: `${v?.Os}/${v?.Arch}`,
        rootDir: info?.DockerRootDir ?? '',
        ...(info?.NCPU ? { cpus: info.NCPU } : {}),
        ...(info?.MemTotal ? { memoryBytes: info.MemTotal } : {}),
      };
    });
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    return this.call('listing containers', async () => {
      const list = (await this.get<Docker.ContainerInfo[]>(`/containers/json?all=1&filters=${DockerRuntime.filters(labels)}`)) ?? [];
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        image: c.Image,
        ...(c.ImageID ? { imageId: c.ImageID } : {}),
        state: toState(c.State),
        status: c.Status,
        labels: c.Labels ?? {},
        ports: (c.Ports ?? [])
          .filter((p) => p.PublicPort)
          .map((p) => ({ container: p.PrivatePort, host: p.PublicPort, hostIp: p.IP ?? '' })),
        mounts: (c.Mounts ?? []).map((m) => ({ type: m.Type, ...(m.Name ? { name: m.Name } : {}), source: m.Source, target: m.Destination })),
      }));
    });
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    return this.call(`creating container ${spec.name}`, async () => {
      const docker = await this.client();
      const exposed: Record<string, object> = {};
      const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
      for (const p of spec.ports) {
        exposed[`${p.container}/tcp`] = {};
        bindings[`${p.container}/tcp`] = [{ HostIp: p.hostIp, HostPort: String(p.host) }];
      }
      const c = await docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.cmd,
        Entrypoint: [],
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        Hostname: spec.hostname,
        ExposedPorts: exposed,
        ...(spec.user ? { User: spec.user } : {}),
        ...(spec.stopTimeoutSeconds ? { StopTimeout: spec.stopTimeoutSeconds } : {}),
        HostConfig: {
          PortBindings: bindings,
          Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ...(m.readOnly ? { ReadOnly: true } : {}) })),
          RestartPolicy: { Name: spec.restartPolicy },
          ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
          ...(spec.nanoCpus ? { NanoCpus: spec.nanoCpus } : {}),
          Init: true,
          ...(spec.ipv4 ? {} : { NetworkMode: spec.network }),
        },
        // Without a fixed address (one-off tool containers on Docker's default bridge): no IPAM, no aliases.
        NetworkingConfig: {
          EndpointsConfig: {
            [spec.network]: spec.ipv4 ? { IPAMConfig: { IPv4Address: spec.ipv4 }, Aliases: [spec.hostname] } : {},
          },
        },
      });
      return c.id;
    });
  }

  async startContainer(id: string): Promise<void> {
    await this.call('starting a container', async () => {
      const docker = await this.client();
      try {
        await docker.getContainer(id).start();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 304) return; // already running
        throw e;
      }
    });
  }

  async stopContainer(id: string, timeoutSeconds = 10): Promise<void> {
    await this.call('stopping a container', async () => {
      const docker = await this.client();
      try {
        await docker.getContainer(id).stop({ t: timeoutSeconds });
      } catch (e) {
        const s = (e as { statusCode?: number }).statusCode;
        if (s === 304 || s === 404) return;
        throw e;
      }
    });
  }

  async killContainer(id: string): Promise<void> {
    await this.call('killing a container', async () => {
      const docker = await this.client();
      await docker.getContainer(id).kill();
    });
  }

  async pauseContainer(id: string): Promise<void> {
    await this.call('pausing a container', async () => {
      const docker = await this.client();
      await docker.getContainer(id).pause();
    });
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.call('unpausing a container', async () => {
      const docker = await this.client();
      await docker.getContainer(id).unpause();
    });
  }

  async removeContainer(id: string): Promise<void> {
    await this.call('removing a container', async () => {
      const docker = await this.client();
      try {
        await docker.getContainer(id).remove({ force: true, v: false });
      } catch (e) {
        const s = (e as { statusCode?: number }).statusCode;
        if (s === 404) return;
        // 409: removal already in progress; treat as done.
        if (s === 409 && /already in progress/.test(messageOf(e))) return;
        throw e;
      }
    });
  }

  async listNetworks(labels?: Record<string, string>): Promise<NetworkInfo[]> {
    return this.call('listing networks', async () => {
      const list = (await this.get<Docker.NetworkInspectInfo[]>(`/networks${labels ? `?filters=${DockerRuntime.filters(labels)}` : ''}`)) ?? [];
      return list.map((n) => ({
        id: n.Id,
        name: n.Name,
        labels: n.Labels ?? {},
        subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter(Boolean),
      }));
    });
  }

  async createNetwork(spec: NetworkSpec): Promise<void> {
    await this.call(`creating network ${spec.name}`, async () => {
      const docker = await this.client();
      await docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: spec.labels,
        IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
      });
    });
  }

  async removeNetwork(name: string): Promise<void> {
    await this.call(`removing network ${name}`, async () => {
      const docker = await this.client();
      try {
        await docker.getNetwork(name).remove();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return;
        throw e;
      }
    });
  }

  async listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    return this.call('listing volumes', async () => {
      const res = (await this.get<{ Volumes?: Docker.VolumeInspectInfo[] }>(`/volumes?filters=${DockerRuntime.filters(labels)}`)) ?? {};
      return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
    });
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.call(`creating volume ${name}`, async () => {
      const docker = await this.client();
      await docker.createVolume({ Name: name, Labels: labels });
    });
  }

  async removeVolume(name: string): Promise<void> {
    await this.call(`removing volume ${name}`, async () => {
      const docker = await this.client();
      try {
        await docker.getVolume(name).remove();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return;
        throw e;
      }
    });
  }

  async imageExists(ref: string): Promise<boolean> {
    return this.call(`looking up image ${ref}`, async () => {
      return (await this.get<object>(`/images/${encodeURIComponent(ref)}/json`)) !== undefined;
    });
  }

  async pullImage(ref: string, onProgress?: (status: string) => void): Promise<void> {
    await this.call(`pulling image ${ref}`, async () => {
      const docker = await this.client();
      const stream = await docker.pull(ref);
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (ev: { status?: string; error?: string }) => {
            if (ev.error) reject(new Error(ev.error));
            else if (ev.status && onProgress) onProgress(ev.status);
          },
        );
      });
    });
  }

  async importImage(tar: Readable, ref: string, changes: string[]): Promise<void> {
    const [repo, tag] = splitRef(ref);
    await this.call(`importing image ${ref}`, async () => {
      const docker = await this.client();
      const stream = await docker.importImage(tar, { repo, tag, changes } as unknown as object);
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(stream as Readable, (err: Error | null) => (err ? reject(err) : resolve()));
      });
    });
  }

  async tagImage(ref: string, newRef: string): Promise<void> {
    const [repo, tag] = splitRef(newRef);
    await this.call(`tagging image ${ref} as ${newRef}`, async () => {
      const docker = await this.client();
      await docker.getImage(ref).tag({ repo, tag });
    });
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    return this.call(`inspecting image ${ref}`, async () => {
      // A read: straight to the Engine API, so `up` can compare image ids without loading dockerode.
      const i = await this.get<{ Id: string; Size: number; Created: string }>(`/images/${encodeURIComponent(ref)}/json`);
      return i ? { id: i.Id, sizeBytes: i.Size, created: i.Created } : undefined;
    });
  }

  async logs(id: string, options: { tail?: number; follow?: boolean; since?: number }): Promise<Readable> {
    return this.call('reading logs', async () => {
      const docker = await this.client();
      const container = docker.getContainer(id);
      const out = new PassThrough();
      const base = { stdout: true, stderr: true, tail: options.tail ?? 200, ...(options.since ? { since: options.since } : {}) };
      if (options.follow) {
        const stream = await container.logs({ ...base, follow: true });
        docker.modem.demuxStream(stream, out, out);
        stream.on('end', () => out.end());
        stream.on('error', (e: Error) => out.destroy(e));
        out.on('close', () => (stream as unknown as { destroy?: () => void }).destroy?.());
      } else {
        const buf = (await container.logs({ ...base, follow: false })) as unknown as Buffer;
        out.end(demuxBuffer(buf));
      }
      return out;
    });
  }

  async getArchive(id: string, path: string): Promise<Readable> {
    return this.call(`copying ${path} out of a container`, async () => {
      const docker = await this.client();
      return (await docker.getContainer(id).getArchive({ path })) as unknown as Readable;
    });
  }

  async putArchive(id: string, dir: string, tar: Readable): Promise<void> {
    await this.call(`copying files into ${dir} of a container`, async () => {
      const docker = await this.client();
      await docker.getContainer(id).putArchive(tar, { path: dir });
    });
  }

  /**
   * Straight on the Engine API, without dockerode (whose loading costs ~1 s on a busy machine):
   * create the exec, start it attached (the daemon streams the multiplexed output as the body
   * and closes the connection at the end), then read its exit code.
   */
  async exec(id: string, cmd: string[], options: { user?: string; env?: Record<string, string> } = {}): Promise<ExecResult> {
    return this.call(`running ${cmd[0]} in a container`, async () => {
      const created = await this.json<{ Id: string }>('POST', `/containers/${encodeURIComponent(id)}/exec`, {
        Cmd: cmd,
        AttachStdout: true,
        AttachStderr: true,
        ...(options.user ? { User: options.user } : {}),
        ...(options.env ? { Env: Object.entries(options.env).map(([k, v]) => `${k}=${v}`) } : {}),
      });
      if (!created?.Id) throw Object.assign(new Error(`no such container: ${id}`), { statusCode: 404 });
      const started = await this.request('POST', `/exec/${created.Id}/start`, { Detach: false, Tty: false });
      if (started.status >= 400) throw Object.assign(new Error(started.body.toString('utf8')), { statusCode: started.status });
      const { stdout, stderr } = demuxStreams(started.body);
      const info = await this.get<{ ExitCode: number | null }>(`/exec/${created.Id}/json`);
      return { exitCode: info?.ExitCode ?? 0, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') };
    });
  }

  async runOnce(spec: OneOffSpec): Promise<ExecResult> {
    return this.call(`running ${spec.cmd[0]} in a helper container`, async () => {
      const docker = await this.client();
      const c = await docker.createContainer({
        Image: spec.image,
        Cmd: spec.cmd,
        Entrypoint: [],
        User: '0',
        Labels: spec.labels,
        HostConfig: { Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target })), NetworkMode: 'none' },
      });
      try {
        await c.start();
        const res = (await c.wait()) as { StatusCode?: number };
        const [out, err] = await Promise.all([
          c.logs({ stdout: true, stderr: false, follow: false }) as unknown as Promise<Buffer>,
          c.logs({ stdout: false, stderr: true, follow: false }) as unknown as Promise<Buffer>,
        ]);
        return { exitCode: res.StatusCode ?? 1, stdout: demuxBuffer(out).toString('utf8'), stderr: demuxBuffer(err).toString('utf8') };
      } finally {
        await c.remove({ force: true }).catch(() => {});
      }
    });
  }
}

/** DOCKER_HOST as the docker CLI reads it: unix:///path or tcp://host:port. */
export function dockerOptionsFromEnv(env: NodeJS.ProcessEnv): Docker.DockerOptions {
  const host = env['DOCKER_HOST'];
  if (!host) return { socketPath: '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?/.exec(host);
  if (m) return { host: m[1]!, port: Number(m[2] ?? 2375), protocol: 'http' };
  return { socketPath: host };
}

export function splitRef(ref: string): [string, string] {
  const at = ref.lastIndexOf(':');
  if (at > ref.lastIndexOf('/')) return [ref.slice(0, at), ref.slice(at + 1)];
  return [ref, 'latest'];
}

/** Docker's multiplexed output (8-byte frame headers: stream 1 stdout, 2 stderr) split by stream. */
export function demuxStreams(buf: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    (buf[i] === 2 ? err : out).push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** Docker multiplexes stdout/stderr in 8-byte-header frames when the container has no TTY. */
export function demuxBuffer(buf: Buffer): Buffer {
  if (buf.length < 8 || buf[0]! > 2 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) return buf;
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(parts);
}
