/**
 * `baas backup restore --at <time|lsn|label|latest>`: by default into a new stack (its own
 * project name, volumes and free ports; the running stack is not touched), or `--in-place` after
 * a confirmation, keeping the replaced data directory beside the restored one. The base backup
 * is laid out by a tool container, recovered by a recovery container (see recovery.ts), then the
 * stack's own Postgres starts on it.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { LoadedConfig } from '../config/load.js';
import { parseConfigText } from '../config/load.js';
import { ExitCode, ExternalError, UserError, messageOf } from '../errors.js';
import { LABEL, projectLabels, volumeName } from '../model/labels.js';
import { connectPg } from '../pg/client.js';
import type { MountSpec } from '../runtime/types.js';
import { imageFor } from '../services/common.js';
import { PG_DATA_MOUNT } from '../services/postgres.js';
import { readArchiver } from '../services/postgres-backups.js';
import type { ServiceDef } from '../services/types.js';
import { seal } from './archive.js';
import { restoreMongo } from './mongo.js';
import { readListing } from './prune.js';
import { runRecovery } from './recovery.js';
import { SEED_AOF_SCRIPT } from './redis.js';
import { EXTRACT_SCRIPT } from './repo.js';
import { openSource, pgDataMount, PG_DATA_DIR, repoShell, type BackupDeps, type BackupProgress, type SourceStack } from './source.js';
import { removeStaleToolboxes, startToolbox } from './toolbox.js';
import { analyse, parseTarget, planRestore, type RestorePlan } from './window.js';

const PROJECT_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

export interface RestoreInput {
  /** A time, an LSN, a backup label or id, or 'latest'. */
  at: string;
  /** New stack's project name (default: <project>-restore, or the first free -restore-N). */
  to?: string;
  inPlace?: boolean;
  /** Required for --in-place (the CLI asks, or takes --yes). */
  confirmed?: boolean;
  redis?: boolean;
  mongo?: boolean;
}

export interface RestoreResult {
  mode: 'new-stack' | 'in-place';
  /** The project that now runs the restored data. */
  project: string;
  source: string;
  backup: { id: string; label: string | null; method: string; stoppedAt: string };
  target: string;
  /** Whether recovery stopped at the target, or (no commit after it in the archive) at the end of the WAL. */
  reached: 'target' | 'end of WAL';
  durationMs: number;
  recoveryMs: number;
  /** New stack: its config file (use with `baas -c`), and the published Postgres port. */
  configFile?: string;
  postgresPort?: number;
  /** In place: where the replaced data directory was kept, inside the data location. */
  replacedDataDir?: string;
  redis: 'restored' | 'not requested' | string;
  mongo: 'restored' | 'not requested' | string;
  notes: string[];
}

/** Pure: the new stack's configuration: the source's, renamed, with automatic ports and no archiving. */
export function restoredConfig(loaded: LoadedConfig, to: string, options: { redis: boolean; pgData: string }): string {
  const c = structuredClone(loaded.config) as Record<string, unknown> & typeof loaded.config;
  const services = c.services;
  const doc = {
    project: to,
    profile: c.profile,
    images: c.images,
    ...(c.bindAddress ? { bindAddress: c.bindAddress } : {}),
    services: {
      postgres: { ...services.postgres, port: 'auto', data: options.pgData },
      redis: options.redis ? { ...services.redis, port: 'auto', sentinelPort: 'auto', data: 'volume' } : { enabled: false },
      mongo: { enabled: false },
    },
    migrations: { ...c.migrations, dir: path.resolve(loaded.dir, c.migrations.dir) },
    alerts: c.alerts,
    backups: { enabled: false },
  };
  return `# Written by \`baas backup restore\` from project '${loaded.config.project}'. Use with: baas -c <this file> …\n${stringify(doc)}`;
}

