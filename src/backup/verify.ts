/**
 * `baas backup verify`: restores the newest restorable backup (to the end of its copy) into a
 * throwaway volume and container, starts it, checks that every database of the backup opens and
 * that the platform tables hold the rows they held at the backup's moment, and removes it all.
 */
import { randomBytes } from 'node:crypto';
import { ExitCode, UserError, messageOf } from '../errors.js';
import { connectPg } from '../pg/client.js';
import { quoteIdent } from '../pg/escape.js';
import type { Sql } from '../pg/sql.js';
import type { MountSpec } from '../runtime/types.js';
import { PG_DATA_MOUNT, postgresUrls } from '../services/postgres.js';
import { readListing } from './prune.js';
import { runRecovery, type RecoveryOutcome } from './recovery.js';
import { EXTRACT_SCRIPT } from './repo.js';
import { openSource, PG_DATA_DIR, repoShell, type BackupDeps, type BackupProgress } from './source.js';
import { ONEOFF_LABEL, removeStaleToolboxes, startToolbox } from './toolbox.js';
import { analyse } from './window.js';
import { withDatabase } from '../pg/url.js';
import { addressIn } from '../model/addresses.js';

export interface VerifyCheck {
  check: string;
  ok: boolean;
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  backup: { id: string; label: string | null; method: string; stoppedAt: string };
  checks: VerifyCheck[];
  durationMs: number;
  recoveryMs: number;
}

