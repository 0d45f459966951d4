import { describe, expect, it } from 'vitest';
import { ExternalError, translateFailure } from '../../../src/errors.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });
const ctx = {
  dataLocation: (s: string) => (s === 'postgres' ? '/srv/pgdata' : s === 'redis' ? 'the Docker volume baas-x-redis-*-data' : undefined),
  memoryLimit: (s: string) => (s === 'postgres' ? '64m (services.postgres.memory)' : undefined),
};

describe('translateFailure', () => {
  it('names the data location of a full disk, from a Postgres error or one it wraps', () => {
    const direct = translateFailure(pgError('53100', 'could not extend file "base/1/2": No space left on device'), ctx);
    expect(direct).toMatchObject({ code: 'disk_full', exitCode: 7, message: 'Postgres ran out of disk space in /srv/pgdata: the disk is full (No space left on device).' });
    const wrapped = translateFailure(new ExternalError('Migration x failed', { cause: pgError('53100', 'No space left on device') }), ctx);
    expect(wrapped?.code).toBe('disk_full');
  });

  it('recognises Redis refusing writes it cannot persist, and ENOSPC from Node', () => {
    const misconf = Object.assign(new Error("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk."), { name: 'ReplyError' });
    expect(translateFailure(misconf, ctx)?.message).toBe('Redis ran out of disk space in the Docker volume baas-x-redis-*-data: the disk is full (No space left on device).');
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(translateFailure(enospc, {})?.message).toBe('The server ran out of disk space: the disk is full (No space left on device).');
  });

  it('says which path was denied or read-only', () => {
    const eacces = Object.assign(new Error("EACCES: permission denied, mkdir '/srv/x'"), { code: 'EACCES', path: '/srv/x' });
    expect(translateFailure(eacces)).toMatchObject({ code: 'permission_denied', message: 'Permission denied on /srv/x.' });
    const docker = new Error('Docker refused creating container: error while creating mount source path "/data/pg": mkdir /data/pg: read-only file system');
    expect(translateFailure(docker)?.message).toBe('A read-only file system on /data/pg.');
  });

  it('explains too many connections, memory and a port in use', () => {
    expect(translateFailure(pgError('53300', 'sorry, too many clients already'))).toMatchObject({ code: 'too_many_connections' });
    expect(translateFailure(new Error('ERR max number of clients reached'))?.message).toMatch(/^Redis refused the connection/);
    expect(translateFailure(pgError('53200', 'out of memory'), ctx)?.message).toBe('Postgres ran out of memory (its container limit is 64m (services.postgres.memory)).');
    expect(translateFailure(new Error('Bind for 127.0.0.1:5432 failed: port is already allocated'))).toMatchObject({ code: 'port_in_use', exitCode: 5, message: 'Port 5432 is already in use.' });
  });

  it('leaves anything else alone', () => {
    expect(translateFailure(new Error('something else'))).toBeUndefined();
    expect(translateFailure('a string')).toBeUndefined();
  });
});
