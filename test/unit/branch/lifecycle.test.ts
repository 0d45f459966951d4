import { describe, expect, it } from 'vitest';
import { createBranch, deleteBranch, gcBranches, resetBranch, renameBranch, setProtected } from '../../../src/branch/lifecycle.js';
import { listBranches } from '../../../src/branch/list.js';
import { repairLeftovers } from '../../../src/branch/copy.js';
import { encodeMeta, decodeMeta } from '../../../src/branch/meta.js';
import { BaasError, InterruptedError } from '../../../src/errors.js';
import { FakeServer } from './fake-server.js';

async function rejects(p: Promise<unknown>): Promise<BaasError> {
  try {
    await p;
  } catch (e) {
    return e as BaasError;
  }
  throw new Error('expected a rejection');
}

describe('createBranch', () => {
  it('copies main into br_<name> through a temporary database and records parent, creator, expiry', async () => {
    const s = new FakeServer();
    const r = await createBranch(s.deps(), { name: 'feature-x', ttlMs: 86_400_000, protect: true });
    expect(r.database).toBe('br_feature-x');
    expect(r.choice.strategy).toBe('clone');
    expect(s.log.some((l) => /^CREATE DATABASE "br__tmp_[0-9a-f]+" TEMPLATE "app" OWNER "postgres" STRATEGY FILE_COPY$/.test(l))).toBe(true);
    expect(s.log).toContain('SET file_copy_method = clone');
    const meta = decodeMeta(s.dbs.get('br_feature-x')?.comment);
    expect(meta).toMatchObject({ kind: 'branch', branch: 'feature-x', parent: 'main', creator: 'tester', protected: true, expiresAt: '2026-06-02T12:00:00.000Z' });
    expect([...s.dbs.keys()].some((d) => d.startsWith('br__tmp_'))).toBe(false);
    expect(s.dbs.get('app')?.allow).toBe(true);
    expect(s.locks.size).toBe(0);
  });

  it('pauses the parent, ends its sessions and reports them, then allows connections again', async () => {
    const s = new FakeServer();
    s.session('app', 777);
    const r = await createBranch(s.deps(), { name: 'b' });
    expect(r.pause?.paused).toBe(true);
    expect(r.pause?.terminated.map((t) => t.pid)).toEqual([777]);
    const i = s.log.indexOf('ALTER DATABASE "app" ALLOW_CONNECTIONS false');
    const j = s.log.indexOf('ALTER DATABASE "app" ALLOW_CONNECTIONS true');
    const create = s.log.findIndex((l) => l.startsWith('CREATE DATABASE'));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(i < create && create < j).toBe(true);
    expect(s.dbs.get('app')?.allow).toBe(true);
  });

  it('checkpoints before pausing the parent, so the checkpoint inside FILE_COPY has nothing left to flush', async () => {
    for (const strategy of ['clone', 'file_copy'] as const) {
      const s = new FakeServer();
      s.session('app', 778);
      await createBranch(s.deps(), { name: `b-${strategy.replace('_', '-')}`, strategy });
      const checkpoint = s.log.indexOf('CHECKPOINT');
      const pause = s.log.indexOf('ALTER DATABASE "app" ALLOW_CONNECTIONS false');
      const terminate = s.log.findIndex((l) => /pg_terminate_backend/.test(l));
      expect(checkpoint, strategy).toBeGreaterThanOrEqual(0);
      expect(checkpoint < pause && pause < terminate, strategy).toBe(true);
    }
    const w = new FakeServer();
    await createBranch(w.deps(), { name: 'small', strategy: 'wal_log' });
    expect(w.log).not.toContain('CHECKPOINT'); // WAL_LOG forces no checkpoint: nothing to get ahead of
  });

  it('with --no-disrupt fails with exit 5 listing the blocking sessions, touching nothing', async () => {
    const s = new FakeServer();
    s.session('app', 555);
    const e = await rejects(createBranch(s.deps(), { name: 'b', disrupt: false }));
    expect(e.exitCode).toBe(5);
    expect(e.details.join('\n')).toMatch(/pid 555: my-app, app from 10\.0\.0\.9, since 2026-01-01/);
    expect(s.log.some((l) => /ALLOW_CONNECTIONS|CREATE DATABASE|terminate/.test(l))).toBe(false);
    expect(s.dbs.has('br_b')).toBe(false);
  });

  it('never disrupts a protected parent without --force', async () => {
    const s = new FakeServer();
    await createBranch(s.deps(), { name: 'staging', protect: true });
    s.session('br_staging', 9);
    const e = await rejects(createBranch(s.deps(), { name: 'child', from: 'staging' }));
    expect(e.exitCode).toBe(5);
    expect(e.message).toContain('protected');
    const r = await createBranch(s.deps(), { name: 'child', from: 'staging', force: true });
    expect(r.pause?.terminated).toHaveLength(1);
  });

  it('leaves no branch and re-allows connections when CREATE DATABASE fails', async () => {
    const s = new FakeServer();
    s.failOn = { pattern: /^CREATE DATABASE/, message: 'could not write to file: No space left on device' };
    const e = await rejects(createBranch(s.deps(), { name: 'b' }));
    expect(e.exitCode).toBe(7);
    expect(e.message).toContain('No space left');
    expect([...s.dbs.keys()].filter((d) => d.startsWith('br_'))).toEqual([]);
    expect(s.dbs.get('app')?.allow).toBe(true);
    expect(s.locks.size).toBe(0);
  });

  it('drops the copy when registering it fails after the copy', async () => {
    const s = new FakeServer();
    s.failOn = { pattern: /^COMMENT ON DATABASE/ };
    await rejects(createBranch(s.deps(), { name: 'b' }));
    expect([...s.dbs.keys()].filter((d) => d.startsWith('br_'))).toEqual([]);
    expect(s.dbs.get('app')?.allow).toBe(true);
  });

  it('cancels the copy and re-opens the parent when interrupted', async () => {
    const s = new FakeServer();
    const controller = new AbortController();
    s.failOn = { pattern: /^CREATE DATABASE/, code: '57014', message: 'canceling statement due to user request' };
    controller.abort();
    const deps = s.deps({ signal: controller.signal });
    const e = await rejects(createBranch(deps, { name: 'b' }));
    expect(e).toBeInstanceOf(InterruptedError);
    expect(e.exitCode).toBe(130);
    expect(s.dbs.get('app')?.allow).toBe(true);
    expect(s.dbs.has('br_b')).toBe(false);
  });

  it('refuses existing names, unknown parents and main as a name', async () => {
    const s = new FakeServer(['postgres', 'app', 'br_taken']);
    expect((await rejects(createBranch(s.deps(), { name: 'taken' }))).exitCode).toBe(5);
    expect((await rejects(createBranch(s.deps(), { name: 'x', from: 'nope' }))).exitCode).toBe(2);
    expect((await rejects(createBranch(s.deps(), { name: 'main' }))).exitCode).toBe(2);
    expect((await rejects(createBranch(s.deps(), { name: 'x"; drop database app; --' }))).exitCode).toBe(2);
    expect(s.log.some((l) => l.includes('drop database app'))).toBe(false);
  });

  it('explains without changing anything', async () => {
    const s = new FakeServer();
    s.session('app');
    const r = await createBranch(s.deps({ cloneSupport: async () => ({ reflink: false, detail: 'ext4 cannot clone files' }) }), { name: 'b', explain: true });
    expect(r.created).toBe(false);
    expect(r.choice.strategy).toBe('wal_log');
    expect(r.choice.fallback).toContain('WAL');
    expect(r.disruption.sessions).toHaveLength(1);
    expect(s.log.some((l) => /ALLOW_CONNECTIONS|CREATE|COMMENT/.test(l))).toBe(false);
  });
});

