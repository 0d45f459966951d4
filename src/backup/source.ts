/**
 * The composition root of the backup commands: the stack as Docker has it (found by label), the
 * repository, and a shell that reaches the repository (the running Postgres container, or a
 * tool container when Postgres is not running).
 */
import type { LoadedConfig } from '../config/load.js';
import { ExitCode, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Secrets } from '../model/secrets.js';
import { LABEL } from '../model/labels.js';
import type { ContainerInfo, ContainerRuntime, MountSpec } from '../runtime/types.js';
import { imageFor } from '../services/common.js';
import { maintenanceDatabase, PG_DATA_DIR, PG_DATA_MOUNT, postgresUrls } from '../services/postgres.js';
import { BACKUP_MOUNT, backupRepoLocation, backupRepoMount, repoRoot } from '../services/postgres-backups.js';
import type { ServiceDef, StackContext } from '../services/types.js';
import { withDatabase } from '../pg/url.js';
import { publishedDefs } from '../stack/connection.js';
import { describeStack } from '../stack/context.js';
import { requireSecrets } from '../stack/secrets.js';
import type { RepoShell } from './repo.js';
import { removeStaleToolboxes, shellIn, startToolbox } from './toolbox.js';

export interface BackupProgress {
  step: 'check' | 'start' | 'copy' | 'stop' | 'archive' | 'redis' | 'mongo' | 'finish' | 'prune' | 'seal' | 'prepare' | 'recover' | 'start-stack' | 'verify';
  detail?: string;
  doneBytes?: number;
  totalBytes?: number;
  /** Since the command started. */
  elapsedMs: number;
}

/** What every backup command is given: the same seams as the stack commands, plus a clock. */
export interface BackupDeps {
  runtime: ContainerRuntime;
  logger: Logger;
  loaded: LoadedConfig;
  /** The project's .baas directory (secrets). */
  stateDir: string;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
  onProgress?: (e: BackupProgress) => void;
}

export interface SourceStack {
  project: string;
  ctx: StackContext;
  /** Desired services with the host ports their containers really publish. */
  defs: ServiceDef[];
  actual: ContainerInfo[];
  secrets: Secrets;
  pg: { def: ServiceDef; container: ContainerInfo | undefined; running: boolean; hasRepo: boolean };
  repo: { location: string; root: string; mount: MountSpec };
  image: string;
  /** Superuser URL of a database of the stack's Postgres (secret: never log). */
  adminUrl(database?: string): string;
  maintenanceDb: string;
}

/** Finds the stack, its Postgres and its repository. Postgres must be enabled in the configuration. */
export async function openSource(deps: BackupDeps): Promise<SourceStack> {
  const { loaded } = deps;
  const cfg = loaded.config;
  if (!cfg.services.postgres.enabled) {
    throw new UserError('Postgres is disabled in the configuration, so there is nothing to back up.', { exitCode: ExitCode.config, hint: 'Set services.postgres.enabled: true.' });
  }
  const secrets = requireSecrets(deps.stateDir);
  await deps.runtime.ping();
  const d = await describeStack(deps.runtime, loaded, secrets, deps.env);
  const defs = publishedDefs(d.defs, d.actual);
  const def = defs.find((x) => x.kind === 'postgres')!;
  const container = d.actual.find((c) => c.labels[LABEL.service] === def.name);
  const running = container?.state === 'running';
  const hasRepo = Boolean(container?.mounts?.some((m) => m.target === BACKUP_MOUNT));
  const pgHost = d.ctx.probeHost;
  const maintenanceDb = maintenanceDatabase(cfg.services.postgres.database);
  return {
    project: cfg.project,
    ctx: d.ctx,
    defs,
    actual: d.actual,
    secrets,
    pg: { def, container, running, hasRepo },
    repo: { location: backupRepoLocation(d.ctx), root: repoRoot(cfg.project), mount: backupRepoMount(d.ctx) },
    image: imageFor(d.ctx, 'postgres'),
    adminUrl: (database) => withDatabase(postgresUrls(d.ctx, pgHost, def.hostPort).superuser, database ?? cfg.services.postgres.database),
    maintenanceDb,
  };
}

/** The Postgres data mount of the stack (volume or bind path), as its container spec has it. */
export const pgDataMount = (s: SourceStack): MountSpec => s.pg.def.spec.mounts.find((m) => m.target === PG_DATA_MOUNT)!;

export { PG_DATA_DIR, PG_DATA_MOUNT };

/**
 * A shell that reaches the repository: exec in the running Postgres container when it mounts the
 * repository, else a tool container (with the data directory too when `withData`).
 */
export async function repoShell(deps: BackupDeps, s: SourceStack, options: { withData?: boolean; readOnly?: boolean } = {}): Promise<{ shell: RepoShell; release(): Promise<void> }> {
  if (s.pg.running && s.pg.hasRepo && s.pg.container) return { shell: shellIn(deps.runtime, s.pg.container.id), release: async () => {} };
  await removeStaleToolboxes(deps.runtime, s.project);
  const mounts: MountSpec[] = [{ ...s.repo.mount, ...(options.readOnly ? { readOnly: true } : {}) }];
  if (options.withData) mounts.push(pgDataMount(s));
  const tb = await startToolbox(deps.runtime, { project: s.project, purpose: 'backup-tool', image: s.image, mounts, extraLabels: s.ctx.extraLabels });
  return { shell: tb.shell, release: tb.remove };
}

/** Env for the repository scripts. */
export const repoEnv = (s: SourceStack, extra: Record<string, string> = {}): Record<string, string> => ({ ROOT: s.repo.root, ...extra });