async function projectExists(deps: BackupDeps, name: string, dir: string): Promise<boolean> {
  const label = { [LABEL.project]: name };
  const [containers, volumes] = await Promise.all([deps.runtime.listContainers(label), deps.runtime.listVolumes(label)]);
  return containers.length > 0 || volumes.length > 0 || existsSync(dir);
}

export async function restoreBackup(deps: BackupDeps, input: RestoreInput): Promise<RestoreResult> {
  const now = deps.now ?? (() => new Date());
  const t0 = Date.now();
  const progress = (step: BackupProgress['step'], detail?: string): void => deps.onProgress?.({ step, elapsedMs: Date.now() - t0, ...(detail ? { detail } : {}) });
  const target = parseTarget(input.at);
  const s = await openSource(deps);
  const inPlace = Boolean(input.inPlace);
  if (inPlace && input.to) throw new UserError('--to and --in-place exclude each other.', { hint: '--to restores into a new stack; --in-place replaces the running one.' });
  if (inPlace && !input.confirmed) {
    throw new UserError(`Restoring in place replaces the Postgres data of '${s.project}'.`, { hint: 'Confirm with --yes (the replaced data directory is kept beside the restored one).' });
  }

  // The new stack's name, checked before anything is changed.
  const restoresDir = path.join(deps.stateDir, 'restores');
  let to = s.project;
  if (!inPlace) {
    if (input.to !== undefined) {
      if (!PROJECT_NAME.test(input.to)) throw new UserError(`'${input.to}' is not a valid project name.`, { hint: '2-40 lowercase letters, digits and -, starting with a letter.' });
      if (input.to === s.project) throw new UserError(`'${input.to}' is the running stack itself.`, { hint: 'Pick another name for --to, or use --in-place to replace it.' });
      to = input.to;
      if (await projectExists(deps, to, path.join(restoresDir, to))) {
        throw new UserError(`A stack named '${to}' already exists (containers, volumes or ${path.join(restoresDir, to)}).`, {
          exitCode: ExitCode.conflict,
          hint: `Pick another --to, or remove it first (\`baas -c ${path.join(restoresDir, to, 'platform.config.yaml')} down --volumes\`).`,
        });
      }
    } else {
      const base = `${s.project.slice(0, 30)}-restore`;
      for (let i = 1; ; i++) {
        const name = i === 1 ? base : `${base}-${i}`;
        if (!(await projectExists(deps, name, path.join(restoresDir, name)))) {
          to = name;
          break;
        }
      }
    }
  }

  // Make the archive reach now (when the server runs and archives), then plan against it.
  const { shell, release } = await repoShell(deps, s, { readOnly: true });
  let plan: RestorePlan;
  try {
    if (s.pg.running && s.pg.hasRepo && target.kind !== 'label') {
      progress('seal', 'archiving the current WAL');
      const sql = await connectPg(s.adminUrl(s.maintenanceDb), { applicationName: 'baas restore', connectTimeoutMs: 10_000, show: 'server' });
      try {
        const a = await readArchiver(sql);
        if (a.mode !== 'off' && !a.failing) await seal(shell, sql, s);
      } finally {
        await sql.end();
      }
    }
    const listing = await readListing(shell, s.repo.root);
    plan = planRestore(target, analyse(listing), now());
    if (input.redis && !plan.backup.redis) throw new UserError(`The backup ${plan.backup.label ?? plan.backup.id} has no Redis snapshot.`, { hint: 'Restore without --redis, or pick a backup taken while Redis ran.' });
    if (input.mongo && !plan.backup.mongo) throw new UserError(`The backup ${plan.backup.label ?? plan.backup.id} has no MongoDB dump.`, { hint: 'Restore without --mongo.' });
  } finally {
    await release();
  }
  const notes: string[] = [];
  const backupDir = `${s.repo.root}/base/${plan.backup.id}`;
  const result = (extra: Partial<RestoreResult> & Pick<RestoreResult, 'reached' | 'recoveryMs'>): RestoreResult => ({
    mode: inPlace ? 'in-place' : 'new-stack',
    project: to,
    source: s.project,
    backup: { id: plan.backup.id, label: plan.backup.label, method: plan.backup.method, stoppedAt: plan.backup.stoppedAt },
    target: plan.describe,
    durationMs: Date.now() - t0,
    redis: input.redis ? 'restored' : 'not requested',
    mongo: input.mongo ? 'restored' : 'not requested',
    notes,
    ...extra,
  });
  await removeStaleToolboxes(deps.runtime, s.project);
  return inPlace ? restoreInPlace(deps, s, plan, input, backupDir, progress, result, now) : restoreToNewStack(deps, s, plan, input, to, restoresDir, backupDir, progress, result);
}

