import type { Command } from 'commander';
import { UnhealthyError, UserError } from '../errors.js';
import type { App } from './app.js';
import { parseDuration } from '../format.js';
import { json, ms, table } from './format.js';
import { resolveTarget, swarmConnectionInfo, swarmDownCommand, swarmHealthCommand, swarmStatusCommand, swarmUpCommand } from './swarm.js';

interface JsonOpt {
  json?: boolean;
}

async function deps(app: App) {
  return { runtime: await app.runtime(), logger: await app.logger(), env: app.io.env };
}

export const parseTimeout = (v: string): number => {
  const n = parseDuration(v, { defaultUnit: 's', units: ['s', 'm'] });
  if (n === undefined || n <= 0) throw new UserError(`--timeout must be a number of seconds, not '${v}'.`, { hint: 'For example --timeout 120.' });
  return n;
};

export function registerStack(program: Command, app: App): void {
  const io = app.io;

  program
    .command('up')
    .description('create or update the stack and wait until every service is healthy (idempotent)')
    .argument('[services...]', 'only these services: postgres, redis, mongo, or a container name such as redis-2')
    .option('--json', 'print the result as JSON (progress as NDJSON on stderr)')
    .option('--timeout <seconds>', 'how long each service may take to become healthy', '90')
    .option('--quiet', 'no progress output')
    .option('--target <engine>', "docker (this host, the default) or swarm (the manager DOCKER_HOST points at); default: the config's target")
    .option('--force', "start EMPTY where the configuration moved a service's data location (the old data is kept, not copied)")
    .addHelpText('after', `
Examples:
  $ baas up                  whole stack: Postgres, Redis master + replicas + sentinels, MongoDB
  $ baas up redis            only Redis and its sentinels
  $ baas up --json | jq .services
  $ DOCKER_HOST=ssh://admin@manager-1 baas up --target swarm     the same stack across a Docker Swarm
Running it again changes nothing unless the configuration changed (then only what changed is recreated).
Every port, limit and data location is checked before anything is created; all port conflicts
are listed at once (exit 5). A changed services.<svc>.data is refused while the old place holds
data: move it with \`baas data move <svc> <path>\`, or add --force to start empty.`)
    .action(async (services: string[], opts: JsonOpt & { timeout: string; quiet?: boolean; force?: boolean; target?: string }) => {
      const timeoutMs = parseTimeout(opts.timeout);
      if ((await resolveTarget(app, opts.target)) === 'swarm') {
        if (services.length) throw new UserError('`baas up --target swarm` deploys the whole stack; it takes no service names.', { hint: 'Run `baas up --target swarm` without names.' });
        return swarmUpCommand(app, { ...opts, timeoutMs });
      }
      const loaded = await app.config();
      const { up } = await import('../stack/up.js');
      const { createProgress } = await import('./progress.js');
      const progress = createProgress(io, opts.quiet ? 'none' : opts.json ? 'json' : io.isTTY ? 'tty' : 'plain');
      const d = await deps(app);
      try {
        const result = await up(d, loaded, await app.stateDir(), {
          services,
          timeoutMs,
          force: Boolean(opts.force),
          onEvent: (e) => progress.event(e),
          buildImages: async () => {
            const { buildLocalImages } = await import('../images/build.js');
            const { execaExec } = await import('../images/host.js');
            await buildLocalImages(
              { runtime: d.runtime, exec: execaExec, logger: d.logger, onProgress: (e) => progress.event({ service: 'images', phase: 'build', elapsedMs: e.elapsedMs ?? 0, detail: e.message }) },
              {},
            );
          },
        });
        progress.done();
        if (opts.json) return io.stdout(json(result));
        const changed = result.services.filter((s) => s.action !== 'keep').length;
        io.stdout(
          table(
            ['SERVICE', 'ACTION', 'ROLE', 'HEALTH', 'LATENCY'],
            result.services.map((s) => [s.service, s.action, s.health.role ?? '', s.health.detail, s.health.latencyMs !== undefined ? `${s.health.latencyMs} ms` : '']),
          ),
        );
        io.stdout(
          `\n${result.project}: ${result.services.length} service(s) healthy in ${ms(result.durationMs)}; ${changed === 0 && result.removed.length === 0 ? 'nothing changed' : `${changed} created/started/recreated${result.removed.length ? `, ${result.removed.length} removed` : ''}`}.\n`,
        );
        if (result.secretsCreated) io.stdout('New credentials were generated in .baas/secrets.json (mode 0600, git-ignored). `baas env` shows connection settings.\n');
      } finally {
        progress.done();
      }
    });

  program
    .command('down')
    .description('stop and remove the stack; its data is kept unless --volumes')
    .option('--volumes', "also delete the data: named volumes, and what the services wrote into bind-mounted data directories (irreversible)")
    .option('--json', 'print the result as JSON')
    .option('--target <engine>', "docker (this host, the default) or swarm (the manager DOCKER_HOST points at); default: the config's target")
    .addHelpText('after', `
Examples:
  $ baas down                keep the data for the next \`baas up\`
  $ baas down --volumes      remove everything baas created for this project, data included
  $ baas down --target swarm remove the stack from the swarm (volumes stay on their nodes)
With a host path as services.<svc>.data, --volumes deletes only what the service wrote there
(Postgres: pgdata/; Redis: redis-N/; MongoDB: the mongod files) and keeps the directory itself.`)
    .action(async (opts: JsonOpt & { volumes?: boolean; target?: string }) => {
      if ((await resolveTarget(app, opts.target)) === 'swarm') return swarmDownCommand(app, opts);
      const loaded = await app.config();
      const { down } = await import('../stack/down.js');
      const r = await down(await deps(app), loaded, { volumes: Boolean(opts.volumes) });
      if (opts.json) return io.stdout(json(r));
      const keptData = (): void => {
        for (const k of r.keptData) io.stdout(`Kept ${k.path}: ${k.why}.\n`);
      };
      if (r.nothingToDo) {
        io.stdout(`Nothing to do: no stack named '${r.project}' is running.${r.keptVolumes.length ? ` (${r.keptVolumes.length} data volume(s) kept; \`baas down --volumes\` removes them.)` : ''}\n`);
        keptData();
        return;
      }
      io.stdout(`Removed ${r.containers.length} container(s) and ${r.networks.length} network(s) of '${r.project}'.\n`);
      if (r.volumes.length) io.stdout(`Deleted ${r.volumes.length} data volume(s): ${r.volumes.join(', ')}.\n`);
      if (r.removedData.length) io.stdout(`Deleted the data in ${r.removedData.join(', ')} (the directories that held it are kept).\n`);
      if (r.keptVolumes.length) io.stdout(`Kept ${r.keptVolumes.length} data volume(s); \`baas down --volumes\` deletes them.\n`);
      keptData();
    });

  program
    .command('status')
    .description('what runs: containers, images, ports and Docker state')
    .option('--json', 'print as JSON')
    .option('--target <engine>', "docker (this host, the default) or swarm (the manager DOCKER_HOST points at); default: the config's target")
    .addHelpText('after', `
Examples:
  $ baas status
  $ baas status --json | jq '.services[] | {service, state}'
  $ baas status --target swarm        every service with its node and that node's state`)
    .action(async (opts: JsonOpt & { target?: string }) => {
      if ((await resolveTarget(app, opts.target)) === 'swarm') return swarmStatusCommand(app, opts);
      const loaded = await app.config();
      const { status } = await import('../stack/status.js');
      const r = await status(await deps(app), loaded, await app.stateDir());
      const { readAgentState } = await import('../serve/state.js');
      const agent = readAgentState(await app.stateDir());
      if (opts.json) return io.stdout(json({ ...r, agent: agent ?? null }));
      io.stdout(`Project ${r.project}${r.network ? ` (network ${r.network}, ${r.subnet})` : ''}: ${r.running ? 'running' : 'not running'}\n\n`);
      io.stdout(table(['SERVICE', 'STATE', 'IMAGE', 'PORTS', 'STATUS'], r.services.map((s) => [s.service, s.state, s.image, s.ports.join(', '), s.status])));
      if (r.extra.length) io.stdout(`\nNot in the configuration (removed by the next \`baas up\`): ${r.extra.join(', ')}\n`);
      if (agent) {
        const { agentLines } = await import('./serve.js');
        io.stdout(`\n${agentLines(agent)}`);
      }
    });

  program
    .command('health')
    .description("ask every service with its own client: latency, role, replication, quorum and disk headroom (exit 6 when anything is unhealthy)")
    .argument('[services...]', 'only these services')
    .option('--json', 'print as JSON')
    .option('--target <engine>', "docker (this host, the default) or swarm (the manager DOCKER_HOST points at); default: the config's target")
    .addHelpText('after', `
Examples:
  $ baas health
  $ baas health redis --json
  $ baas health --target swarm
Exit code 6 when any selected service is not healthy, so scripts can gate on it.`)
    .action(async (services: string[], opts: JsonOpt & { target?: string }) => {
      if ((await resolveTarget(app, opts.target)) === 'swarm') return swarmHealthCommand(app, services, opts);
      const loaded = await app.config();
      const { describeStack } = await import('../stack/context.js');
      const { stackHealth } = await import('../stack/health.js');
      const { selectServices, validateServiceNames } = await import('../stack/desired.js');
      const { readSecrets, generateSecrets } = await import('../stack/secrets.js');
      validateServiceNames(loaded.config, services);
      const d = await deps(app);
      await d.runtime.ping();
      const secrets = readSecrets(await app.stateDir()) ?? generateSecrets();
      const { ctx, defs, actual } = await describeStack(d.runtime, loaded, secrets, d.env);
      const selected = selectServices(defs, services, loaded.config);
      const reports = await stackHealth(ctx, selected, actual, { runtime: d.runtime });
      const healthy = reports.every((r) => r.status === 'healthy');
      const { tlsWarnings } = await import('../security/warnings.js');
      const warnings = tlsWarnings(ctx, selected);
      if (opts.json) io.stdout(json({ project: loaded.config.project, healthy, services: reports, warnings }));
      else {
        io.stdout(table(['SERVICE', 'STATUS', 'ROLE', 'LATENCY', 'DETAIL'], reports.map((r) => [r.service, r.status, r.role ?? '', r.latencyMs !== undefined ? `${r.latencyMs} ms` : '', r.detail])));
        for (const w of warnings) io.stderr(`warning: ${w}\n`);
      }
      if (!healthy) {
        const bad = reports.filter((r) => r.status !== 'healthy').map((r) => r.service);
        throw new UnhealthyError(`${bad.length} service(s) not healthy: ${bad.join(', ')}.`, { hint: bad.some((b) => ['missing', 'stopped'].includes(reports.find((r) => r.service === b)?.status ?? '')) ? 'Run `baas up` to create or start what is missing or stopped.' : `See \`baas logs ${bad[0]}\`.` });
      }
    });

  program
    .command('logs')
    .description("print a service's container log")
    .argument('<service>', 'postgres, mongo, redis-1, sentinel-2, ...')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --tail <lines>', 'how many lines from the end', '200')
    .addHelpText('after', `
Examples:
  $ baas logs postgres
  $ baas logs redis-1 -f`)
    .action(async (service: string, opts: { follow?: boolean; tail: string }) => {
      const tail = Number(opts.tail);
      if (!Number.isInteger(tail) || tail < 0) throw new UserError(`--tail must be a whole number, not '${opts.tail}'.`, { hint: 'For example --tail 50.' });
      const loaded = await app.config();
      const { describeStack } = await import('../stack/context.js');
      const { selectServices, validateServiceNames } = await import('../stack/desired.js');
      const { generateSecrets } = await import('../stack/secrets.js');
      const { LABEL } = await import('../model/labels.js');
      validateServiceNames(loaded.config, [service]);
      const d = await deps(app);
      await d.runtime.ping();
      const { defs, actual } = await describeStack(d.runtime, loaded, generateSecrets(), d.env);
      const group = selectServices(defs, [service], loaded.config);
      if (group.length > 1) throw new UserError(`'${service}' names ${group.length} containers.`, { hint: `Pick one: ${group.map((g) => g.name).join(', ')}.` });
      const c = actual.find((x) => x.labels[LABEL.service] === group[0]!.name);
      if (!c) throw new UserError(`${group[0]!.name} has no container.`, { hint: 'Run `baas up` first.' });
      const stream = await d.runtime.logs(c.id, { tail, follow: Boolean(opts.follow) });
      for await (const chunk of stream) io.stdout(Buffer.from(chunk as Buffer).toString('utf8'));
    });

  const connectionCommand = (name: string, description: string, single: boolean): void => {
    const cmd = program
      .command(name)
      .description(description)
      .option('--show-secrets', 'print passwords instead of ***')
      .option('--json', 'print as JSON')
      .option('--target <engine>', "docker (this host, the default) or swarm (the stack on the swarm DOCKER_HOST manages: nodes' addresses and published ports); default: the config's target");
    if (single) cmd.argument('<service>', 'postgres, redis or mongo');
    cmd.addHelpText('after', single
      ? `
Examples:
  $ baas connect postgres                   URL and settings, password masked
  $ psql "$(baas connect postgres --url --show-secrets)"
  $ baas connect redis --url --target swarm    rediss://app:***@<node address>:<published port>/0`
      : `
Examples:
  $ baas env                                variables with passwords masked
  $ baas env --show-secrets > .env          a ready .env file for your app (keep it out of git)
  $ DOCKER_HOST=ssh://admin@manager-1 baas env --target swarm --json
                                            the stack on a swarm: each service at its node's address`);
    if (single) cmd.option('--url', 'print only the main URL (for scripts)');
    cmd.action(async (...args: unknown[]) => {
      const opts = (single ? args[1] : args[0]) as JsonOpt & { showSecrets?: boolean; url?: boolean; target?: string };
      const service = single ? String(args[0]) : undefined;
      if (service && !['postgres', 'redis', 'mongo'].includes(service)) {
        throw new UserError(`Unknown service '${service}'.`, { hint: 'Use postgres, redis or mongo.' });
      }
      const loaded = await app.config();
      const { connectionInfo, maskSecrets } = await import('../stack/connection.js');
      const all = (await resolveTarget(app, opts.target)) === 'swarm' ? await swarmConnectionInfo(app) : await connectionInfo(await deps(app), loaded, await app.stateDir());
      const infos = all.filter((i) => !service || i.service === service);
      if (service && infos.length === 0) throw new UserError(`The service '${service}' is disabled in the configuration.`, { hint: `Set services.${service}.enabled: true.` });
      const view = infos.map((i) => ({ service: i.service, env: opts.showSecrets ? i.env : maskSecrets(i), notes: i.notes }));
      if (opts.url) return io.stdout(`${view[0]!.env[infos[0]!.urlKey]}\n`);
      if (opts.json) return io.stdout(json(single ? view[0] : view));
      for (const v of view) {
        io.stdout(`# ${v.service}\n`);
        for (const n of v.notes) io.stdout(`# ${n}\n`);
        for (const [k, val] of Object.entries(v.env)) io.stdout(`${k}=${/[\s"'{}]/.test(val) ? `'${val}'` : val}\n`);
        io.stdout('\n');
      }
      if (!opts.showSecrets) io.stderr('Passwords are masked; add --show-secrets to print them.\n');
    });
  };
  connectionCommand('connect', 'connection details for one service (URL, host, port, user)', true);
  connectionCommand('env', 'connection settings for every service as environment variables (for a .env file)', false);

  program
    .command('doctor')
    .description('check Docker, ports, disk space, images, TLS certificates and whether Postgres data supports copy-on-write clones')
    .option('--json', 'print as JSON')
    .option('--exposure', 'every published port: address, protocol, TLS, plaintext answered?, who may log in from where')
    .option('--target <engine>', "with --exposure: docker (this host, the default) or swarm (each service's port on its node); default: the config's target")
    .addHelpText('after', `
Examples:
  $ baas doctor
  $ baas doctor --json | jq '.checks[] | select(.status != "ok")'
  $ baas doctor --exposure          exit 6 when the server profile exposes anything in plaintext
  $ baas doctor --exposure --target swarm     the same for the stack on the swarm DOCKER_HOST manages
Exit code 6 when a check fails (warnings do not fail).`)
    .action(async (opts: JsonOpt & { exposure?: boolean; target?: string }) => {
      if (opts.target !== undefined && !opts.exposure) throw new UserError('`baas doctor --target` goes with --exposure only; the other checks are about this host.', { hint: 'Run `baas doctor --exposure --target swarm`, or `baas health --target swarm` for the services.' });
      if (opts.exposure) {
        const { exposureCommand } = await import('./security.js');
        return exposureCommand(app, opts);
      }
      const loaded = await app.config();
      const { doctor } = await import('../doctor/doctor.js');
      const r = await doctor(await deps(app), loaded);
      const { tlsCheck } = await import('../security/warnings.js');
      const tls = tlsCheck(loaded);
      if (tls) {
        r.checks.push(tls);
        r.ok = r.ok && tls.status !== 'fail';
      }
      if (opts.json) io.stdout(json(r));
      else {
        for (const c of r.checks) {
          io.stdout(`${c.status === 'ok' ? '✔' : c.status === 'warn' ? '!' : '✖'} ${c.name.padEnd(20)} ${c.detail}\n`);
          if (c.hint && c.status !== 'ok') io.stdout(`  ${' '.repeat(20)} hint: ${c.hint}\n`);
        }
      }
      if (!r.ok) {
        const failed = r.checks.filter((c) => c.status === 'fail');
        throw new UnhealthyError(`${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}.`, { hint: failed[0]?.hint ?? 'See the hints above.' });
      }
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('show')
    .description('print the effective configuration (defaults filled in, ${VARS} resolved)')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  $ baas config show\n  $ baas -c other.yaml config show --json')
    .action(async (opts: JsonOpt) => {
      const loaded = await app.config();
      if (opts.json) return io.stdout(json({ file: loaded.file ?? null, config: loaded.config }));
      const { stringify } = await import('yaml');
      io.stdout(`# ${loaded.file ?? 'no platform.config.yaml found: built-in defaults'}\n${stringify(loaded.config)}`);
    });
  config
    .command('validate')
    .description('check the configuration and report every problem (exit 3 when invalid)')
    .addHelpText('after', '\nExamples:\n  $ baas config validate\n  $ baas -c staging.yaml config validate')
    .action(async () => {
      const loaded = await app.config();
      io.stdout(`${loaded.file ?? 'built-in defaults'}: valid (project '${loaded.config.project}', profile ${loaded.config.profile}).\n`);
    });
}
