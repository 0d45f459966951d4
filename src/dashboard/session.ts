/**
 * The composition root of a dashboard run: secrets, topology, real clients, collector, alert
 * history. Turns "nothing answers" and "wrong password" into one clear sentence before any UI.
 */
import type { LoadedConfig } from '../config/load.js';
import { ExitCode, ExternalError, UserError } from '../errors.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { requireSecrets } from '../stack/secrets.js';
import { ioredisConnector, openMongo, openPostgres, stackTargets } from './adapters.js';
import { FileAlertLog } from './alerts.js';
import { Collector, isAuthError, type CollectorOptions } from './collector.js';
import type { AlertLog, Snapshot } from './types.js';

export interface SessionDeps {
  runtime: ContainerRuntime;
  env: NodeJS.ProcessEnv;
  loaded: LoadedConfig;
  stateDir: string;
  /**
   * Where alerts are read from and recorded (default .baas/alerts.jsonl). The CLI passes a
   * read-only view merged with the agent's events while `baas serve` runs.
   */
  alertLog?: AlertLog;
}

export async function openCollector(deps: SessionDeps, options: Partial<CollectorOptions>): Promise<Collector> {
  const secrets = requireSecrets(deps.stateDir);
  await deps.runtime.ping();
  const targets = await stackTargets(deps.runtime, deps.loaded, secrets, deps.env);
  const alertLog = deps.alertLog ?? FileAlertLog.inStateDir(deps.stateDir);
  const collector = new Collector(
    {
      connector: ioredisConnector(secrets.redis.password, Math.min(1500, Math.max(500, options.intervalMs ?? 1000))),
      topology: targets.topology,
      thresholds: deps.loaded.config.alerts,
      alertLog,
      postgres: targets.postgresUrl ? { open: () => openPostgres(targets.postgresUrl!) } : undefined,
      mongo: targets.mongoUrl ? { open: () => openMongo(targets.mongoUrl!) } : undefined,
    },
    options,
  );
  const started = await collector.start();
  const t = targets.topology;
  if (started.reachableNodes === 0) {
    await collector.stop();
    if (started.errors.length > 0 && started.errors.every((e) => isAuthError(e))) {
      throw new ExternalError('Redis refused the password from .baas/secrets.json.', {
        hint: 'The secrets file does not match the running stack: restore the file that `baas up` wrote, or recreate the stack (`baas down` then `baas up`).',
      });
    }
    throw new ExternalError(`No Redis node of '${t.project}' answers.`, {
      exitCode: ExitCode.unhealthy,
      details: started.errors.slice(0, 4),
      hint: 'Check `baas status` and `baas health`; `baas up` starts what is stopped.',
    });
  }
  return collector;
}

/** The first snapshot with rates: a baseline sample, one interval, a second sample. */
export async function firstSnapshot(collector: Collector, intervalMs: number, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<Snapshot> {
  await collector.tick();
  const problem = collector.hotKeyDecision()?.problem;
  if (problem) {
    await collector.stop();
    throw new UserError(problem, { hint: `Switch the policy first: ${collector.hotKeyDecision()?.advice ?? 'CONFIG SET maxmemory-policy allkeys-lfu'}; or use --hotkeys monitor.` });
  }
  await sleep(intervalMs);
  await collector.settle();
  return collector.tick();
}
