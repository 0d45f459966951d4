/**
 * Archive recovery in a container of its own: the laid-out data directory, the repository (for
 * restore_command) and the recovery target given as `-c` options, so nothing of it stays in the
 * data directory. Done when Postgres removed recovery.signal (it promoted at the target). A
 * target beyond the last commit in the archive ends recovery early with a FATAL; then the WAL
 * holds no commit after the target, and replaying it all gives the same state: recovery runs
 * again without the target.
 */
import { ExitCode, ExternalError } from '../errors.js';
import type { ContainerRuntime, MountSpec, PortBinding } from '../runtime/types.js';
import { archiveCommand, restoreCommand } from '../services/postgres-backups.js';
import type { ServiceDef } from '../services/types.js';
import { PG_DATA_DIR } from './source.js';
import { startToolbox, type Toolbox } from './toolbox.js';
import type { RecoverySettings } from './window.js';

export interface RecoveryOptions {
  /** The stack's own Postgres: image, start script, environment, secrets and settings come from it. */
  def: ServiceDef;
  extraLabels: Record<string, string>;
  /** The repository's project (whose WAL is replayed). */
  project: string;
  /** The project the container is labelled for (and removed with). */
  labelProject: string;
  /** The data directory to recover (mounted where the stack mounts its data). */
  data: MountSpec;
  /** The repository, read-only unless `archive`. */
  repo: MountSpec;
  target: RecoverySettings;
  /** Archive the new timeline's history into the repository (in-place restores). */
  archive: boolean;
  /** Publish 5432 on the host and listen on all addresses (verify connects to it). */
  publish?: PortBinding;
  /** A network and address to attach to (so connections arrive as they do for the stack). */
  network?: { name: string; ip: string };
  timeoutMs?: number;
  onProgress?: (detail: string) => void;
}

export interface RecoveryOutcome {
  reached: 'target' | 'end of WAL';
  durationMs: number;
  /** The running, promoted server (stop it with `stop`). */
  container: Toolbox;
  /** Stops the server cleanly (a shutdown checkpoint) and removes its container. */
  stop(): Promise<void>;
}

const ENDED_EARLY = /recovery ended before configured recovery target was reached/;

/** Pure: `-c name=value` pairs of a command line, as a record. */
export function settingsOf(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i] !== '-c') continue;
    const kv = args[i + 1]!;
    const eq = kv.indexOf('=');
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/**
 * Pure: the recovery container's command: the stack's own start script and settings, without its
 * archiving, plus restore_command and the target.
 */
export function recoveryCommand(o: Pick<RecoveryOptions, 'def' | 'project' | 'target' | 'archive' | 'publish'>): string[] {
  const cmd = o.def.spec.cmd;
  const own = settingsOf(cmd.slice(4));
  for (const k of ['archive_mode', 'archive_command', 'archive_library', 'archive_timeout', 'restore_command']) delete own[k];
  const settings: Record<string, string> = {
    ...own,
    listen_addresses: o.publish ? '*' : '',
    restore_command: restoreCommand(o.project),
    ...o.target,
    ...(o.archive ? { archive_mode: 'on', archive_command: archiveCommand(o.project) } : { archive_mode: 'off' }),
  };
  return [...cmd.slice(0, 3), 'baas-recovery', ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

/** The stack's mounts with its data replaced and the repository added (or replaced). */
export function recoveryMounts(o: Pick<RecoveryOptions, 'def' | 'data' | 'repo'>): MountSpec[] {
  const others = o.def.spec.mounts.filter((m) => m.target !== o.data.target && m.target !== o.repo.target);
  return [...others, o.data, o.repo];
}

async function logsOf(runtime: ContainerRuntime, id: string, tail = 40): Promise<string[]> {
  try {
    const stream = await runtime.logs(id, { tail });
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function runOnce(runtime: ContainerRuntime, o: RecoveryOptions, target: RecoverySettings): Promise<{ ok: true; tb: Toolbox } | { ok: false; endedEarly: boolean; logs: string[] }> {
  const tb = await startToolbox(runtime, {
    project: o.labelProject,
    purpose: 'recovery',
    image: o.def.spec.image,
    mounts: recoveryMounts(o),
    extraLabels: o.extraLabels,
    cmd: recoveryCommand({ ...o, target }),
    env: o.def.spec.env,
    ...(o.publish ? { ports: [o.publish] } : {}),
    ...(o.network ? { network: o.network } : {}),
  });
  const deadline = Date.now() + (o.timeoutMs ?? 3_600_000);
  let lastRestored = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const state = (await runtime.listContainers({ 'baas.oneoff': o.labelProject })).find((c) => c.id === tb.id)?.state;
    if (state !== 'running') {
      const logs = await logsOf(runtime, tb.id);
      await tb.remove();
      return { ok: false, endedEarly: logs.some((l) => ENDED_EARLY.test(l)), logs };
    }
    const r = await runtime.exec(tb.id, ['sh', '-c', `test -e "${PG_DATA_DIR}/recovery.signal" && echo recovering || echo done`]).catch(() => undefined);
    if (r && /^done/m.test(r.stdout)) {
      // Promoted; wait until it accepts connections (the end-of-recovery work is done).
      for (let i = 0; i < 120; i++) {
        const ready = (await logsOf(runtime, tb.id, 20)).some((l) => /database system is ready to accept connections/.test(l));
        if (ready) break;
        await new Promise((res) => setTimeout(res, 250));
      }
      return { ok: true, tb };
    }
    if (o.onProgress) {
      const seg = (await logsOf(runtime, tb.id, 5)).map((l) => /restored log file "([0-9A-F]{24})"/.exec(l)?.[1]).filter(Boolean).pop();
      if (seg && seg !== lastRestored) {
        lastRestored = seg;
        o.onProgress(`replayed WAL up to ${seg}`);
      }
    }
    if (Date.now() > deadline) {
      const logs = await logsOf(runtime, tb.id);
      await tb.remove();
      throw new ExternalError(`Recovery did not finish within ${Math.round((o.timeoutMs ?? 3_600_000) / 1000)} s.`, { code: 'backup_failed', exitCode: ExitCode.timeout, details: logs.slice(-10) });
    }
  }
}

export async function runRecovery(runtime: ContainerRuntime, o: RecoveryOptions): Promise<RecoveryOutcome> {
  const started = Date.now();
  let reached: RecoveryOutcome['reached'] = 'target';
  let run = await runOnce(runtime, o, o.target);
  if (!run.ok && run.endedEarly) {
    o.onProgress?.('no commit after the target in the archive: replaying it to its end');
    reached = 'end of WAL';
    const { recovery_target_time: _t, recovery_target_lsn: _l, recovery_target: _r, recovery_target_inclusive: _i, ...rest } = o.target;
    run = await runOnce(runtime, o, rest);
  }
  if (!run.ok) {
    const fatal = run.logs.filter((l) => /FATAL|PANIC|ERROR/.test(l)).slice(-3);
    throw new ExternalError(`Postgres could not recover the backup: ${fatal[fatal.length - 1]?.replace(/^.*?(FATAL|PANIC|ERROR):\s*/, '') ?? 'it stopped during recovery'}.`, {
      code: 'backup_failed',
      details: run.logs.slice(-12),
      hint: 'Nothing of the running stack was changed. `baas backup list` shows which backups and moments are restorable.',
    });
  }
  const tb = run.tb;
  return {
    reached,
    durationMs: Date.now() - started,
    container: tb,
    stop: async () => {
      await runtime.stopContainer(tb.id, 120).catch(() => undefined);
      await tb.remove();
    },
  };
}
