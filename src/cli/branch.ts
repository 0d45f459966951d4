import path from 'node:path';
import type { Command } from 'commander';
import { UnhealthyError } from '../errors.js';
import type { App } from './app.js';
import { bytes, json, ms, table } from './format.js';
import type { BranchContext } from '../branch/context.js';

interface Common {
  json?: boolean;
  databaseUrl?: string;
}

function ago(iso: string | null, now: Date): string {
  if (!iso) return '-';
  const d = now.getTime() - Date.parse(iso);
  return d >= 0 ? `${span(d)} ago` : `in ${span(-d)}`;
}

function span(msAbs: number): string {
  const m = Math.floor(msAbs / 60_000);
  if (m < 1) return `${Math.max(0, Math.round(msAbs / 1000))}s`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? ` ${h % 24}h` : ''}`;
}

function expiry(iso: string | null, now: Date): string {
  if (!iso) return '-';
  const d = Date.parse(iso) - now.getTime();
  return d > 0 ? `in ${span(d)}` : `EXPIRED ${span(-d)} ago`;
}

/**
 * Opens the branch context, runs `fn`, closes it. Ctrl-C / SIGTERM abort the signal: a copy in
 * flight is cancelled and its parent re-opened before the command ends (exit 130).
 */
async function withBranches<T>(app: App, opts: Common, fn: (ctx: BranchContext) => Promise<T>, interruptible = false, mutates = interruptible): Promise<T> {
  // The config and the branch code side by side; the Docker client only if the stack's address is not remembered.
  if (opts.databaseUrl) (await import('./migrate.js')).warnPasswordInUrl(app, opts.databaseUrl);
  const [loaded, { openBranchContext }] = await Promise.all([app.config(), import('../branch/context.js')]);
  const stateDir = await app.stateDir();
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  if (interruptible) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    const ctx = await openBranchContext({
      loaded,
      stateDir,
      runtime: () => app.runtime(),
      logger: await app.logger(),
      env: app.io.env,
      databaseUrl: opts.databaseUrl,
      signal: controller.signal,
    });
    try {
      const result = await fn(ctx);
      if (mutates) {
        // The registry copy must not fail a command whose real work is done: warn instead.
        // Without opening a session on main when it is known to have no registry (see registry-gate.ts).
        const { syncRegistryWhenPresent, REGISTRY_STATE_FILE } = await import('../branch/registry-gate.js');
        const { describeServer } = await import('../pg/url.js');
        await syncRegistryWhenPresent(ctx.deps, { file: path.join(stateDir, REGISTRY_STATE_FILE), server: describeServer(ctx.urls.admin) }).catch((e: unknown) => app.io.stderr(`warning: baas_platform.databases was not updated: ${e instanceof Error ? e.message : String(e)}\n`));
      }
      return result;
    } finally {
      await ctx.close();
    }
  } finally {
    if (interruptible) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

const dbOption = (cmd: Command): Command =>
  cmd.option('--database-url <url>', 'any Postgres (superuser URL; its database is main) instead of the stack');

export function registerBranch(program: Command, app: App): void {
  const io = app.io;
  const note = (lines: string[]): void => lines.forEach((l) => io.stderr(`note: ${l}\n`));
  const branch = program
    .command('branch')
    .description('copy-on-write database branches: instant copies of main (or another branch) for features and CI')
    .addHelpText('after', `