describe('repairLeftovers', () => {
  it('re-allows connections on a parent left paused by a crash and removes unfinished copies', async () => {
    const s = new FakeServer(['postgres', 'app', 'br__tmp_dead']);
    s.dbs.get('app')!.allow = false;
    const notes = await repairLeftovers(s.deps());
    expect(s.dbs.get('app')?.allow).toBe(true);
    expect(s.dbs.has('br__tmp_dead')).toBe(false);
    expect(notes.join('\n')).toMatch(/'main' was left refusing connections/);
  });

  it('leaves a parent alone while another session holds its copy lock', async () => {
    const s = new FakeServer();
    s.dbs.get('app')!.allow = false;
    s.locks.add('copy:app');
    expect(await repairLeftovers(s.deps())).toEqual([]);
    expect(s.dbs.get('app')?.allow).toBe(false);
  });

  it('finishes a reset interrupted between dropping the old branch and renaming the new copy', async () => {
    const s = new FakeServer(['postgres', 'app', 'br__tmp_abc']);
    s.dbs.get('br__tmp_abc')!.comment = encodeMeta({ kind: 'branch', branch: 'f', parent: 'main', createdAt: null, creator: null, expiresAt: null, protected: false, resetAt: '2026-01-01T00:00:00Z' });
    await repairLeftovers(s.deps());
    expect(s.dbs.has('br_f')).toBe(true);
  });
});

