import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { makeContext } from '../../../src/stack/context.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { desiredServices, resolvePorts } from '../../../src/stack/desired.js';
import { REDIS_START } from '../../../src/services/redis.js';
import {
  archiveCommand,
  archiverFromRow,
  backupVolumes,
  judgeArchiver,
  restoreCommand,
} from '../../../src/services/postgres-backups.js';
import { parseBackupLabel, repositoryError } from '../../../src/backup/create.js';
import { MONGODUMP_SCRIPT, MONGORESTORE_SCRIPT } from '../../../src/backup/mongo.js';
import { recoveryCommand, recoveryMounts, settingsOf } from '../../../src/backup/recovery.js';
import { pickSnapshotNode, SEED_AOF_SCRIPT } from '../../../src/backup/redis.js';
import { restoredConfig } from '../../../src/backup/restore.js';
import { COPY_SCRIPT, EXTRACT_SCRIPT } from '../../../src/backup/repo.js';
import { ownerGone } from '../../../src/backup/toolbox.js';
import type { HealthReport } from '../../../src/services/types.js';

const ctxFor = (yaml = '') => makeContext({ config: parseConfigText(`project: unit\n${yaml}`), file: undefined, dir: '/srv/unit' }, '10.220.5.0/24', generateSecrets(), { BAAS_LABELS: 'baas.test=1' });
const pgDef = (yaml = '') => {
  const ctx = ctxFor(yaml);
  return desiredServices(ctx, resolvePorts(ctx.config, [], () => 5555)).find((d) => d.kind === 'postgres')!;
};

describe('backups in the configuration', () => {
  it('are on by default in the server profile and off locally, with the documented defaults', () => {
    expect(parseConfigText('').backups).toEqual({ enabled: false, dir: 'volume', archiveTimeout: 60, keep: 7 });
    expect(parseConfigText('profile: server').backups.enabled).toBe(true);
    expect(parseConfigText('profile: server\nbackups: { enabled: false }').backups.enabled).toBe(false);
    expect(parseConfigText('backups: { enabled: true, dir: /srv/backups, keep: 3, archiveTimeout: 30 }').backups).toEqual({ enabled: true, dir: '/srv/backups', archiveTimeout: 30, keep: 3 });
  });

  it('refuses archive settings of your own while backups are on, and bad values, with their key paths', () => {
    const e = (() => {
      try {
        parseConfigText('backups: { enabled: true, keep: 0, dir: relative }\nservices:\n  postgres:\n    settings:\n      archive_command: "cp %p /x"\n');
      } catch (x) {
        return x as ConfigError;
      }
      throw new Error('no error');
    })();
    expect(e.issues.map((i) => i.path).sort()).toEqual(['backups.dir', 'backups.keep', 'services.postgres.settings.archive_command']);
    expect(() => parseConfigText('services:\n  postgres:\n    settings:\n      archive_command: "cp %p /x"\n')).not.toThrow();
    expect(() => parseConfigText('backups: { enabled: true, dir: /srv/pg }\nservices:\n  postgres:\n    data: /srv/pg/\n')).toThrow(ConfigError);
  });
});