type Progress = (step: BackupProgress['step'], detail?: string) => void;
type ResultOf = (extra: Partial<RestoreResult> & Pick<RestoreResult, 'reached' | 'recoveryMs'>) => RestoreResult;

/** Lays the backup out in a data mount (through a tool container), keeping the old directory at `keep`. */
async function extract(deps: BackupDeps, s: SourceStack, plan: RestorePlan, data: MountSpec, labelProject: string, keep: string): Promise<void> {
  const tb = await startToolbox(deps.runtime, { project: labelProject, purpose: 'restore-tool', image: s.image, mounts: [{ ...s.repo.mount, readOnly: true }, data], extraLabels: s.ctx.extraLabels });
  try {
    const r = await tb.shell.run(EXTRACT_SCRIPT, { ROOT: s.repo.root, ID: plan.backup.id, METHOD: plan.backup.method, DATA: PG_DATA_DIR, KEEP: keep });
    if (r.exitCode !== 0) throw new ExternalError(`Laying out the backup ${plan.backup.id} failed: ${r.stderr.trim().split('\n').slice(-1)[0] ?? `exit code ${r.exitCode}`}.`, { code: 'backup_failed', details: r.stderr.trim().split('\n').slice(-5) });
  } finally {
    await tb.remove();
  }
}

/** Seeds every Redis node's data with the backup's snapshot (all nodes alike: whoever is master, the data is the same). */
async function seedRedis(deps: BackupDeps, s: SourceStack, nodes: ServiceDef[], redisImage: string, backupDir: string, labelProject: string): Promise<void> {
  for (const node of nodes) {
    const tb = await startToolbox(deps.runtime, {
      project: labelProject,
      purpose: 'redis-tool',
      image: redisImage,
      mounts: [{ ...s.repo.mount, readOnly: true }, { ...node.spec.mounts[0]!, target: '/data' }],
      extraLabels: s.ctx.extraLabels,
    });
    try {
      const r = await tb.shell.run(SEED_AOF_SCRIPT, { RDB: `${backupDir}/redis.rdb` });
      if (r.exitCode !== 0) throw new ExternalError(`Seeding ${node.name} with the Redis snapshot failed: ${r.stderr.trim()}`, { code: 'backup_failed' });
    } finally {
      await tb.remove();
    }
  }
}

