import net from 'node:net';
import type { ServiceDef, StackContext } from '../services/types.js';
import { serviceSecretsDir, writeSecretFiles } from './files.js';
import { byoFiles, certState, ensureCa, issueCert, materialFor, namesFor, runOpenSsl, validateByo, type OpenSsl, type SubjectNames } from './tls.js';

/** The names every certificate must cover for clients: the host baas itself dials, the bind address and tls.hosts. */
export function clientNames(ctx: Pick<StackContext, 'bindAddress' | 'probeHost' | 'config'>): SubjectNames {
  const ips = new Set([ctx.probeHost, ...(ctx.bindAddress === '0.0.0.0' ? [] : [ctx.bindAddress])]);
  const dns = new Set<string>();
  for (const h of ctx.config.tls.hosts) (net.isIP(h) ? ips : dns).add(h);
  return { dns: [...dns], ips: [...ips] };
}

export const certNames = (ctx: StackContext, def: ServiceDef): SubjectNames =>
  namesFor({ service: def.name, containerName: def.spec.name, ip: def.internal.ip, bindAddress: ctx.bindAddress, hosts: ctx.config.tls.hosts });

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
  /** Services whose files changed on disk. */
  changed: string[];
}

/**
 * Makes sure the CA and each service's certificate exist and fit (issuing what is missing,
 * names no longer covered, or expiring within 30 days; `force` reissues all), then writes each
 * service's secret files under .baas/secrets/<service>/ for its read-only /run/secrets mount.
 */
export async function prepareServiceFiles(ctx: StackContext, defs: ServiceDef[], options: { openssl?: OpenSsl; force?: boolean; now?: Date } = {}): Promise<PreparedFiles> {
  const openssl = options.openssl ?? runOpenSsl;
  const issued: PreparedFiles['issued'] = [];
  const byo = ctx.tls.enabled ? byoFiles(ctx.config.tls, ctx.configDir) : undefined;
  if (ctx.tls.enabled && !byo) {
    if (await ensureCa(ctx.stateDir, ctx.project, ctx.config.tls.days, openssl)) issued.push({ service: 'ca', reason: 'new CA' });
    for (const def of defs) {
      const state = options.force ? { ok: false as const, reason: 'rotation asked for' } : certState(ctx.stateDir, def.name, certNames(ctx, def), options.now);
      if (state.ok) continue;
      await issueCert(ctx.stateDir, def.name, certNames(ctx, def), ctx.config.tls.days, openssl);
      issued.push({ service: def.name, reason: state.reason });
    }
  }
  const changed: string[] = [];
  for (const def of defs) {
    const files: Record<string, string> = { ...def.secretFiles };
    if (ctx.tls.enabled) {
      const m = materialFor(ctx.stateDir, def.name, byo);
      Object.assign(files, { 'ca.crt': m.ca, 'server.crt': m.cert, 'server.key': m.key, 'server.pem': `${m.cert.trimEnd()}\n${m.key}` });
    }
    if (writeSecretFiles(serviceSecretsDir(ctx.stateDir, def.name), files)) changed.push(def.name);
  }
  return { issued, changed };
}