describe('the Postgres container with backups on', () => {
  it('mounts the repository, archives with gzip into the project part of it and creates its directories at start', () => {
    const def = pgDef('backups: { enabled: true, archiveTimeout: 30 }');
    expect(def.spec.mounts).toContainEqual({ type: 'volume', source: 'baas-unit-backups', target: '/var/lib/baas-backups' });
    expect(def.spec.cmd).toContain('archive_mode=on');
    expect(def.spec.cmd).toContain('archive_timeout=30s');
    expect(def.spec.cmd).toContain(`archive_command=${archiveCommand('unit')}`);
    expect(def.spec.cmd[2]).toMatch(/^mkdir -p "\/var\/lib\/baas-backups\/unit\/wal"/);
    expect(def.extraVolumes).toEqual([{ name: 'baas-unit-backups', labels: { 'baas.test': '1', 'baas.backups': 'unit' } }]);
  });

  it('binds a host path and leaves the container as it was when backups are off', () => {
    expect(pgDef('backups: { enabled: true, dir: ./bk }').spec.mounts).toContainEqual({ type: 'bind', source: '/srv/unit/bk', target: '/var/lib/baas-backups' });
    const off = pgDef();
    expect(off.spec.mounts).toHaveLength(1);
    expect(off.spec.cmd.join(' ')).not.toMatch(/archive/);
    expect(off.extraVolumes).toEqual([]);
    expect(backupVolumes(ctxFor('backups: { enabled: true, dir: /x }'))).toEqual([]);
  });

  it('archives through a temporary name and accepts an existing file only with the same content', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-archive-'));
    const root = path.join(dir, 'repo');
    const run = (cmd: string, p: string, f: string): number => {
      const shell = cmd.replaceAll('/var/lib/baas-backups', root).replaceAll('%p', p).replaceAll('%f', f);
      try {
        execFileSync('sh', ['-c', shell], { stdio: 'ignore' });
        return 0;
      } catch (e) {
        return (e as { status: number }).status;
      }
    };
    execFileSync('mkdir', ['-p', `${root}/unit/wal`]);
    writeFileSync(path.join(dir, 'seg'), 'wal bytes');
    expect(run(archiveCommand('unit'), path.join(dir, 'seg'), '000000010000000000000001')).toBe(0);
    expect(run(archiveCommand('unit'), path.join(dir, 'seg'), '000000010000000000000001')).toBe(0); // a retry
    writeFileSync(path.join(dir, 'other'), 'different');
    expect(run(archiveCommand('unit'), path.join(dir, 'other'), '000000010000000000000001')).not.toBe(0);
    expect(run(restoreCommand('unit'), path.join(dir, 'back'), '000000010000000000000001')).toBe(0);
    expect(readFileSync(path.join(dir, 'back'), 'utf8')).toBe('wal bytes');
    expect(run(restoreCommand('unit'), path.join(dir, 'back2'), '000000010000000000000009')).not.toBe(0);
  });

  it('makes health unhealthy while archiving fails, naming the repository', () => {
    const ok: HealthReport = { service: 'postgres', kind: 'postgres', status: 'healthy', detail: 'Postgres 18.4' };
    const failing = archiverFromRow({ mode: 'on', archived_count: 3, failed_count: 2, last_archived_wal: 'A', last_archived_time: '2026-01-01T10:00:00Z', last_failed_wal: 'B', last_failed_time: '2026-01-01T10:05:00Z' });
    expect(failing.failing).toBe(true);
    const h = judgeArchiver(ok, failing, '/srv/backups', new Date('2026-01-01T10:05:10Z'));
    expect(h.status).toBe('unhealthy');
    expect(h.detail).toBe('Postgres 18.4; WAL archiving failing: 2 failure(s), last B 10 s ago (repository: /srv/backups; see `baas backup list`)');
    const recovered = archiverFromRow({ mode: 'on', archived_count: 4, failed_count: 2, last_archived_wal: 'B', last_archived_time: '2026-01-01T10:06:00Z', last_failed_wal: 'B', last_failed_time: '2026-01-01T10:05:00Z' });
    expect(judgeArchiver(ok, recovered, '/x', new Date('2026-01-01T10:06:01Z'))).toMatchObject({ status: 'healthy', detail: 'Postgres 18.4; WAL archived up to B (1 s ago)' });
    expect(judgeArchiver(ok, archiverFromRow({ mode: 'off' }), '/x')).toEqual({ ...ok });
  });
});

