import type { LoadedConfig } from '../config/load.js';
import { isBaasError, messageOf } from '../errors.js';
import type { ServiceDef, StackContext } from '../services/types.js';
import { bindAddressOf } from '../stack/context.js';
import { expiryWarnings, listCertificates } from './certs.js';
import { clientNames, SWARM_CERT_DIR } from './service-files.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { byoFiles, EXPIRY_WARNING_DAYS, summarize, tlsDir, validateByo } from './tls.js';

/** Certificates that expire within 30 days (or have), for `baas health`; never throws. */
export function tlsWarnings(ctx: StackContext, defs: ServiceDef[]): string[] {
  if (!ctx.tls.enabled) return [];
  try {
    return expiryWarnings(listCertificates(ctx, defs).filter((r) => r.status !== 'missing'));
  } catch (e) {
    return [`the TLS certificates could not be read: ${messageOf(e)}`];
  }
}

/** The doctor's TLS check: your own files valid, no certificate expiring within 30 days. */
export function tlsCheck(loaded: LoadedConfig): { name: string; status: 'ok' | 'warn' | 'fail'; detail: string; hint?: string } | undefined {
  if (!loaded.config.tls.enabled) {
    return loaded.config.profile === 'server'
      ? { name: 'tls', status: 'fail', detail: 'TLS is off in the server profile: every link is plaintext', hint: 'Remove `tls: false` (TLS is the server-profile default).' }
      : undefined;
  }
  const bind = bindAddressOf(loaded);
  const byo = byoFiles(loaded.config.tls, loaded.dir);
  try {
    if (byo) validateByo(byo, clientNames({ bindAddress: bind, probeHost: bind === '0.0.0.0' ? '127.0.0.1' : bind, config: loaded.config }));
  } catch (e) {
    return { name: 'tls', status: 'fail', detail: messageOf(e), ...(isBaasError(e) && e.hint ? { hint: e.hint } : {}) };
  }
  const top = tlsDir(path.join(loaded.dir, '.baas'));
  // One host's certificates and the CA, and the swarm's in their own directory.
  const crts = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.crt')).map((f) => path.join(dir, f)) : []);
  const files = byo ? [byo.certFile, byo.caFile] : [...crts(top), ...crts(path.join(top, SWARM_CERT_DIR))];
  const soon = files.flatMap((f) => {
    const s = summarize(readFileSync(f));
    return s.daysLeft < EXPIRY_WARNING_DAYS ? [`${f} ${s.daysLeft < 0 ? 'expired' : `expires in ${s.daysLeft} days`}`] : [];
  });
  if (soon.length > 0) return { name: 'tls', status: 'warn', detail: soon.join('; '), hint: 'Run `baas certs rotate` (or `baas up`, which renews its own certificates within 30 days of expiry).' };
  return { name: 'tls', status: 'ok', detail: byo ? `your own certificate ${byo.certFile} is valid and covers the stack's addresses` : 'baas keeps its own CA under .baas/tls/ (renewed by `baas up` within 30 days of expiry)' };
}
