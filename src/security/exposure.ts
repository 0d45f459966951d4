import net from 'node:net';
import type { Config } from '../config/schema.js';
import type { ContainerKind, StackContext } from '../services/types.js';

/**
 * `baas doctor --exposure`: every published port with its address, protocol, whether it
 * speaks TLS, and who may log in from where. "Plaintext" is measured, not assumed: baas sends
 * each port a plaintext greeting (Redis PING, a Postgres start-up message without SSL) and
 * looks at the answer.
 */

export interface ExposedPort {
  service: string;
  kind: ContainerKind;
  address: string;
  port: number;
  protocol: string;
  /** TLS as configured. */
  tls: boolean;
  /** What a plaintext client got: 'refused' (closed, or rejected for lack of encryption), 'accepted', or 'unknown'. */
  plaintext: 'refused' | 'accepted' | 'unknown';
  /** Reachable from other machines (not a loopback address). */
  network: boolean;
  logins: string[];
}

export interface ExposureReport {
  profile: Config['profile'];
  ports: ExposedPort[];
  /** Problems that make the exit code non-zero (server profile only). */
  problems: string[];
  /** Services that could not be checked, with why (a swarm task that is not running). */
  unchecked?: string[];
}

const PROTOCOL: Record<ContainerKind, string> = { postgres: 'postgresql', redis: 'redis (RESP)', sentinel: 'redis sentinel (RESP)', mongo: 'mongodb' };

/** How a target lets clients in, where it differs from one host (the cluster targets: see clusterContext). */
export type LoginAccess = Pick<StackContext, 'superuserFrom'>;

/** Who may log in where, as configured (pure; mirrors pgHba and the ACL files, the same on every target). */
export function loginsFor(kind: ContainerKind, config: Config, access: LoginAccess = {}): string[] {
  const server = config.profile === 'server';
  const tls = config.tls.enabled;
  const via = tls ? 'over TLS' : 'in plaintext';
  const superuserFrom = access.superuserFrom ? access.superuserFrom.join(', ') : 'this host only (Docker gateway)';
  switch (kind) {
    case 'postgres':
      return server
        ? [`postgres (superuser): ${superuserFrom}, ${via}`, `${config.services.postgres.user}, baas_monitor: any address, password, ${via}${tls ? '; plaintext rejected' : ''}`]
        : [`every role: any address that reaches the port, password, ${via}`];
    case 'redis':
      return [
        `${server ? '' : 'default (admin password), '}admin, app (no admin/dangerous commands), monitor (read-only), replication, sentinel: password, ${via}`,
        ...(server ? ['default user disabled'] : []),
      ];
    case 'sentinel':
      return [`${server ? '' : 'default (admin password), '}admin, sentinel, app (master discovery only), monitor: password, ${via}`];
    case 'mongo':
      return [`root: any address, password, ${via}`];
  }
}

export const isLoopback = (address: string): boolean => address === 'localhost' || address.startsWith('127.') || address === '::1';

/** Problems with the exposure of a server-profile stack (pure). */
export function exposureProblems(profile: Config['profile'], ports: ExposedPort[]): string[] {
  if (profile !== 'server') return [];
  const out: string[] = [];
  for (const p of ports) {
    if (p.plaintext === 'accepted') out.push(`${p.service} answers plaintext on ${p.address}:${p.port}`);
    else if (!p.tls) out.push(`${p.service} on ${p.address}:${p.port} is not configured for TLS`);
  }
  return out;
}

function probe(host: string, port: number, hello: Buffer, judge: (reply: Buffer) => 'refused' | 'accepted' | undefined, timeoutMs = 1500): Promise<'refused' | 'accepted' | 'unknown'> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (v: 'refused' | 'accepted' | 'unknown'): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(v);
    };
    const socket = net.connect({ host, port }, () => socket.write(hello));
    socket.setTimeout(timeoutMs, () => finish(buf.length === 0 ? 'refused' : 'unknown'));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const v = judge(buf);
      if (v) finish(v);
    });
    // A TLS-only server closes (or resets) a connection that does not start with a handshake.
    socket.on('end', () => finish(judge(buf) ?? 'refused'));
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? 'unknown' : 'refused'));
  });
}

/** Does a Redis/Sentinel port answer RESP without TLS? */
export function probeRedisPlaintext(host: string, port: number): Promise<'refused' | 'accepted' | 'unknown'> {
  // Any RESP reply (+PONG, -NOAUTH ...) means the plaintext protocol is served.
  return probe(host, port, Buffer.from('PING\r\n'), (b) => (b.length === 0 ? undefined : /^[+\-:$*]/.test(b.toString('latin1')) ? 'accepted' : 'refused'));
}

/** Does Postgres accept a start-up without TLS? An authentication request means yes; "no encryption" means no. */
export function probePostgresPlaintext(host: string, port: number, user = 'app', database = 'app'): Promise<'refused' | 'accepted' | 'unknown'> {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
  const msg = Buffer.alloc(8 + params.length);
  msg.writeInt32BE(8 + params.length, 0);
  msg.writeInt32BE(196608, 4); // protocol 3.0
  params.copy(msg, 8);
  return probe(host, port, msg, (b) => {
    if (b.length < 1) return undefined;
    const type = String.fromCharCode(b[0]!);
    if (type === 'R') return 'accepted';
    if (type === 'E') return /no encryption|SSL off/i.test(b.toString('latin1')) ? 'refused' : 'accepted';
    return undefined;
  });
}

export interface PublishedPort {
  service: string;
  kind: ContainerKind;
  address: string;
  port: number;
}

/** Probes every published port (on `probeHost` when it is bound to every interface). */
export async function measureExposure(config: Config, published: PublishedPort[], probeHost: string, access: LoginAccess = {}): Promise<ExposureReport> {
  const ports = await Promise.all(
    published.map(async (p): Promise<ExposedPort> => {
      const host = p.address === '0.0.0.0' || p.address === '' ? probeHost : p.address;
      const plaintext =
        p.kind === 'postgres'
          ? await probePostgresPlaintext(host, p.port, config.services.postgres.user, config.services.postgres.database)
          : p.kind === 'mongo'
            ? 'unknown'
            : await probeRedisPlaintext(host, p.port);
      return {
        ...p,
        address: p.address || '0.0.0.0',
        protocol: PROTOCOL[p.kind],
        tls: config.tls.enabled,
        plaintext,
        network: !isLoopback(p.address),
        logins: loginsFor(p.kind, config, access),
      };
    }),
  );
  return { profile: config.profile, ports, problems: exposureProblems(config.profile, ports) };
}
