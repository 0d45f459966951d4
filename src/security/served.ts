import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { ContainerKind } from '../services/types.js';

/**
 * The certificate a server presents in its TLS handshake: what its clients really get, read
 * without trusting it (nothing is sent after the handshake). Postgres first answers an
 * SSLRequest with 'S'; Redis and Sentinel speak TLS from the first byte.
 */
export async function servedCertificate(kind: ContainerKind, host: string, port: number, timeoutMs = 3000): Promise<X509Certificate> {
  const socket = kind === 'postgres' ? await postgresSslRequest(host, port, timeoutMs) : undefined;
  return new Promise((resolve, reject) => {
    const t = tls.connect({ ...(socket ? { socket } : { host, port }), rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) });
    const timer = setTimeout(() => fail(new Error(`no TLS handshake from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      t.destroy();
    };
    const fail = (e: Error): void => {
      done();
      reject(e);
    };
    t.once('secureConnect', () => {
      const raw = t.getPeerCertificate().raw;
      done();
      if (!raw) reject(new Error(`${host}:${port} presented no certificate`));
      else resolve(new X509Certificate(raw));
    });
    t.once('error', fail);
  });
}

/** Opens a connection and asks Postgres for TLS; resolves with the socket once it agreed ('S'). */
function postgresSslRequest(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const fail = (e: Error): void => {
      s.destroy();
      reject(e);
    };
    s.setTimeout(timeoutMs, () => fail(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    s.once('error', fail);
    s.once('connect', () => {
      const req = Buffer.alloc(8);
      req.writeInt32BE(8, 0);
      req.writeInt32BE(80877103, 4); // SSLRequest
      s.write(req);
    });
    s.once('data', (d: Buffer) => {
      s.setTimeout(0);
      s.removeListener('error', fail);
      if (d[0] === 0x53) resolve(s);
      else fail(new Error(`${host}:${port} does not offer TLS (answered '${String.fromCharCode(d[0] ?? 0)}' to the SSL request)`));
    });
  });
}