describe('reset, delete, rename, protect, gc', () => {
  it('refuses to delete main, protected branches and branches with children', async () => {
    const s = new FakeServer();
    const d = s.deps();
    await createBranch(d, { name: 'p', protect: true });
    await createBranch(d, { name: 'a' });
    await createBranch(d, { name: 'a1', from: 'a' });
    expect((await rejects(deleteBranch(d, { name: 'main' }))).exitCode).toBe(2);
    expect((await rejects(deleteBranch(d, { name: 'p' }))).exitCode).toBe(5);
    expect((await rejects(deleteBranch(d, { name: 'a' }))).exitCode).toBe(5);
    expect((await rejects(resetBranch(d, { name: 'a' }))).exitCode).toBe(5);
    expect((await rejects(resetBranch(d, { name: 'p' }))).exitCode).toBe(5);
    await setProtected(d, 'p', false);
    await deleteBranch(d, { name: 'p' });
    expect(s.dbs.has('br_p')).toBe(false);
  });

  it('reset keeps name and metadata and records when it happened', async () => {
    const s = new FakeServer();
    const d = s.deps();
    await createBranch(d, { name: 'r', ttlMs: 3_600_000 });
    const before = decodeMeta(s.dbs.get('br_r')!.comment)!;
    const r = await resetBranch(d, { name: 'r' });
    expect(r.parent).toBe('main');
    const after = decodeMeta(s.dbs.get('br_r')!.comment)!;
    expect(after).toMatchObject({ ...before, resetAt: '2026-06-01T12:00:00.000Z' });
    expect([...s.dbs.keys()].some((k) => k.startsWith('br__tmp'))).toBe(false);
  });

  it('rename moves the metadata and re-points children', async () => {
    const s = new FakeServer();
    const d = s.deps();
    await createBranch(d, { name: 'old' });
    await createBranch(d, { name: 'kid', from: 'old' });
    await renameBranch(d, { from: 'old', to: 'new' });
    expect(decodeMeta(s.dbs.get('br_new')!.comment)?.branch).toBe('new');
    expect(decodeMeta(s.dbs.get('br_kid')!.comment)?.parent).toBe('new');
    expect(s.dbs.get('br_new')?.allow).toBe(true);
  });

  it('gc deletes expired branches leaf first and keeps protected ones; list flags them', async () => {
    const s = new FakeServer();
    let now = new Date('2026-06-01T12:00:00Z');
    const d = s.deps({ now: () => now });
    await createBranch(d, { name: 'e1', ttlMs: 60_000 });
    await createBranch(d, { name: 'e2', from: 'e1', ttlMs: 60_000 });
    await createBranch(d, { name: 'keep', ttlMs: 60_000, protect: true });
    await createBranch(d, { name: 'live' });
    now = new Date('2026-06-01T13:00:00Z');
    const list = await listBranches(d);
    expect(list.branches.filter((b) => b.expired).map((b) => b.name).sort()).toEqual(['e1', 'e2', 'keep']);
    const r = await gcBranches(d);
    expect(r.deleted.map((x) => x.branch)).toEqual(['e2', 'e1']);
    expect(r.skipped).toEqual([{ branch: 'keep', reason: 'protected' }]);
    expect([...s.dbs.keys()].sort()).toEqual(['app', 'br_keep', 'br_live', 'postgres']);
  });

  it('protects main through a metadata record on its database', async () => {
    const s = new FakeServer();
    const d = s.deps();
    await setProtected(d, 'main', true);
    expect(decodeMeta(s.dbs.get('app')!.comment)).toMatchObject({ kind: 'main', protected: true });
    s.session('app');
    expect((await rejects(createBranch(d, { name: 'x' }))).message).toContain('protected');
  });
});