describe('Redis in backups', () => {
  it('writes AOF with fsync every second', () => {
    expect(REDIS_START).toMatch(/appendonly yes"\n\s+echo "appendfsync everysec"/);
  });

  it('snapshots a replica whose link is up, else the master', () => {
    const master = { name: 'redis-1', info: { role: 'master' } };
    const syncing = { name: 'redis-2', info: { role: 'slave', master_link_status: 'up', master_sync_in_progress: '1' } };
    const replica = { name: 'redis-3', info: { role: 'slave', master_link_status: 'up', master_sync_in_progress: '0' } };
    expect(pickSnapshotNode([master, syncing, replica])).toEqual({ name: 'redis-3', role: 'replica' });
    expect(pickSnapshotNode([master, syncing])).toEqual({ name: 'redis-1', role: 'master' });
    expect(pickSnapshotNode([])).toBeUndefined();
  });

  it('restores the snapshot as the base of the append-only log (Redis 7 ignores dump.rdb with appendonly yes)', () => {
    expect(SEED_AOF_SCRIPT).toContain('cp "$RDB" /data/appendonlydir/appendonly.aof.1.base.rdb');
    expect(SEED_AOF_SCRIPT).toContain("printf 'file appendonly.aof.1.base.rdb seq 1 type b\\n' > /data/appendonlydir/appendonly.aof.manifest");
  });
});

describe('MongoDB in backups (the official image tools; never run against a server here)', () => {
  it('dumps with the oplog and restores replaying it, the password only in a file only root can read', () => {
    expect(MONGODUMP_SCRIPT).toMatch(/mongodump --config="\$cfg" --username=root --authenticationDatabase=admin .* --oplog --gzip --archive="\$OUT"/);
    expect(MONGORESTORE_SCRIPT).toMatch(/mongorestore .* --oplogReplay --drop --gzip --archive="\$IN"/);
    for (const s of [MONGODUMP_SCRIPT, MONGORESTORE_SCRIPT]) {
      expect(s).toContain('umask 077');
      expect(s).toContain(`printf 'password: "%s"\\n' "$MONGO_PASSWORD" > "$cfg"`);
      expect(s).not.toMatch(/--password/);
    }
  });
});

describe('base backups', () => {
  it('reads the start segment and timeline from the backup label', () => {
    const label = 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nCHECKPOINT LOCATION: 0/2000080\nBACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: 2026-11-30 12:44:08 UTC\nLABEL: baas x\nSTART TIMELINE: 1\n';
    expect(parseBackupLabel(label)).toEqual({ startWal: '000000010000000000000002', timeline: 1 });
    expect(() => parseBackupLabel('garbage')).toThrow(/cannot read/);
  });

  it('copies without the WAL, the pid file and temporary files, accepting only files that vanished', () => {
    for (const x of ['pg_wal', 'postmaster.pid', 'postmaster.opts', 'pg_replslot', 'pg_stat_tmp']) expect(COPY_SCRIPT).toContain(x);
    expect(COPY_SCRIPT).toContain('cp -a --reflink=always');
    expect(COPY_SCRIPT).toContain("grep -v 'No such file or directory'");
    expect(COPY_SCRIPT).toContain("--exclude='./pg_wal/*'");
    expect(EXTRACT_SCRIPT).toContain(': > "$T/recovery.signal"');
    expect(EXTRACT_SCRIPT).toContain('mv "$DATA" "$KEEP"');
  });

  it('names the repository and what to do when it is full or read-only', () => {
    expect(repositoryError('/srv/b', 'gzip: stdout: No space left on device', 'copying the data directory').message).toBe('The backup repository /srv/b is full: copying the data directory failed (gzip: stdout: No space left on device).');
    expect(repositoryError('/srv/b', "mkdir: cannot create directory '/x': Read-only file system", 'writing a test file').message).toMatch(/^The backup repository \/srv\/b is not writable/);
  });

  it('does not judge an owner on another host as gone', () => {
    expect(ownerGone({ host: 'some-other-host', pid: 1 })).toBe(false);
    expect(ownerGone({ host: os.hostname(), pid: process.pid })).toBe(false);
    expect(ownerGone({ host: os.hostname(), pid: 2 ** 22 + 12345 })).toBe(true);
    expect(ownerGone(undefined)).toBe(true);
  });
});

describe('recovery', () => {
  it("runs the stack's own start script and settings, without its archiving, plus restore_command and the target", () => {
    const def = pgDef('backups: { enabled: true }\nservices:\n  postgres:\n    settings:\n      shared_buffers: 64MB\n');
    const cmd = recoveryCommand({ def, project: 'unit', target: { recovery_target_time: '2026-01-01 10:00:00.000+00', recovery_target_action: 'promote' }, archive: false });
    expect(cmd.slice(0, 3)).toEqual(def.spec.cmd.slice(0, 3));
    const s = settingsOf(cmd);
    expect(s).toMatchObject({ shared_buffers: '64MB', max_connections: '100', listen_addresses: '', archive_mode: 'off', restore_command: restoreCommand('unit'), recovery_target_time: '2026-01-01 10:00:00.000+00', recovery_target_action: 'promote' });
    expect(s['archive_command']).toBeUndefined();
    const inPlace = settingsOf(recoveryCommand({ def, project: 'unit', target: {}, archive: true, publish: { container: 5432, host: 1, hostIp: '127.0.0.1' } }));
    expect(inPlace).toMatchObject({ archive_mode: 'on', archive_command: archiveCommand('unit'), listen_addresses: '*' });
  });

  it('mounts the data to recover and the repository in place of the stack’s', () => {
    const def = pgDef('backups: { enabled: true }');
    const data = { type: 'volume' as const, source: 'v2', target: '/var/lib/postgresql/data' };
    const repo = { type: 'volume' as const, source: 'r', target: '/var/lib/baas-backups', readOnly: true };
    expect(recoveryMounts({ def, data, repo })).toEqual([data, repo]);
  });

  it('gives the new stack the source configuration under its own name, automatic ports and no archiving', () => {
    const loaded = { config: parseConfigText('project: shop\nbackups: { enabled: true }\nservices:\n  postgres:\n    port: 5433\n    settings: { shared_buffers: 64MB }\n'), file: '/srv/shop/platform.config.yaml', dir: '/srv/shop' };
    const text = restoredConfig(loaded, 'drill', { redis: false, pgData: 'volume' });
    const c = parseConfigText(text);
    expect(c.project).toBe('drill');
    expect(c.services.postgres).toMatchObject({ port: 'auto', data: 'volume', settings: { shared_buffers: '64MB' } });
    expect(c.services.redis.enabled).toBe(false);
    expect(c.services.mongo.enabled).toBe(false);
    expect(c.backups.enabled).toBe(false);
    expect(c.migrations.dir).toBe('/srv/shop/db/migrations');
    expect(parseConfigText(restoredConfig(loaded, 'drill', { redis: true, pgData: '/x/pg-drill' })).services.redis).toMatchObject({ enabled: true, port: 'auto', sentinelPort: 'auto' });
  });
});

describe('the dashboard Postgres line', () => {
  it('says when WAL archiving fails, and nothing about it when archiving is off', async () => {
    const { PostgresProbe } = await import('../../../src/dashboard/service-probes.js');
    const row = (extra: Record<string, unknown>) => ({ connections: 2, max_connections: 100, databases: 1, branches: 0, mode: 'on', failed_count: 3, last_archived_wal: 'A', last_archived_time: new Date(Date.now() - 60_000), last_failed_wal: 'B', last_failed_time: new Date(), ...extra });
    const probe = (r: Record<string, unknown>) => new PostgresProbe({ open: async () => ({ pid: 1, query: async () => [r], execute: async () => 0, end: async () => {} }) as never });
    const failing = probe(row({}));
    await failing.sample();
    expect(failing.line).toMatchObject({ reachable: true, archiving: 'failing', detail: expect.stringMatching(/^2\/100 connections, 1 database\(s\) \(0 branches\); WAL archiving failing: 3 failure\(s\), last B/) });
    const off = probe(row({ mode: 'off' }));
    await off.sample();
    expect(off.line.detail).toBe('2/100 connections, 1 database(s) (0 branches)');
    expect(off.line).not.toHaveProperty('archiving');
  });
});
