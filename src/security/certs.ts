import { existsSync, readFileSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { UserError, messageOf } from '../errors.js';
import { LABEL } from '../model/labels.js';
import type { ServiceDef, StackContext } from '../services/types.js';
import { publishedDefs } from '../stack/connection.js';
import { describeStack, type StackDeps } from '../stack/context.js';
import { requireSecrets } from '../stack/secrets.js';
import { poll } from '../wait.js';
import { syncSecretsScript } from './files.js';
import { certName, certNames, checkTlsInputs, prepareServiceFiles } from './service-files.js';
import { byoFiles, caCertPath, EXPIRY_WARNING_DAYS, serviceCertPath, summarize, type CertSummary } from './tls.js';

export interface CertRow extends CertSummary {
  /** 'ca' or a service name. */
  name: string;
  file: string;
  status: 'ok' | 'expiring' | 'expired' | 'missing';
}

const statusOf = (daysLeft: number): CertRow['status'] => (daysLeft < 0 ? 'expired' : daysLeft < EXPIRY_WARNING_DAYS ? 'expiring' : 'ok');

/** The CA and every service certificate the configuration uses (no Docker needed). */
export function listCertificates(ctx: StackContext, defs: ServiceDef[], now = new Date()): CertRow[] {
  const byo = byoFiles(ctx.config.tls, ctx.configDir);
  const files: { name: string; file: string }[] = byo
    ? [{ name: 'ca', file: byo.caFile }, { name: 'all services', file: byo.certFile }]
    : [{ name: 'ca', file: caCertPath(ctx.stateDir) }, ...defs.map((d) => ({ name: d.name, file: serviceCertPath(ctx.stateDir, certName(ctx, d.name)) }))];
  return files.map(({ name, file }) => {
    if (!existsSync(file)) {
      return { name, file, status: 'missing', subject: '', issuer: '', dns: [], ips: [], notBefore: '', notAfter: '', daysLeft: 0, fingerprint256: '', serialNumber: '' };
    }
    const s = summarize(readFileSync(file), now);
    return { name, file, ...s, status: statusOf(s.daysLeft) };
  });
}

/** One sentence per certificate that expires within 30 days (or has), for `health` and `doctor`. */
export function expiryWarnings(rows: CertRow[]): string[] {
  return rows
    .filter((r) => r.status === 'expiring' || r.status === 'expired')
    .map((r) => (r.status === 'expired' ? `the TLS certificate of ${r.name} (${r.file}) expired on ${r.notAfter.slice(0, 10)}` : `the TLS certificate of ${r.name} (${r.file}) expires in ${r.daysLeft} days (${r.notAfter.slice(0, 10)})`));
}

export async function certificatesOf(deps: StackDeps, loaded: LoadedConfig, stateDir: string): Promise<{ ctx: StackContext; rows: CertRow[] }> {
  const { ctx, defs } = await describeStack(deps.runtime, loaded, requireSecrets(stateDir), deps.env);
  if (!ctx.tls.enabled) throw new UserError('TLS is off for this stack.', { hint: 'Set `tls: true` in platform.config.yaml (it is the default in profile: server) and run `baas up`.' });
  return { ctx, rows: listCertificates(ctx, defs) };
}

export interface RotateResult {
  issued: { service: string; reason: string }[];
  /** How each running service took the new files. */
  applied: { service: string; how: string; ok: boolean; detail?: string }[];
}

/**
 * New certificates without recreating anything: reissue every service certificate (the CA
 * stays, so clients keep trusting), write the files, copy them into each running container,
 * then Postgres reloads its configuration, Redis nodes take the files with CONFIG SET, and
 * Sentinels (which have no CONFIG SET for TLS) restart one at a time.
 */
export async function rotateCertificates(deps: StackDeps, loaded: LoadedConfig, stateDir: string, options: { restart?: (service: string) => Promise<void> } = {}): Promise<RotateResult> {
  const secrets = requireSecrets(stateDir);
  const described = await describeStack(deps.runtime, loaded, secrets, deps.env);
  const { ctx, actual } = described;
  if (!ctx.tls.enabled) throw new UserError('TLS is off for this stack: there is nothing to rotate.', { hint: 'Set `tls: true` in platform.config.yaml and run `baas up`.' });
  checkTlsInputs(ctx);
  const defs = publishedDefs(described.defs, actual);
  const prepared = await prepareServiceFiles(ctx, defs, { force: !byoFiles(ctx.config.tls, ctx.configDir) });
  const applied: RotateResult['applied'] = [];
  for (const def of defs) {
    const c = actual.find((x) => x.labels[LABEL.service] === def.name);
    if (!c || c.state !== 'running') {
      applied.push({ service: def.name, how: 'not running: takes the new files at its next start', ok: true });
      continue;
    }
    try {
      const sync = await deps.runtime.exec(c.id, ['sh', '-c', syncSecretsScript(def.runAs ?? 'root')]);
      if (sync.exitCode !== 0) throw new Error(`copying the files failed: ${(sync.stderr || sync.stdout).trim()}`);
      applied.push({ service: def.name, ...(await reload(ctx, def, c.id, deps, options, defs)), ok: true });
    } catch (e) {
      applied.push({ service: def.name, how: 'failed', ok: false, detail: messageOf(e) });
    }
  }
  // The names each certificate covers, for the log.
  for (const i of prepared.issued) deps.logger.info({ service: i.service, names: defs.find((d) => d.name === i.service) ? certNames(ctx, defs.find((d) => d.name === i.service)!) : undefined }, 'rotated certificate');
  return { issued: prepared.issued, applied };
}

async function reload(ctx: StackContext, def: ServiceDef, containerId: string, deps: StackDeps, options: { restart?: (service: string) => Promise<void> }, defs: ServiceDef[]): Promise<{ how: string }> {
  switch (def.kind) {
    case 'postgres': {
      const { withPg } = await import('../pg/client.js');
      const { postgresUrls } = await import('../services/postgres.js');
      await withPg(postgresUrls(ctx, ctx.probeHost, def.hostPort).superuser, async (sql) => {
        await sql.query('select pg_reload_conf()');
      }, { connectTimeoutMs: 5000 });
      return { how: 'pg_reload_conf()' };
    }
    case 'redis': {
      const { redisAccess, redisClient, closeRedis } = await import('../services/redis.js');
      const { CONTAINER_TLS } = await import('../services/redis-conf.js');
      const client = await redisClient(ctx.probeHost, def.hostPort, redisAccess(ctx, 'admin'));
      try {
        await client.call('CONFIG', 'SET', 'tls-cert-file', CONTAINER_TLS.cert, 'tls-key-file', CONTAINER_TLS.key, 'tls-ca-cert-file', CONTAINER_TLS.ca);
      } finally {
        closeRedis(client);
      }
      return { how: 'CONFIG SET tls-cert-file/tls-key-file (live)' };
    }
    case 'sentinel':
    case 'mongo': {
      if (options.restart) await options.restart(def.name);
      else {
        await deps.runtime.stopContainer(containerId, 10);
        await deps.runtime.startContainer(containerId);
      }
      const since = Date.now();
      // One at a time: the next Sentinel restarts only once this one answers again, every
      // Sentinel sees all its peers again, and every peer has had a ping answered by the new
      // process (before that a peer still flags the restarted one down for a moment; restarting
      // the next one then could leave the quorum short).
      const { driverFor } = await import('../services/drivers.js');
      const { sentinelPeersCaughtUp } = await import('../services/redis.js');
      const group = def.kind === 'sentinel' ? defs.filter((d) => d.kind === 'sentinel') : [def];
      let waiting: string | undefined;
      const settled = async () => {
        const hs = await Promise.all(group.map((d) => driverFor(d.kind).health(ctx, d)));
        const bad = hs.find((h) => h.status !== 'healthy');
        waiting = bad ? `${bad.service}: ${bad.detail}` : def.kind === 'sentinel' ? await sentinelPeersCaughtUp(ctx, group, def, since).catch((e: unknown) => messageOf(e)) : undefined;
        return { ok: waiting === undefined, detail: waiting ?? 'settled' };
      };
      await poll(`${def.name}'s restart`, settled, { timeoutMs: 20_000 })
        .waitUntilReady()
        .catch(() => {
          throw new Error(`the stack was not settled within 20 s of ${def.name}'s restart: ${waiting}`);
        });
      return { how: 'restarted (no live reload of TLS files), healthy again' };
    }
  }
}
