import path from 'node:path';
import type { Command } from 'commander';
import { UnhealthyError, UserError } from '../errors.js';
import type { ConnectionInfo } from '../services/types.js';
import type { App } from './app.js';
import type { SwarmUpResult } from '../targets/swarm/up.js';
import { json, ms, table } from './format.js';

/**
 * The Swarm side of `up`, `status`, `health` and `down` (chosen with --target swarm or
 * `target: swarm`), and `baas nodes`. baas reaches the swarm through the manager's Engine API
 * at DOCKER_HOST, exactly as the docker CLI would.
 */

export type Target = 'docker' | 'swarm';

/** --target wins over the config's `target`. */
export async function resolveTarget(app: App, flag: string | undefined): Promise<Target> {
  if (flag !== undefined && flag !== 'docker' && flag !== 'swarm') {
    throw new UserError(`--target must be docker or swarm, not '${flag}'.`, { hint: 'For Kubernetes, write manifests with `baas render kubernetes`.' });
  }
  return (flag as Target | undefined) ?? (await app.config()).config.target;
}

async function swarmDeps(app: App) {
  const { DockerSwarmEngine } = await import('../targets/swarm/engine.js');
  return { engine: new DockerSwarmEngine(app.io.env), logger: await app.logger(), env: app.io.env };
}

/** What `up --target swarm` did with the TLS certificates, in sentences (nothing when it did nothing). */
export function certificateNotes(c: SwarmUpResult['certificates']): string[] {
  const notes: string[] = [];
  const first = c.adopted[0];
  if (first) {
    notes.push(`the swarm keeps its certificates in ${path.dirname(first.to)} now; those of ${c.adopted.map((a) => a.service).join(', ')} still fit and were copied there from ${path.dirname(first.from)} (nothing reissued).`);
  }
  if (c.issued.length > 0) notes.push(`issued TLS certificate(s): ${c.issued.map((i) => `${i.service} (${i.reason})`).join(', ')}.`);
  return notes;
}

export async function swarmUpCommand(app: App, opts: { json?: boolean; timeoutMs: number; quiet?: boolean }): Promise<void> {
  const io = app.io;
  const loaded = await app.config();
  const { swarmUp } = await import('../targets/swarm/up.js');
  const show = !opts.quiet;
  const r = await swarmUp(await swarmDeps(app), loaded, await app.stateDir(), {
    timeoutMs: opts.timeoutMs,
    onEvent: (e) => {
      if (!show) return;
      if (opts.json) io.stderr(`${JSON.stringify(e)}\n`);
      else io.stderr(`${ms(e.elapsedMs).padStart(7)}  ${e.service.padEnd(12)} ${e.phase}${e.detail ? `  ${e.detail}` : ''}\n`);
    },
  });
  if (opts.json) return io.stdout(json(r));
  io.stdout(table(['SERVICE', 'ACTION', 'NODE', 'ROLE', 'HEALTH'], r.services.map((s) => [s.service, s.action, s.node, s.health.role ?? '', s.health.detail])));
  for (const n of r.placementNotes) io.stdout(`note: ${n}\n`);
  for (const n of certificateNotes(r.certificates)) io.stdout(`note: ${n}\n`);
  const changed = r.services.filter((s) => s.action !== 'keep').length;
  io.stdout(`\n${r.project} on the swarm at ${r.manager}: ${r.services.length} service(s) healthy in ${ms(r.durationMs)}; ${changed === 0 && r.removed.length === 0 ? 'nothing changed' : `${changed} created/updated${r.removed.length ? `, ${r.removed.length} removed` : ''}`}.\n`);
  if (r.secretsCreated) io.stdout('New credentials were generated in .baas/secrets.json and stored as Swarm secrets.\n');
}

