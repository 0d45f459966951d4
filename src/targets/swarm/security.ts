import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { LoadedConfig } from '../../config/load.js';
import { UserError, messageOf } from '../../errors.js';
import { listCertificates, type CertRow } from '../../security/certs.js';
import { measureExposure, type ExposureReport } from '../../security/exposure.js';
import { servedCertificate } from '../../security/served.js';
import { EXPIRY_WARNING_DAYS, summarize } from '../../security/tls.js';
import { generateSecrets, readSecrets } from '../../stack/secrets.js';
import { deployedView, swarmEndpoints, type SwarmEndpoint } from './published.js';
import type { SwarmDeps } from './stack.js';

/**
 * `baas certs show` and `baas doctor --exposure` on the swarm target. Swarm never gives a
 * secret's content back through its API, so what the services use is read where clients meet
 * it: the certificate each service presents in its TLS handshake, at its node's address and
 * published port. It is then compared with the local file it should have been deployed from.
 */

export interface SwarmCertRow extends Omit<CertRow, 'status'> {
  /** `unreachable`: no running task, or no TLS handshake; `untrusted`: not issued by the local CA clients verify with. */
  status: CertRow['status'] | 'unreachable' | 'untrusted';
  /** `local file` (the CA), or the node address and port that served the certificate. */
  source: string;
  /** The served certificate is byte for byte the local file (`file`). */
  sameAsLocal?: boolean;
  node?: string;
  detail?: string;
}

const EMPTY = { subject: '', issuer: '', dns: [], ips: [], notBefore: '', notAfter: '', daysLeft: 0, fingerprint256: '', serialNumber: '' };
const statusOf = (daysLeft: number): CertRow['status'] => (daysLeft < 0 ? 'expired' : daysLeft < EXPIRY_WARNING_DAYS ? 'expiring' : 'ok');

/** Pure: one service's row from what it served (or why nothing was read), next to its local file and the CA. */
export function servedRow(e: SwarmEndpoint, local: CertRow | undefined, served: X509Certificate | Error, ca: { cert: X509Certificate; file: string } | undefined, now = new Date()): SwarmCertRow {
  const file = local?.file ?? '';
  const where = e.host !== undefined ? `${e.host}:${e.port}` : '';
  const node = e.node ? { node: e.node } : {};
  if (served instanceof Error) return { name: e.def.name, file, ...EMPTY, status: 'unreachable', source: where, ...node, detail: served.message };
  const s = summarize(served.raw, now);
  const trusted = ca !== undefined && served.checkIssued(ca.cert) && served.verify(ca.cert.publicKey);
  return {
    name: e.def.name,
    file,
    ...s,
    status: trusted ? statusOf(s.daysLeft) : 'untrusted',
    source: where,
    ...node,
    sameAsLocal: local !== undefined && local.status !== 'missing' && local.fingerprint256 === s.fingerprint256,
    ...(trusted ? {} : { detail: ca ? `not issued by the CA in ${ca.file}: clients that verify with it are refused` : 'no local CA to verify it with' }),
  };
}

/** The local CA and, for each service, the certificate its task serves on the swarm. */
export async function swarmCertificates(deps: SwarmDeps, loaded: LoadedConfig, stateDir: string, now = new Date()): Promise<SwarmCertRow[]> {
  const view = await deployedView(deps, loaded, readSecrets(stateDir) ?? generateSecrets());
  if (!view.ctx.tls.enabled) throw new UserError('TLS is off for this stack.', { hint: 'Set `tls: true` in platform.config.yaml (it is the default in profile: server) and run `baas up --target swarm`.' });
  const local = listCertificates(view.ctx, view.defs, now);
  const caRow = local.find((r) => r.name === 'ca')!;
  const ca = existsSync(caRow.file) ? { cert: new X509Certificate(readFileSync(caRow.file)), file: caRow.file } : undefined;
  const localOf = (name: string): CertRow | undefined => local.find((r) => r.name === name) ?? local.find((r) => r.name === 'all services');
  const rows = await Promise.all(
    swarmEndpoints(view).map(async (e) => {
      const served = e.port === undefined ? new Error(e.missing ?? 'no address') : await servedCertificate(e.def.kind, e.host!, e.port).catch((err: unknown) => new Error(messageOf(err)));
      return servedRow(e, localOf(e.def.name), served, ca, now);
    }),
  );
  return [{ ...caRow, source: 'local file' }, ...rows];
}

/** The swarm stack's published ports, probed at their nodes' addresses (see exposure.ts). */
export async function swarmExposure(deps: SwarmDeps, loaded: LoadedConfig, stateDir: string): Promise<ExposureReport> {
  const view = await deployedView(deps, loaded, readSecrets(stateDir) ?? generateSecrets());
  const endpoints = swarmEndpoints(view);
  const published = endpoints.filter((e) => e.port !== undefined).map((e) => ({ service: e.def.name, kind: e.def.kind, address: e.host!, port: e.port! }));
  const report = await measureExposure(loaded.config, published, '127.0.0.1', view.ctx);
  const unchecked = endpoints.filter((e) => e.port === undefined).map((e) => `${e.def.name} (${e.missing})`);
  return unchecked.length > 0 ? { ...report, unchecked } : report;
}
