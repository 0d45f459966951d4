import net from 'node:net';
import type { ServiceDef, StackContext } from '../services/types.js';
import { serviceSecretsDir, writeSecretFiles } from './files.js';
import { byoFiles, certState, copyCert, ensureCa, issueCert, materialFor, namesFor, NO_CERTIFICATE, runOpenSsl, serviceCertPath, validateByo, type OpenSsl, type SubjectNames } from './tls.js';

/** The names every certificate must cover for clients: the host baas itself dials, the bind address and tls.hosts. */
export function clientNames(ctx: Pick<StackContext, 'bindAddress' | 'probeHost' | 'config' | 'clusterHosts'>): SubjectNames {
  const ips = new Set([ctx.probeHost, ...(ctx.bindAddress === '0.0.0.0' ? [] : [ctx.bindAddress])]);
  const dns = new Set<string>();
  for (const h of [...ctx.config.tls.hosts, ...(ctx.clusterHosts ?? [])]) (net.isIP(h) ? ips : dns).add(h);
  return { dns: [...dns], ips: [...ips] };
}

/** The swarm target's directory under .baas/tls (see StackContext.tls.certDir). */
export const SWARM_CERT_DIR = 'swarm';

/** A service's certificate name under .baas/tls: `redis-1` on one host, `swarm/redis-1` on the swarm. */
export const certName = (ctx: Pick<StackContext, 'tls'>, service: string): string => (ctx.tls.certDir ? `${ctx.tls.certDir}/${service}` : service);

export const certNames = (ctx: StackContext, def: ServiceDef): SubjectNames =>
  namesFor({ service: def.name, containerName: def.spec.name, ip: def.internal.ip, bindAddress: ctx.bindAddress, hosts: [...ctx.config.tls.hosts, ...(ctx.clusterHosts ?? [])] });

/**
 * Checks the user's own TLS files (when configured) before anything changes: exit 3 naming
 * the file and the problem. Pure file reads, no Docker.
 */
export function checkTlsInputs(ctx: StackContext): void {
  if (!ctx.tls.enabled) return;
  const byo = byoFiles(ctx.config.tls, ctx.configDir);
  if (byo) validateByo(byo, clientNames(ctx));
}

export interface PreparedFiles {
  /** Certificates issued now, with why. */
  issued: { service: string; reason: string }[];
  /** Certificates found where an older baas kept them (.baas/tls/<service>.crt), still fitting, copied to the target's directory. */
  adopted: { service: string; from: string; to: string }[];
  /** Services whose files changed on disk. */
  changed: string[];
}

/**
 * Makes sure the CA and each service's certificate exist and fit (issuing what is missing,
 * names no longer covered, or expiring within 30 days; `force` reissues all), then writes each
 * service's secret files under .baas/secrets/<service>/ for its read-only /run/secrets mount.
 */
export async function prepareServiceFiles(ctx: StackContext, defs: ServiceDef[], options: { openssl?: OpenSsl; force?: boolean; now?: Date } = {}): Promise<PreparedFiles> {
  const { issued, adopted } = await ensureCertificates(ctx, defs, options);
  const changed: string[] = [];
  for (const def of defs) {
    if (writeSecretFiles(serviceSecretsDir(ctx.stateDir, def.name), serviceFiles(ctx, def))) changed.push(def.name);
  }
  return { issued, adopted, changed };
}

/**
 * The CA and each service's certificate, issued when missing, no longer covering the service's
 * names, or expiring within 30 days (`force`: all). Without TLS, or with the user's own files,
 * nothing is issued. The one place certificates are made, for every target.
 */
export async function ensureCertificates(ctx: StackContext, defs: ServiceDef[], options: { openssl?: OpenSsl; force?: boolean; now?: Date } = {}): Promise<Pick<PreparedFiles, 'issued' | 'adopted'>> {
  return ensureNamedCertificates(
    ctx,
    defs.map((def) => ({ name: certName(ctx, def.name), names: certNames(ctx, def), service: def.name, ...(ctx.tls.certDir ? { formerly: def.name } : {}) })),
    options,
  );
}

/**
 * The same, for certificates that are not one container's (a Kubernetes StatefulSet's, shared by
 * its pods). `formerly`: where an older baas kept the certificate; when the new place is empty and
 * that one still fits (this CA, these names, not expiring), it is copied instead of reissued, so
 * what the services get stays byte for byte the same.
 */
export async function ensureNamedCertificates(
  ctx: StackContext,
  certs: { name: string; names: SubjectNames; service?: string; formerly?: string }[],
  options: { openssl?: OpenSsl; force?: boolean; now?: Date } = {},
): Promise<Pick<PreparedFiles, 'issued' | 'adopted'>> {
  const openssl = options.openssl ?? runOpenSsl;
  const issued: PreparedFiles['issued'] = [];
  const adopted: PreparedFiles['adopted'] = [];
  const byo = ctx.tls.enabled ? byoFiles(ctx.config.tls, ctx.configDir) : undefined;
  if (ctx.tls.enabled && !byo) {
    if (await ensureCa(ctx.stateDir, ctx.project, ctx.config.tls.days, openssl)) issued.push({ service: 'ca', reason: 'new CA' });
    for (const c of certs) {
      const service = c.service ?? c.name;
      const state = options.force ? { ok: false as const, reason: 'rotation asked for' } : certState(ctx.stateDir, c.name, c.names, options.now);
      if (state.ok) continue;
      if (!options.force && c.formerly && state.reason === NO_CERTIFICATE && certState(ctx.stateDir, c.formerly, c.names, options.now).ok) {
        copyCert(ctx.stateDir, c.formerly, c.name);
        adopted.push({ service, from: serviceCertPath(ctx.stateDir, c.formerly), to: serviceCertPath(ctx.stateDir, c.name) });
        continue;
      }
      await issueCert(ctx.stateDir, c.name, c.names, ctx.config.tls.days, openssl);
      issued.push({ service, reason: state.reason });
    }
  }
  return { issued, adopted };
}

/** Every file a service's container reads from /run/secrets: its own secret files, and with TLS the CA, its certificate and key. */
export function serviceFiles(ctx: StackContext, def: ServiceDef): Record<string, string> {
  const files: Record<string, string> = { ...def.secretFiles };
  if (ctx.tls.enabled) {
    const m = materialFor(ctx.stateDir, certName(ctx, def.name), byoFiles(ctx.config.tls, ctx.configDir));
    Object.assign(files, { 'ca.crt': m.ca, 'server.crt': m.cert, 'server.key': m.key, 'server.pem': `${m.cert.trimEnd()}\n${m.key}` });
  }
  return files;
}