export async function swarmStatusCommand(app: App, opts: { json?: boolean }): Promise<void> {
  const io = app.io;
  const { swarmStatus } = await import('../targets/swarm/inspect.js');
  const r = await swarmStatus(await swarmDeps(app), await app.config(), await app.stateDir());
  if (opts.json) return io.stdout(json(r));
  io.stdout(`Project ${r.project} on the swarm at ${r.manager}: ${r.running ? 'running' : 'not running'}\n\n`);
  io.stdout(table(['NODE', 'ADDRESS', 'ROLE', 'STATE', 'AVAILABILITY'], r.nodes.map((n) => [n.hostname, n.addr, n.role, n.state, n.availability])));
  io.stdout('\n');
  io.stdout(table(['SERVICE', 'NODE', 'STATE', 'PORTS', 'STATUS'], r.services.map((s) => [s.service, s.node, s.state, s.ports.join(', '), s.status])));
  const lost = r.nodes.filter((n) => n.state !== 'ready');
  if (lost.length) io.stdout(`\nNode(s) not ready: ${lost.map((n) => `${n.hostname} (${n.state})`).join(', ')}.\n`);
  if (r.extra.length) io.stdout(`\nNot in the configuration (removed by the next \`baas up --target swarm\`): ${r.extra.join(', ')}\n`);
}

export async function swarmHealthCommand(app: App, services: string[], opts: { json?: boolean }): Promise<void> {
  const io = app.io;
  const loaded = await app.config();
  const { swarmHealth } = await import('../targets/swarm/inspect.js');
  const reports = await swarmHealth(await swarmDeps(app), loaded, await app.stateDir(), services);
  const healthy = reports.every((r) => r.status === 'healthy');
  if (opts.json) io.stdout(json({ project: loaded.config.project, target: 'swarm', healthy, services: reports }));
  else io.stdout(table(['SERVICE', 'NODE', 'STATUS', 'ROLE', 'LATENCY', 'DETAIL'], reports.map((r) => [r.service, r.node ?? '', r.status, r.role ?? '', r.latencyMs !== undefined ? `${r.latencyMs} ms` : '', r.detail])));
  if (!healthy) {
    const bad = reports.filter((r) => r.status !== 'healthy').map((r) => r.service);
    throw new UnhealthyError(`${bad.length} service(s) not healthy: ${bad.join(', ')}.`, { hint: '`baas status --target swarm` shows where each runs and the state of its node.' });
  }
}

/** `baas env/connect --target swarm`: the drivers' connection settings at the swarm's published addresses. */
export async function swarmConnectionInfo(app: App): Promise<ConnectionInfo[]> {
  const { swarmConnectionInfo: info } = await import('../targets/swarm/connection.js');
  return info(await swarmDeps(app), await app.config(), await app.stateDir());
}

/** `baas certs show --target swarm`: the local CA and the certificate each service serves on the swarm (exit 6 as on one host, and for unreachable or untrusted ones). */
export async function swarmCertsCommand(app: App, opts: { json?: boolean }): Promise<void> {
  const io = app.io;
  const { swarmCertificates } = await import('../targets/swarm/security.js');
  const rows = await swarmCertificates(await swarmDeps(app), await app.config(), await app.stateDir());
  if (opts.json) io.stdout(json(rows));
  else {
    const local = (r: (typeof rows)[number]): string => (r.sameAsLocal === undefined ? r.file : `${r.sameAsLocal ? 'same as' : 'DIFFERS from'} ${r.file}`);
    io.stdout(table(['NAME', 'STATUS', 'EXPIRES', 'DAYS', 'NAMES', 'SERVED AT', 'LOCAL FILE'], rows.map((r) => [r.name, r.status, r.notAfter.slice(0, 10), r.notAfter ? String(r.daysLeft) : '', [...r.dns, ...r.ips].join(' '), r.source, local(r)])));
    for (const r of rows) if (r.detail) io.stdout(`${r.name}: ${r.detail}\n`);
    if (rows.some((r) => r.sameAsLocal === false)) io.stdout('A certificate that differs from its local file is replaced by the next `baas up --target swarm`.\n');
  }
  const bad = rows.filter((r) => r.status !== 'ok');
  if (bad.length > 0) {
    throw new UnhealthyError(`${bad.length} certificate(s) need attention: ${bad.map((r) => `${r.name} (${r.status}${r.status === 'expiring' ? `, ${r.daysLeft} days` : ''})`).join(', ')}.`, {
      hint: bad.some((r) => r.status === 'unreachable') ? '`baas status --target swarm` shows why a service does not answer.' : '`baas up --target swarm` renews what expires within 30 days and redeploys the local certificates.',
    });
  }
}