async function restoreToNewStack(
  deps: BackupDeps,
  s: SourceStack,
  plan: RestorePlan,
  input: RestoreInput,
  to: string,
  restoresDir: string,
  backupDir: string,
  progress: Progress,
  result: ResultOf,
): Promise<RestoreResult> {
  const { up } = await import('../stack/up.js');
  const { makeContext } = await import('../stack/context.js');
  const { desiredServices, resolvePorts } = await import('../stack/desired.js');
  const srcData = s.ctx.config.services.postgres.data;
  // A host path: a sibling directory on the same filesystem, so a clone backup restores as a clone.
  const pgData = srcData === 'volume' ? 'volume' : `${path.resolve(s.ctx.configDir, srcData)}-${to}`;
  const dir = path.join(restoresDir, to);
  const configText = restoredConfig(deps.loaded, to, { redis: Boolean(input.redis), pgData });
  const loadedTo: LoadedConfig = { config: parseConfigText(configText), file: path.join(dir, 'platform.config.yaml'), dir };
  const stateTo = path.join(dir, '.baas');
  const labels = projectLabels(to, s.ctx.extraLabels);
  const toCtx = makeContext(loadedTo, s.ctx.subnet, s.secrets, deps.env);
  const toDefs = desiredServices(toCtx, resolvePorts(loadedTo.config, [], () => 0));
  const pgDef = toDefs.find((d) => d.kind === 'postgres')!;
  const data: MountSpec = pgDef.spec.mounts.find((m) => m.target === PG_DATA_MOUNT)!;
  const created: string[] = [];
  try {
    progress('prepare', `laying out backup ${plan.backup.label ?? plan.backup.id} (${plan.backup.method})`);
    if (data.type === 'volume') {
      await deps.runtime.createVolume(data.source, { ...labels, [LABEL.service]: 'postgres' });
      created.push(data.source);
    } else {
      if (existsSync(data.source)) throw new UserError(`${data.source} already exists.`, { exitCode: ExitCode.conflict, hint: 'Pick another --to.' });
      mkdirSync(data.source, { recursive: true });
    }
    await extract(deps, s, plan, data, to, '');
    progress('recover', `to ${plan.describe}`);
    const rec = await runRecovery(deps.runtime, {
      def: s.pg.def,
      extraLabels: s.ctx.extraLabels,
      project: s.project,
      labelProject: to,
      data,
      repo: { ...s.repo.mount, readOnly: true },
      target: plan.settings,
      archive: false,
      onProgress: (d) => progress('recover', d),
    });
    await rec.stop();
    if (input.redis) {
      progress('redis', 'seeding the Redis nodes with the snapshot');
      const nodes = toDefs.filter((d) => d.kind === 'redis');
      for (const n of nodes) {
        await deps.runtime.createVolume(volumeName(to, n.name), { ...labels, [LABEL.service]: n.name });
        created.push(volumeName(to, n.name));
      }
      await seedRedis(deps, s, nodes, imageFor(s.ctx, 'redis'), backupDir, to);
    }
    // The new stack's own files: its config, and the same credentials (the restored roles have them).
    mkdirSync(stateTo, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(stateTo, '.gitignore'), '*\n');
    writeFileSync(path.join(stateTo, 'secrets.json'), JSON.stringify(s.secrets, null, 2), { mode: 0o600 });
    chmodSync(path.join(stateTo, 'secrets.json'), 0o600);
    writeFileSync(loadedTo.file!, configText);
    progress('start-stack', `starting '${to}'`);
    const upResult = await up({ runtime: deps.runtime, logger: deps.logger, env: deps.env }, loadedTo, stateTo, {});
    const port = upResult.services.find((x) => x.service === 'postgres') ? (await deps.runtime.listContainers({ [LABEL.project]: to })).find((c) => c.labels[LABEL.service] === 'postgres')?.ports[0]?.host : undefined;
    const notes = input.mongo ? ['MongoDB is not part of the new stack; restore its dump in place with `baas backup restore --at <label> --in-place --mongo`.'] : [];
    return result({ reached: rec.reached, recoveryMs: rec.durationMs, configFile: loadedTo.file!, ...(port ? { postgresPort: port } : {}), mongo: input.mongo ? 'not part of a new stack' : 'not requested', notes });
  } catch (e) {
    // Nothing half-made stays behind: the new stack's containers, volumes and files go.
    const { down } = await import('../stack/down.js');
    await down({ runtime: deps.runtime, logger: deps.logger, env: deps.env }, loadedTo, { volumes: true }).catch(() => undefined);
    for (const v of created) await deps.runtime.removeVolume(v).catch(() => undefined);
    if (data.type === 'bind') rmSync(data.source, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function restoreInPlace(
  deps: BackupDeps,
  s: SourceStack,
  plan: RestorePlan,
  input: RestoreInput,
  backupDir: string,
  progress: Progress,
  result: ResultOf,
  now: () => Date,
): Promise<RestoreResult> {
  const { up } = await import('../stack/up.js');
  const stamp = now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const keep = `${PG_DATA_DIR}.replaced-${stamp}`;
  const data = pgDataMount(s);
  const pgId = s.pg.container?.id;
  progress('prepare', `stopping Postgres of '${s.project}'`);
  if (pgId) await deps.runtime.stopContainer(pgId, 60);
  // A stack removed with its data (a lost disk): its volumes are made as `up` makes them, labelled.
  const labels = projectLabels(s.project, s.ctx.extraLabels);
  if (data.type === 'volume') await deps.runtime.createVolume(data.source, { ...labels, [LABEL.service]: 'postgres' });
  let extracted = false;
  try {
    progress('prepare', `laying out backup ${plan.backup.label ?? plan.backup.id} (${plan.backup.method}); the current data moves to ${path.basename(keep)}`);
    await extract(deps, s, plan, data, s.project, keep);
    extracted = true;
    progress('recover', `to ${plan.describe}`);
    const rec = await runRecovery(deps.runtime, {
      def: s.pg.def,
      extraLabels: s.ctx.extraLabels,
      project: s.project,
      labelProject: s.project,
      data,
      // Read-write: the new timeline's history file is archived, so later restores can follow it.
      repo: s.repo.mount,
      target: plan.settings,
      archive: s.ctx.config.backups.enabled,
      onProgress: (d) => progress('recover', d),
    });
    await rec.stop();
    if (input.redis) {
      progress('redis', 'stopping the Redis nodes and seeding them with the snapshot');
      const nodes = s.defs.filter((d) => d.kind === 'redis');
      for (const n of nodes) {
        const c = s.actual.find((x) => x.labels[LABEL.service] === n.name);
        if (c) await deps.runtime.stopContainer(c.id, 30);
        if (n.volume) await deps.runtime.createVolume(n.volume, { ...labels, [LABEL.service]: n.name });
      }
      await seedRedis(deps, s, nodes, imageFor(s.ctx, 'redis'), backupDir, s.project);
    }
    progress('start-stack', `starting Postgres${input.redis ? ' and Redis' : ''} of '${s.project}'`);
    await up({ runtime: deps.runtime, logger: deps.logger, env: deps.env }, deps.loaded, deps.stateDir, { services: input.redis ? ['postgres', 'redis'] : ['postgres'] });
    if (input.mongo) {
      progress('mongo', 'mongorestore --oplogReplay');
      const { shell, release } = await repoShell(deps, await openSource(deps), { readOnly: true });
      try {
        await restoreMongo(deps.runtime, s, shell, backupDir);
      } finally {
        await release();
      }
    }
    return result({ reached: rec.reached, recoveryMs: rec.durationMs, replacedDataDir: `${dataLocationText(data)}/${path.basename(keep)}` });
  } catch (e) {
    // Put the original data back and start it again: a failed restore loses nothing.
    if (extracted) {
      const tb = await startToolbox(deps.runtime, { project: s.project, purpose: 'restore-tool', image: s.image, mounts: [data], extraLabels: s.ctx.extraLabels });
      try {
        await tb.shell.run('set -e; if [ -d "$KEEP" ]; then rm -rf "$DATA.failed"; mv "$DATA" "$DATA.failed"; mv "$KEEP" "$DATA"; fi', { DATA: PG_DATA_DIR, KEEP: keep });
      } finally {
        await tb.remove();
      }
    }
    if (pgId) await deps.runtime.startContainer(pgId).catch(() => undefined);
    if (e instanceof Error && !(e instanceof UserError)) {
      throw new ExternalError(`The in-place restore failed and '${s.project}' was put back as it was: ${messageOf(e)}`, { code: 'backup_failed', cause: e, ...(e instanceof ExternalError ? { details: e.details } : {}) });
    }
    throw e;
  }
}

function dataLocationText(data: MountSpec): string {
  return data.type === 'bind' ? data.source : `volume ${data.source}`;
}

