import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { AgentState } from '../serve/state.js';
import type { App } from './app.js';

interface Opts {
  listen?: string;
  interval?: string;
  healthInterval?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecure?: boolean;
  systemd?: boolean;
}

const when = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

/** The agent's lines in `baas status`: where it runs and each schedule's last and next run. */
export function agentLines(a: AgentState & { running: boolean }): string {
  const lines = [`Agent (baas serve): ${a.running ? `running at ${a.url}, pid ${a.pid}, since ${when(a.startedAt)}` : `not running (last at ${a.url}, stopped ${when(a.stoppedAt ?? a.updatedAt)})`}`];
  for (const s of a.schedules) {
    const last = s.lastRun ? `last ${when(s.lastRun.finishedAt)} ${s.lastRun.ok ? 'ok' : 'FAILED'}: ${s.lastRun.summary}` : 'never ran';
    lines.push(`  schedule ${s.name} (${s.job}, ${s.schedule}): ${s.running ? 'running now; ' : ''}${last}; next ${a.running ? when(s.nextRun) : '- (agent stopped)'}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerServe(program: Command, app: App): void {
  const io = app.io;
  program
    .command('serve')
    .description('run the always-on agent in the foreground: health API, Prometheus metrics, alert webhooks, schedules')
    .option('--listen <host:port>', 'address to listen on (default serve.listen: 127.0.0.1:7070)')
    .option('--interval <duration>', 'how often to collect from the servers (default serve.interval: 1s)')
    .option('--health-interval <duration>', 'how often to run the full health checks (default serve.healthInterval: 5s)')
    .option('--tls-cert <file>', 'TLS certificate (PEM); with --tls-key serves HTTPS')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--insecure', 'allow a non-loopback --listen without TLS (the token crosses the network in clear text)')
    .option('--systemd', 'print a systemd unit file that runs this agent, and exit')
    .addHelpText('after', `
Examples:
  $ baas serve                                   API on 127.0.0.1:7070; Ctrl-C or SIGTERM stops it cleanly (exit 0)
  $ curl -s 127.0.0.1:7070/health | jq .status   ok / degraded (200) or down (503); no token needed
  $ curl -s -H "Authorization: Bearer $(cat .baas/serve-token)" 127.0.0.1:7070/metrics
  $ curl -sN -H "Authorization: Bearer $(cat .baas/serve-token)" -H 'Accept: text/event-stream' 127.0.0.1:7070/events
  $ baas serve --systemd | sudo tee /etc/systemd/system/baas.service
  $ baas serve --listen 0.0.0.0:7443 --tls-cert cert.pem --tls-key key.pem
Logs are JSON lines on stdout. The API token is created on the first start in .baas/serve-token (0600).
Exit codes: 0 stopped by SIGTERM/SIGINT, 2 bad option or no .baas/secrets.json, 3 invalid config,
5 address in use or another agent runs for this project.`)
    .action(async (opts: Opts) => {
      const loaded = await app.config();
      const { parseListen, checkExposure } = await import('../serve/listen.js');
      const listenText = opts.listen ?? loaded.config.serve.listen;
      const addr = parseListen(listenText);
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new UserError('--tls-cert and --tls-key go together.', { hint: 'Give both files (PEM), or neither.' });
      const tlsConf = opts.tlsCert ? { cert: path.resolve(io.cwd, opts.tlsCert), key: path.resolve(io.cwd, opts.tlsKey!) } : loaded.config.serve.tls ? { cert: path.resolve(loaded.dir, loaded.config.serve.tls.cert), key: path.resolve(loaded.dir, loaded.config.serve.tls.key) } : undefined;
      for (const f of tlsConf ? [tlsConf.cert, tlsConf.key] : []) {
        if (!existsSync(f)) throw new UserError(`The TLS file ${f} does not exist.`, { hint: 'Check --tls-cert/--tls-key (or serve.tls in platform.config.yaml).' });
      }
      checkExposure(addr, tlsConf !== undefined, Boolean(opts.insecure));
      const { agentTimings, Agent } = await import('../serve/agent.js');
      const timings = agentTimings(loaded, opts);
      if (opts.systemd) {
        const { systemdUnit } = await import('../serve/systemd.js');
        const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/baas.js');
        const extra = [...(opts.insecure ? ['--insecure'] : []), ...(opts.tlsCert ? ['--tls-cert', tlsConf!.cert, '--tls-key', tlsConf!.key] : [])];
        io.stdout(systemdUnit({ project: loaded.config.project, workingDirectory: loaded.dir, configFile: loaded.file, node: process.execPath, bin, listen: listenText, user: os.userInfo().username, extraArgs: extra }));
        return;
      }
      const stateDir = await app.stateDir();
      const { createLogger } = await import('../log.js');
      const verbose = Boolean(program.opts<{ verbose?: boolean }>().verbose);
      const { logger } = createLogger({ stateDir, stdout: true, verbose });
      const log = logger.child({ component: 'serve' });
      const agent = await Agent.start({ loaded, stateDir, runtime: await app.runtime(), env: io.env, logger: log }, { listen: addr, tls: tlsConf, ...timings, logRequests: verbose });
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          log.info({ signal }, 'signal received');
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await agent.stop();
    });
}