/** Why `baas certs rotate --target swarm` is refused, and what does the job. */
export function swarmRotateRefusal(): UserError {
  return new UserError('`baas certs rotate` does not run on the swarm target: a Swarm secret cannot change, so new certificates mean new secrets and a restart of every service, which baas does not yet order to keep the Redis master and Sentinel quorum up.', {
    hint: '`baas up --target swarm` renews the certificates that expire within 30 days or no longer cover the nodes and updates the services that use them; run it when a restart of each service is acceptable.',
  });
}

/** `baas doctor --exposure --target swarm`. */
export async function swarmExposure(app: App) {
  const { swarmExposure: measure } = await import('../targets/swarm/security.js');
  return measure(await swarmDeps(app), await app.config(), await app.stateDir());
}

export async function swarmDownCommand(app: App, opts: { json?: boolean; volumes?: boolean }): Promise<void> {
  const io = app.io;
  const { swarmDown } = await import('../targets/swarm/down.js');
  const r = await swarmDown(await swarmDeps(app), await app.config(), { volumes: Boolean(opts.volumes) });
  if (opts.json) return io.stdout(json(r));
  if (r.nothingToDo) {
    io.stdout(`Nothing to do: no stack named '${r.project}' runs on the swarm.\n`);
  } else {
    io.stdout(`Removed ${r.services.length} service(s), ${r.networks.length} network(s), ${r.secrets.length} secret(s) and ${r.configs.length} config(s) of '${r.project}' from the swarm.\n`);
  }
  if (r.volumes.length) io.stdout(`Deleted ${r.volumes.length} data volume(s) on the manager's node: ${r.volumes.join(', ')}.\n`);
  if (r.keptVolumes.length) {
    io.stdout(`${opts.volumes ? 'Data volumes on other nodes (the manager cannot delete them; run `docker volume rm` there)' : 'Data volumes kept (`baas down --target swarm --volumes` deletes what it can)'}:\n`);
    for (const v of r.keptVolumes) io.stdout(`  ${v.node}: ${v.volume}\n`);
  }
}

export function registerNodes(program: Command, app: App): void {
  const io = app.io;
  const nodes = program
    .command('nodes')
    .description("the swarm's nodes, their labels and what baas runs on each (through the manager at DOCKER_HOST)")
    .option('--json', 'print as JSON')
    .addHelpText('after', `
Examples:
  $ DOCKER_HOST=ssh://admin@manager-1 baas nodes
  $ baas nodes --json | jq '.[] | {hostname, state, runs}'`)
    .action(async (opts: { json?: boolean }) => {
      const { listNodes } = await import('../targets/swarm/nodes.js');
      const { DockerSwarmEngine } = await import('../targets/swarm/engine.js');
      const list = await listNodes(new DockerSwarmEngine(io.env));
      if (opts.json) return io.stdout(json(list));
      io.stdout(
        table(
          ['NODE', 'ADDRESS', 'ROLE', 'STATE', 'AVAILABILITY', 'LABELS', 'BAAS RUNS'],
          list.map((n) => [n.hostname, n.addr, `${n.role}${n.leader ? ' (leader)' : ''}`, n.state, n.availability, Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(','), n.runs.join(', ')]),
        ),
      );
    });
  nodes
    .command('label')
    .description('give a node a role: `postgres` pins Postgres (and its volume) to it')
    .argument('<node>', 'host name or ID of the node')
    .argument('<role>', 'postgres')
    .option('--force', 'move the label even though Postgres runs (with its data) on another node')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  $ baas nodes label db-1 postgres           sets baas.postgres=true on db-1 (and removes it elsewhere)
  $ baas up --target swarm                   Postgres then runs on db-1`)
    .action(async (node: string, role: string, opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      // `baas nodes` has --json too, and commander gives a flag after the subcommand to the parent.
      opts = cmd.optsWithGlobals();
      const { labelNode } = await import('../targets/swarm/nodes.js');
      const { DockerSwarmEngine } = await import('../targets/swarm/engine.js');
      const r = await labelNode(new DockerSwarmEngine(io.env), node, role, { force: Boolean(opts.force) });
      if (opts.json) return io.stdout(json(r));
      io.stdout(`${r.changed ? 'Labelled' : 'Already labelled:'} ${r.node} ${r.label}${r.removedFrom.length ? `; removed it from ${r.removedFrom.join(', ')}` : ''}.\n`);
    });
}
