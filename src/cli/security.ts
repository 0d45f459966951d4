import type { Command } from 'commander';
import { UnhealthyError } from '../errors.js';
import type { App } from './app.js';
import { json, table } from './format.js';
import { resolveTarget, swarmCertsCommand, swarmExposure, swarmRotateRefusal } from './swarm.js';

interface JsonOpt {
  json?: boolean;
}

async function deps(app: App) {
  return { runtime: await app.runtime(), logger: await app.logger(), env: app.io.env };
}

export function registerSecurity(program: Command, app: App): void {
  const io = app.io;
  const certs = program.command('certs').description('the TLS certificates of the stack (tls: true; the default in profile: server)');

  certs
    .command('show')
    .description('subjects, names and expiry of the CA and each service certificate (exit 6 when one expires within 30 days)')
    .option('--json', 'print as JSON')
    .option('--target <engine>', "docker (this host's files, the default) or swarm (what each service on the swarm serves in its TLS handshake); default: the config's target")
    .addHelpText('after', `
Examples:
  $ baas certs show
  $ baas certs show --json | jq '.[] | {name, notAfter}'
  $ baas certs show --target swarm       the certificate each swarm service serves, and whether it is the local file
Exit code 6 when a certificate expires within 30 days or is missing; on the swarm also when a
service serves none (no running task) or one the local CA did not issue.`)
    .action(async (opts: JsonOpt & { target?: string }) => {
      if ((await resolveTarget(app, opts.target)) === 'swarm') return swarmCertsCommand(app, opts);
      const loaded = await app.config();
      const { certificatesOf, expiryWarnings } = await import('../security/certs.js');
      const { rows } = await certificatesOf(await deps(app), loaded, await app.stateDir());
      if (opts.json) io.stdout(json(rows));
      else {
        io.stdout(table(['NAME', 'STATUS', 'EXPIRES', 'DAYS', 'NAMES', 'FILE'], rows.map((r) => [r.name, r.status, r.notAfter.slice(0, 10), String(r.daysLeft), [...r.dns, ...r.ips].join(' '), r.file])));
      }
      const warnings = expiryWarnings(rows);
      if (warnings.length > 0 || rows.some((r) => r.status === 'missing')) {
        throw new UnhealthyError(warnings.length > 0 ? `${warnings.join('; ')}.` : 'Some certificates are missing.', { hint: 'Run `baas certs rotate` (or `baas up`, which renews what expires within 30 days).' });
      }
    });

  certs
    .command('rotate')
    .description('issue new service certificates and put them live without recreating anything')
    .option('--json', 'print as JSON')
    .option('--target <engine>', 'docker (the default); swarm is refused (exit 2): see below')
    .addHelpText('after', `
Examples:
  $ baas certs rotate
Postgres reloads its configuration, Redis nodes take the new files with CONFIG SET, and the
Sentinels restart one at a time (they cannot reload TLS files). The CA stays, so clients keep
trusting the stack. With your own tls.certFile/keyFile, replace the files first, then rotate.
On the swarm target it is refused (exit 2): \`baas up --target swarm\` renews what expires within
30 days or no longer covers the nodes, as new Swarm secrets and an update of each service.`)
    .action(async (opts: JsonOpt & { target?: string }) => {
      if ((await resolveTarget(app, opts.target)) === 'swarm') throw swarmRotateRefusal();
      const loaded = await app.config();
      const { rotateCertificates } = await import('../security/certs.js');
      const r = await rotateCertificates(await deps(app), loaded, await app.stateDir());
      if (opts.json) io.stdout(json(r));
      else {
        io.stdout(`Issued ${r.issued.length} certificate(s).\n`);
        io.stdout(table(['SERVICE', 'APPLIED', 'DETAIL'], r.applied.map((a) => [a.service, a.ok ? a.how : 'FAILED', a.detail ?? ''])));
      }
      const failed = r.applied.filter((a) => !a.ok);
      if (failed.length > 0) throw new UnhealthyError(`${failed.length} service(s) did not take the new certificate: ${failed.map((f) => f.service).join(', ')}.`, { hint: 'They take it at their next start: `baas up` or restart them.' });
    });
}

export function registerClaims(program: Command, app: App): void {
  const io = app.io;
  const claims = program.command('claims').description('signed tenant claims (security.tenantClaims: signed): the key your auth layer signs with');
  claims
    .command('key')
    .description("print the HMAC key the database verifies organisation claims with (admin only; masked unless --show-secrets)")
    .option('--database-url <url>', 'admin URL of any Postgres; default: env DATABASE_ADMIN_URL, else the running stack')
    .option('--show-secrets', 'print the key instead of ***')
    .option('--json', 'print as JSON')
    .addHelpText('after', `
Examples:
  $ baas claims key --show-secrets            put it in your auth layer's secret store, nowhere else
A claim is '<org uuid>.<user id>.<expires unix s>.<hex HMAC-SHA256 of the first three parts>';
the app sets it per transaction: select baas_platform.set_org_claim($1).`)
    .action(async (opts: JsonOpt & { databaseUrl?: string; showSecrets?: boolean }) => {
      const { withAdmin } = await import('./migrate.js');
      const { readClaimKey } = await import('../security/claims.js');
      const key = await withAdmin(app, opts, (sql) => readClaimKey(sql));
      const shown = opts.showSecrets ? key : '***';
      if (opts.json) io.stdout(json({ key: shown, algorithm: 'HMAC-SHA256', format: '<org>.<user>.<expires>.<hex mac>' }));
      else io.stdout(`${shown}\n`);
      if (!opts.showSecrets) io.stderr('The key is masked; add --show-secrets to print it.\n');
    });
}

/** `baas doctor --exposure`: every published port, what it speaks and who may log in (exit 6 when the server profile exposes plaintext). */
export async function exposureCommand(app: App, opts: JsonOpt & { target?: string }): Promise<void> {
  const io = app.io;
  const loaded = await app.config();
  const swarm = (await resolveTarget(app, opts.target)) === 'swarm';
  const r = swarm ? await swarmExposure(app) : await (await import('../security/stack-exposure.js')).describeExposure(await deps(app), loaded);
  if (opts.json) io.stdout(json(r));
  else {
    io.stdout(`profile ${r.profile}, TLS ${loaded.config.tls.enabled ? 'on' : 'off'}${swarm ? ', on the swarm (each port on its node, host mode)' : ''}\n\n`);
    io.stdout(table(['SERVICE', 'ADDRESS', 'PROTOCOL', 'TLS', 'PLAINTEXT', 'NETWORK', 'WHO MAY LOG IN'], r.ports.map((p) => [p.service, `${p.address}:${p.port}`, p.protocol, p.tls ? 'yes' : 'NO', p.plaintext, p.network ? 'yes' : 'loopback only', p.logins.join('; ')])));
    if (r.unchecked?.length) io.stdout(`\nNot checked (no address now): ${r.unchecked.join(', ')}.\n`);
  }
  if (r.problems.length > 0) throw new UnhealthyError(`The server profile exposes plaintext: ${r.problems.join('; ')}.`, { hint: `Set tls: true (the server-profile default) and run \`baas up${swarm ? ' --target swarm' : ''}\`.` });
}