Examples:
  $ baas branch create feature-login --ttl 7d       copy of main, deleted by \`baas branch gc\` after 7 days
  $ baas branch list
  $ DATABASE_URL=$(baas branch connstr feature-login) npm test
  $ baas branch diff main feature-login             schema differences
  $ baas branch reset feature-login                 start over from main's current state
  $ baas branch delete feature-login
A branch 'x' is the database 'br_x' on the same server. On XFS (reflink=1) or btrfs with
Postgres 18 a branch is a copy-on-write clone: constant time, almost no disk. See docs/branching.md.`);

  dbOption(
    branch
      .command('create')
      .description("create a branch from main (or --from another branch); the parent's sessions are ended for the copy")
      .argument('<name>', 'lowercase letters, digits, - and _, starting with a letter (at most 60 bytes)')
      .option('--from <parent>', 'branch to copy', 'main')
      .option('--ttl <duration>', 'expire after 30m, 12h, 7d, 2w (then `baas branch gc` deletes it)')
      .option('--protect', 'protect the new branch from delete and reset')
      .option('--strategy <strategy>', 'force clone, file_copy or wal_log (default: chosen from filesystem and size)')
      .option('--no-disrupt', "fail instead of ending the parent's sessions, listing them")
      .option('--force', 'pause a protected parent too')
      .option('--explain', 'say which copy method applies and why, and what it would do to the parent; change nothing')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ baas branch create feature-x
  $ baas branch create ci-$CI_JOB_ID --ttl 1d --json
  $ baas branch create hotfix --from staging --no-disrupt
  $ baas branch create big --explain
Exit codes: 2 bad name or unknown parent, 5 name exists / parent busy with --no-disrupt or protected, 8 lock wait, 130 interrupted.`)
    .action(async (name: string, opts: Common & { from: string; ttl?: string; protect?: boolean; strategy?: string; disrupt: boolean; force?: boolean; explain?: boolean }) => {
      const { parseTtl } = await import('../branch/names.js');
      const { parseStrategy } = await import('../branch/strategy.js');
      const { createBranch } = await import('../branch/lifecycle.js');
      const ttlMs = opts.ttl ? parseTtl(opts.ttl) : undefined;
      const strategy = parseStrategy(opts.strategy);
      const r = await withBranches(app, opts, ({ deps }) =>
        createBranch(deps, {
          name,
          from: opts.from,
          ...(ttlMs ? { ttlMs } : {}),
          protect: Boolean(opts.protect),
          ...(strategy ? { strategy } : {}),
          disrupt: opts.disrupt,
          force: Boolean(opts.force),
          explain: Boolean(opts.explain),
        }), true, !opts.explain);
      note(r.repaired);
      if (opts.json) return io.stdout(json(r));
      const now = new Date();
      if (r.explain) {
        io.stdout(`Plan for branch '${r.branch}' (database ${r.database}) from '${r.parent}' — nothing was changed:\n`);
        io.stdout(`  method   ${r.choice.strategy}: ${r.choice.reason}\n`);
        if (r.choice.fallback) io.stdout(`  cost     ${r.choice.fallback}\n`);
        io.stdout(`  parent   ${r.parent} (${r.parentDatabase}), ${bytes(r.sizeBytes)}, ${r.disruption.sessions.length} session(s) connected\n`);
        if (r.disruption.mode === 'pause') {
          io.stdout(`  pause    the parent refuses new connections during the copy${r.disruption.sessions.length ? ` and these sessions are ended` : ''}${r.choice.fullCopy ? ' (for as long as the full copy takes)' : ' (a fraction of a second with a clone: baas checkpoints first)'}\n`);
        } else {
          io.stdout(`  pause    none: ${r.disruption.why}; ${r.disruption.sessions.length ? 'the copy would fail because of these sessions' : 'no session is connected, so the copy can run'}\n`);
        }
        for (const s of r.disruption.sessions) io.stdout(`           pid ${s.pid}: ${s.application}, ${s.user ?? '?'} from ${s.client}${s.since ? `, since ${s.since}` : ''}\n`);
        return;
      }
      if (r.choice.fallback) note([r.choice.fallback]);
      const p = r.pause!;
      io.stdout(`Created branch '${r.branch}' from '${r.parent}' in ${ms(r.durationMs)} (${r.choice.strategy === 'clone' ? 'copy-on-write clone' : r.choice.strategy === 'file_copy' ? 'full file copy' : 'WAL_LOG copy'}).\n`);
      io.stdout(`  database  ${r.database}, ${bytes(r.sizeBytes)}${r.choice.strategy === 'clone' && !r.choice.fullCopy ? ' (blocks shared with the parent until written)' : ''}\n`);
      io.stdout(
        `  parent    ${p.paused ? `refused connections for ${ms(p.pauseMs)}` : 'not paused'}${p.terminated.length ? `; ended ${p.terminated.length} session(s): ${p.terminated.map((s) => `pid ${s.pid} (${s.application})`).join(', ')}` : ''}\n`,
      );
      io.stdout(`  expires   ${r.expiresAt ? `${r.expiresAt} (${expiry(r.expiresAt, now)})` : 'never'}${r.protected ? '; protected' : ''}\n`);
      io.stdout(`Connect with: baas branch connstr ${r.branch}\n`);
    });

  dbOption(
    branch
      .command('list')
      .description('branches as a tree: parent, age, size, expiry, protection, open connections')
      .option('--json', 'print as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ baas branch list
  $ baas branch list --json | jq '.branches[] | select(.expired) | .name'
Sizes are logical: clones share unchanged blocks with their parent on disk.`)
    .action(async (opts: Common) => {
      const { listBranches } = await import('../branch/list.js');
      const r = await withBranches(app, opts, ({ deps }) => listBranches(deps));
      note(r.repaired);
      if (opts.json) return io.stdout(json(r));
      const now = new Date();
      io.stdout(
        table(
          ['BRANCH', 'PARENT', 'CREATED', 'SIZE', 'EXPIRES', 'PROTECTED', 'CONNS'],
          r.branches.map((b) => [
            `${b.prefix}${b.name}${b.name === 'main' ? ` (${b.database})` : ''}${b.orphan ? ' (parent gone)' : ''}${b.allowConnections ? '' : ' [no connections]'}`,
            b.parent ?? '-',
            ago(b.createdAt, now),
            b.sizeBytes === null ? '-' : bytes(b.sizeBytes),
            expiry(b.expiresAt, now),
            b.protected ? 'yes' : 'no',
            b.connections,
          ]),
          { alignRight: [3, 6] },
        ),
      );
      const expired = r.branches.filter((b) => b.expired);
      if (expired.length) io.stdout(`\n${expired.length} expired branch(es): \`baas branch gc\` deletes them.\n`);
    });

  dbOption(
    branch
      .command('delete')
      .description('delete a branch (its sessions are ended); protected branches and branches with children are refused')
      .argument('<name>')
      .option('--no-disrupt', 'fail instead of ending sessions connected to the branch')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ baas branch delete feature-x
Exit codes: 2 unknown branch or main, 5 protected / has children / in use with --no-disrupt.`)
    .action(async (name: string, opts: Common & { disrupt: boolean }) => {
      const { deleteBranch } = await import('../branch/lifecycle.js');
      const r = await withBranches(app, opts, ({ deps }) => deleteBranch(deps, { name, disrupt: opts.disrupt }), false, true);
      if (opts.json) return io.stdout(json(r));
      io.stdout(`Deleted branch '${r.branch}' (database ${r.database})${r.endedSessions ? `; ended ${r.endedSessions} session(s)` : ''}.\n`);
    });

  dbOption(
    branch
      .command('reset')
      .description("re-create a branch from its parent's current state, keeping its name, expiry and protection flag")
      .argument('<name>')
      .option('--strategy <strategy>', 'force clone, file_copy or wal_log')
      .option('--no-disrupt', "fail instead of ending the parent's sessions")
      .option('--force', 'pause a protected parent too')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ baas branch reset feature-x
Sessions on the branch itself are ended. Exit codes: 2 unknown branch, 5 protected / has children / parent busy.`)
    .action(async (name: string, opts: Common & { strategy?: string; disrupt: boolean; force?: boolean }) => {
      const { parseStrategy } = await import('../branch/strategy.js');
      const { resetBranch } = await import('../branch/lifecycle.js');
      const strategy = parseStrategy(opts.strategy);
      const r = await withBranches(app, opts, ({ deps }) => resetBranch(deps, { name, ...(strategy ? { strategy } : {}), disrupt: opts.disrupt, force: Boolean(opts.force) }), true);
      note(r.repaired);
      if (opts.json) return io.stdout(json(r));
      if (r.choice.fallback) note([r.choice.fallback]);
      io.stdout(
        `Reset branch '${r.branch}' from '${r.parent}' in ${ms(r.durationMs)} (${r.choice.strategy}); parent ${r.pause.paused ? `refused connections for ${ms(r.pause.pauseMs)}` : 'not paused'}${r.pause.terminated.length ? `, ended ${r.pause.terminated.length} of its session(s)` : ''}${r.endedOnBranch ? `; ended ${r.endedOnBranch} session(s) on the branch` : ''}.\n`,
      );
    });

  dbOption(
    branch
      .command('connstr')
      .description('a connection URL for a branch, ready for an app or psql (app role; --admin for the superuser)')
      .argument('<name>', 'a branch, or main')
      .option('--admin', 'the superuser URL (for migrations)'),
  )
    .addHelpText('after', `
Examples:
  $ psql "$(baas branch connstr feature-x)"
  $ DATABASE_URL=$(baas branch connstr ci-42) npm test
  $ baas branch connstr feature-x --admin
The URL contains the password: it is printed (that is its purpose) but never logged.`)
    .action(async (name: string, opts: Common & { admin?: boolean }) => {
      const { resolveBranch } = await import('../branch/lifecycle.js');
      const { branchUrl } = await import('../branch/context.js');
      const url = await withBranches(app, opts, async (ctx) => {
        const b = await resolveBranch(ctx.deps, name);
        return branchUrl(ctx, b.name, Boolean(opts.admin));
      });
      io.stdout(`${url}\n`);
    });

  dbOption(
    branch
      .command('diff')
      .description('schema differences between two branches: tables, columns, types, indexes, constraints, RLS, policies, functions, triggers')
      .argument('<a>', 'branch (or main) to compare from')
      .argument('<b>', 'branch to compare to')
      .option('--exit-code', 'exit 6 when there are differences (for CI)')
      .option('--json', 'print as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ baas branch diff main feature-x
  $ baas branch diff main feature-x --json | jq '.added'
'+' exists only in <b>, '-' only in <a>, '~' differs.`)
    .action(async (a: string, b: string, opts: Common & { exitCode?: boolean }) => {
      const { diffBranches, isEmptyDiff } = await import('../branch/diff.js');
      const r = await withBranches(app, opts, ({ deps }) => diffBranches(deps, a, b));
      if (opts.json) io.stdout(json(r));
      else if (isEmptyDiff(r)) io.stdout(`No schema differences between '${r.a}' and '${r.b}'.\n`);
      else {
        const w = Math.max(...[...r.added, ...r.removed, ...r.changed].map((i) => i.kind.length));
        io.stdout(`Schema differences from '${r.a}' to '${r.b}':\n`);
        for (const i of r.removed) io.stdout(`- ${i.kind.padEnd(w)}  ${i.key}${i.detail ? `  ${i.detail}` : ''}\n`);
        for (const i of r.added) io.stdout(`+ ${i.kind.padEnd(w)}  ${i.key}${i.detail ? `  ${i.detail}` : ''}\n`);
        for (const c of r.changed) io.stdout(`~ ${c.kind.padEnd(w)}  ${c.key}  ${c.before || '(none)'}  →  ${c.after || '(none)'}\n`);
        io.stdout(`${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed.\n`);
      }
      if (opts.exitCode && !isEmptyDiff(r)) throw new UnhealthyError(`'${r.a}' and '${r.b}' have different schemas.`, { hint: 'The differences are listed above.' });
    });

  dbOption(
    branch
      .command('gc')
      .description('delete expired branches (protected ones and parents of live branches are kept)')
      .option('--dry-run', 'only say what would be deleted')
      .option('--json', 'print as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ baas branch gc
  $ baas branch gc --dry-run
Run it from cron or CI; it also removes copies left by interrupted branch commands.`)
    .action(async (opts: Common & { dryRun?: boolean }) => {
      const { gcBranches } = await import('../branch/lifecycle.js');
      const r = await withBranches(app, opts, ({ deps }) => gcBranches(deps, { dryRun: Boolean(opts.dryRun) }), false, !opts.dryRun);
      note(r.repaired);
      if (opts.json) return io.stdout(json(r));
      if (r.deleted.length === 0) io.stdout('No expired branches to delete.\n');
      for (const d of r.deleted) io.stdout(`${r.dryRun ? 'Would delete' : 'Deleted'} '${d.branch}' (expired ${d.expiredAt}).\n`);
      for (const s of r.skipped) io.stdout(`Kept expired '${s.branch}': ${s.reason}.\n`);
    });

  dbOption(
    branch
      .command('rename')
      .description('rename a branch (its sessions are ended: Postgres renames only unused databases)')
      .argument('<old>')
      .argument('<new>')
      .option('--no-disrupt', 'fail instead of ending sessions on the branch')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ baas branch rename feature-x feature-login`)
    .action(async (from: string, to: string, opts: Common & { disrupt: boolean }) => {
      const { renameBranch } = await import('../branch/lifecycle.js');
      const r = await withBranches(app, opts, ({ deps }) => renameBranch(deps, { from, to, disrupt: opts.disrupt }), false, true);
      if (opts.json) return io.stdout(json(r));
      io.stdout(`Renamed branch '${r.from}' to '${r.to}' (database ${r.database})${r.endedSessions ? `; ended ${r.endedSessions} session(s)` : ''}${r.children.length ? `; ${r.children.length} child branch(es) now name it as parent` : ''}.\n`);
    });

  for (const [cmd, value] of [['protect', true], ['unprotect', false]] as const) {
    dbOption(
      branch
        .command(cmd)
        .description(value ? 'protect a branch (or main): no delete or reset, and its sessions are never ended for a copy without --force' : 'remove the protection')
        .argument('<name>', 'a branch, or main')
        .option('--json', 'print the result as JSON'),
    )
      .addHelpText('after', `
Examples:
  $ baas branch ${cmd} ${value ? 'main' : 'feature-x'}`)
      .action(async (name: string, opts: Common) => {
        const { setProtected } = await import('../branch/lifecycle.js');
        const r = await withBranches(app, opts, ({ deps }) => setProtected(deps, name, value), false, true);
        if (opts.json) return io.stdout(json(r));
        io.stdout(`'${r.branch}' is ${r.changed ? 'now' : 'already'} ${value ? 'protected' : 'unprotected'}.\n`);
      });
  }
}
