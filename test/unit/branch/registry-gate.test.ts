import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sql } from '../../../src/pg/sql.js';
import type { BranchDeps } from '../../../src/branch/types.js';
import { forgetRegistryAbsence, REGISTRY_STATE_FILE, syncRegistryWhenPresent } from '../../../src/branch/registry-gate.js';
import { silentLogger } from '../../../src/log.js';

/** main's write counters and whether it has a registry; counts the sessions opened on main. */
function fakeServer(trackCounts = true) {
  const server = { writes: 100, registry: false, sessionsOnMain: 0, synced: 0 };
  const sql = (onMain: boolean): Sql => ({
    pid: 1,
    async query<R extends object>(text: string): Promise<R[]> {
      if (text.includes('pg_stat_database')) return [{ writes: trackCounts ? `16384/${server.writes}/0/0` : null }] as unknown as R[];
      if (onMain && text.includes('to_regclass')) return [{ t: server.registry ? 'baas_platform.databases' : null }] as unknown as R[];
      if (onMain && text.startsWith('commit')) server.synced++;
      return [];
    },
    async execute() {
      return 0;
    },
    async end() {},
  });
  const deps = {
    sql: sql(false),
    connect: async (db: string) => {
      if (db === 'app') server.sessionsOnMain++;
      return sql(db === 'app');
    },
    maintenanceDatabase: 'postgres',
    mainDatabase: 'app',
    store: { list: async () => [], read: async () => undefined, write: async () => {}, forget: async () => {} },
    cloneSupport: async () => ({ reflink: undefined, detail: '' }),
    now: () => new Date(),
    user: 'me',
    logger: silentLogger,
  } satisfies BranchDeps;
  return { server, deps };
}

const stateDir = (): string => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'baas-gate-')), '.baas');
  mkdirSync(dir);
  return dir;
};

describe('the registry gate', () => {
  it('opens no session on main while main is known to have no registry and was not written since', async () => {
    const { server, deps } = fakeServer();
    const gate = { file: path.join(stateDir(), REGISTRY_STATE_FILE), server: '127.0.0.1:5432' };
    expect(await syncRegistryWhenPresent(deps, gate)).toEqual({ registry: 'absent' });
    expect(server.sessionsOnMain).toBe(1);
    expect(statSync(gate.file).mode & 0o777).toBe(0o600);
    expect(await syncRegistryWhenPresent(deps, gate)).toEqual({ registry: 'absent' });
    expect(await syncRegistryWhenPresent(deps, gate)).toEqual({ registry: 'absent' });
    expect(server.sessionsOnMain).toBe(1);
    // `baas migrate up` creates the registry: catalog rows written in main.
    server.registry = true;
    server.writes += 40;
    expect(await syncRegistryWhenPresent(deps, gate)).toEqual({ registry: 'synced', rows: 0 });
    expect(await syncRegistryWhenPresent(deps, gate)).toEqual({ registry: 'synced', rows: 0 });
    expect(server.sessionsOnMain).toBe(3);
    expect(server.synced).toBe(2);
    expect(JSON.parse(readFileSync(gate.file, 'utf8'))).toEqual({ absent: {} });
  });

  it('checks every time without statistics, on another server, or without a .baas/ directory', async () => {
    const off = fakeServer(false);
    const file = path.join(stateDir(), REGISTRY_STATE_FILE);
    await syncRegistryWhenPresent(off.deps, { file, server: 'a:5432' });
    await syncRegistryWhenPresent(off.deps, { file, server: 'a:5432' });
    expect(off.server.sessionsOnMain).toBe(2);
    const on = fakeServer();
    await syncRegistryWhenPresent(on.deps, { file, server: 'a:5432' });
    await syncRegistryWhenPresent(on.deps, { file, server: 'b:5432' });
    await syncRegistryWhenPresent(on.deps, { file, server: 'a:5432' });
    expect(on.server.sessionsOnMain).toBe(2);
    const nowhere = fakeServer();
    const missing = path.join(os.tmpdir(), `baas-gate-none-${process.pid}`, REGISTRY_STATE_FILE);
    await syncRegistryWhenPresent(nowhere.deps, { file: missing, server: 'a:5432' });
    await syncRegistryWhenPresent(nowhere.deps, { file: missing, server: 'a:5432' });
    expect(nowhere.server.sessionsOnMain).toBe(2);
  });

  it('looks again after migrate up forgot the answer, even before main\'s counters move', async () => {
    const { server, deps } = fakeServer();
    const dir = stateDir();
    const gate = { file: path.join(dir, REGISTRY_STATE_FILE), server: '127.0.0.1:5432' };
    expect(await syncRegistryWhenPresent(deps, gate)).toEqual({ registry: 'absent' });
    // The registry exists, but the session that created it has not published its counters yet.
    server.registry = true;
    expect(await syncRegistryWhenPresent(deps, gate)).toEqual({ registry: 'absent' });
    forgetRegistryAbsence(dir);
    forgetRegistryAbsence(dir); // nothing left: no error
    expect(await syncRegistryWhenPresent(deps, gate)).toEqual({ registry: 'synced', rows: 0 });
  });
});
