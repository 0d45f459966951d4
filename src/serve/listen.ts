/** `--listen` parsing and the rule that only loopback may go without TLS. Pure. */
import net from 'node:net';
import { ExitCode, UserError } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

export function parseListen(text: string): ListenAddress {
  const t = text.trim();
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(t) ?? /^([^:]*):(\d+)$/.exec(t) ?? (/^\d+$/.test(t) ? [t, '127.0.0.1', t] : null);
  const bad = (): never => {
    throw new UserError(`--listen must be host:port, not '${text}'.`, { hint: 'For example --listen 127.0.0.1:7070, --listen [::1]:7070 or --listen 0.0.0.0:7070 (with TLS).' });
  };
  if (!m) return bad();
  const host = m[1] === '' ? '0.0.0.0' : m[1]!;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return bad();
  if (host !== 'localhost' && net.isIP(host) === 0) {
    throw new UserError(`--listen needs an IP address (or localhost), not '${host}'.`, { hint: 'Use 127.0.0.1 for this machine only, or the address of one interface.' });
  }
  return { host, port, loopback: isLoopback(host) };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  return /^::ffff:127\./i.test(host);
}

/** Anything but loopback carries the bearer token over the network: refuse it in clear text unless asked. */
export function checkExposure(addr: ListenAddress, tls: boolean, insecure: boolean): void {
  if (addr.loopback || tls || insecure) return;
  throw new UserError(`Refusing to listen on ${addr.host}:${addr.port} without TLS: the API token would cross the network in clear text.`, {
    exitCode: ExitCode.usage,
    hint: 'Set serve.tls.cert and serve.tls.key (or --tls-cert/--tls-key), put a TLS proxy in front and listen on 127.0.0.1, or pass --insecure on a network you trust.',
  });
}

export function urlOf(addr: { host: string; port: number }, tls: boolean): string {
  const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host === '0.0.0.0' ? '127.0.0.1' : addr.host === '::' ? '[::1]' : addr.host;
  return `${tls ? 'https' : 'http'}://${host}:${addr.port}`;
}