export async function verifyBackup(deps: BackupDeps, input: { backup?: string } = {}): Promise<VerifyResult> {
  const t0 = Date.now();
  const progress = (step: BackupProgress['step'], detail?: string): void => deps.onProgress?.({ step, elapsedMs: Date.now() - t0, ...(detail ? { detail } : {}) });
  const s = await openSource(deps);
  const { shell, release } = await repoShell(deps, s, { readOnly: true });
  let listing;
  try {
    listing = await readListing(shell, s.repo.root);
  } finally {
    await release();
  }
  const a = analyse(listing);
  const candidates = a.backups.filter((b) => (input.backup ? b.manifest.id === input.backup || b.manifest.label === input.backup : b.usable));
  const chosen = candidates.sort((x, y) => Date.parse(y.manifest.stoppedAt) - Date.parse(x.manifest.stoppedAt))[0];
  if (!chosen) {
    throw new UserError(input.backup ? `There is no backup labelled or named '${input.backup}'.` : `There is no restorable backup of '${s.project}' in ${s.repo.location} to verify.`, {
      exitCode: input.backup ? ExitCode.usage : ExitCode.unhealthy,
      hint: '`baas backup create` makes one; `baas backup list` shows what is there.',
    });
  }
  const m = chosen.manifest;
  const checks: VerifyCheck[] = [];
  const backup = { id: m.id, label: m.label, method: m.method, stoppedAt: m.stoppedAt };
  if (!chosen.usable) {
    checks.push({ check: 'restorable', ok: false, detail: chosen.problem ?? 'not restorable' });
    return { ok: false, backup, checks, durationMs: Date.now() - t0, recoveryMs: 0 };
  }
  checks.push({ check: 'WAL', ok: true, detail: `${m.startWal} to ${m.stopWal} are in the archive` });

  await removeStaleToolboxes(deps.runtime, s.project);
  const volume = `baas-${s.project}-verify-${randomBytes(3).toString('hex')}`;
  await deps.runtime.createVolume(volume, { ...s.ctx.extraLabels, [ONEOFF_LABEL]: s.project });
  const data: MountSpec = { type: 'volume', source: volume, target: PG_DATA_MOUNT };
  let rec: RecoveryOutcome | undefined;
  try {
    progress('prepare', `laying out backup ${m.label ?? m.id} (${m.method}) in a throwaway volume`);
    const tb = await startToolbox(deps.runtime, { project: s.project, purpose: 'verify-tool', image: s.image, mounts: [{ ...s.repo.mount, readOnly: true }, data], extraLabels: s.ctx.extraLabels });
    try {
      const r = await tb.shell.run(EXTRACT_SCRIPT, { ROOT: s.repo.root, ID: m.id, METHOD: m.method, DATA: PG_DATA_DIR, KEEP: '' });
      checks.push({ check: 'unpack', ok: r.exitCode === 0, detail: r.exitCode === 0 ? `${m.method === 'clone' ? 'copied' : 'unpacked'} ${m.id}` : r.stderr.trim().split('\n').slice(-1)[0] ?? `exit code ${r.exitCode}` });
    } finally {
      await tb.remove();
    }
    if (!checks[checks.length - 1]!.ok) return { ok: false, backup, checks, durationMs: Date.now() - t0, recoveryMs: 0 };

    progress('recover', 'starting a throwaway server on it');
    const { freePort } = await import('../stack/context.js');
    const port = await freePort('127.0.0.1');
    // On the stack's network when it exists, so connections arrive from its gateway as the stack's do.
    const network = (await deps.runtime.listNetworks({ 'baas.project': s.project })).some((n) => n.name === s.ctx.network)
      ? { name: s.ctx.network, ip: addressIn(s.ctx.subnet, 200 + Math.floor(Math.random() * 50)) }
      : undefined;
    try {
      rec = await runRecovery(deps.runtime, {
        def: s.pg.def,
        extraLabels: s.ctx.extraLabels,
        project: s.project,
        labelProject: s.project,
        data,
        repo: { ...s.repo.mount, readOnly: true },
        ...(network ? { network } : {}),
        target: { recovery_target: 'immediate', recovery_target_action: 'promote' },
        archive: false,
        publish: { container: 5432, host: port, hostIp: '127.0.0.1' },
        timeoutMs: 1_800_000,
        onProgress: (d) => progress('recover', d),
      });
      checks.push({ check: 'recovery', ok: true, detail: `consistent and promoted in ${(rec.durationMs / 1000).toFixed(1)} s` });
    } catch (e) {
      checks.push({ check: 'recovery', ok: false, detail: messageOf(e) });
      return { ok: false, backup, checks, durationMs: Date.now() - t0, recoveryMs: 0 };
    }

    progress('verify', 'opening every database');
    const url = postgresUrls(s.ctx, '127.0.0.1', port).superuser;
    const open = async (db: string): Promise<Sql> => {
      let last: unknown;
      for (let i = 0; i < 40; i++) {
        try {
          return await connectPg(withDatabase(url, db), { applicationName: 'baas verify', connectTimeoutMs: 3000, statementTimeoutMs: 60_000, show: 'server' });
        } catch (e) {
          last = e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      throw last;
    };
    for (const db of m.databases) {
      try {
        const c = await open(db);
        try {
          const n = (await c.query<{ n: string }>("select count(*)::text as n from pg_class where relkind in ('r', 'p')"))[0]!.n;
          checks.push({ check: `database ${db}`, ok: true, detail: `opens; ${n} tables` });
          if (db === s.ctx.config.services.postgres.database && m.platformCounts) {
            for (const [table, expected] of Object.entries(m.platformCounts)) {
              const got = Number((await c.query<{ n: string }>(`select count(*)::text as n from baas_platform.${quoteIdent(table)}`))[0]!.n);
              checks.push({ check: `rows baas_platform.${table}`, ok: got === expected, detail: got === expected ? `${got} as at the backup` : `${got}, but ${expected} at the backup` });
            }
          }
        } finally {
          await c.end();
        }
      } catch (e) {
        checks.push({ check: `database ${db}`, ok: false, detail: messageOf(e) });
      }
    }
    if (!m.platformCounts) checks.push({ check: 'platform tables', ok: true, detail: 'none at the backup (no `baas migrate` yet), nothing to count' });
    return { ok: checks.every((c) => c.ok), backup, checks, durationMs: Date.now() - t0, recoveryMs: rec.durationMs };
  } finally {
    await rec?.container.remove();
    // The volume is free once the containers are gone.
    for (let i = 0; i < 10; i++) {
      try {
        await deps.runtime.removeVolume(volume);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }
}
