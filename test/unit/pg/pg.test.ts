import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ExitCode, ExternalError, TimeoutError } from '../../../src/errors.js';
import { clientConfig, connectPg } from '../../../src/pg/client.js';
import { PgConnectError, connectFailure, isDiskFull, translateConnectError, translateQueryError } from '../../../src/pg/errors.js';
import { escapeIdentifier, escapeLiteral, quoteIdent, quoteLiteral } from '../../../src/pg/escape.js';
import { sqlState } from '../../../src/pg/sql.js';
import { databaseOf, describeServer, withDatabase } from '../../../src/pg/url.js';

const pgError = (code: string, message: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), { code, severity: 'ERROR', ...extra });
const errno = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('clientConfig', () => {
  it('sets timeouts and application_name, and leaves TLS off unless asked', () => {
    const c = clientConfig('postgres://u:p@127.0.0.1:5432/db', { applicationName: 'x', connectTimeoutMs: 1234, statementTimeoutMs: 99 });
    expect(c).toMatchObject({ connectionTimeoutMillis: 1234, statement_timeout: 99, application_name: 'x' });
    expect('ssl' in c).toBe(false);
    expect(clientConfig('postgres://h/db').application_name).toBe('baas');
  });

  it('passes TLS settings through to the driver', () => {
    expect(clientConfig('postgres://h/db', { ssl: { ca: 'PEM', servername: 'db' } }).ssl).toEqual({ ca: 'PEM', servername: 'db' });
    expect(clientConfig('postgres://h/db', { ssl: false }).ssl).toBe(false);
  });
});

describe('translateConnectError', () => {
  const server = 'postgres://app:***@127.0.0.1:5432/app';
  it.each([
    [errno('ECONNREFUSED'), 'refused', /connection refused/],
    [errno('ENOTFOUND'), 'unresolved', /does not resolve/],
    [new Error('timeout expired'), 'timeout', /timed out/],
    [pgError('28P01', 'password authentication failed for user "app"'), 'auth', /password authentication failed/],
    [pgError('28000', 'no pg_hba.conf entry'), 'role-rejected', /rejected the role/],
    [pgError('3D000', 'database "nope" does not exist'), 'database-missing', /does not exist/],
    [pgError('57P03', 'the database system is starting up'), 'not-accepting', /starting up/],
  ])('names why: %s', (e, reason, text) => {
    const t = translateConnectError(e, { server }) as PgConnectError;
    expect(t).toBeInstanceOf(PgConnectError);
    expect(t.reason).toBe(reason);
    expect(t.exitCode).toBe(ExitCode.external);
    expect(t.message).toMatch(text);
    expect(t.message).toContain(server);
    expect(t.hint).toBeTruthy();
    expect(t.cause).toBe(e);
    // A server that is still starting may answer later: waits keep polling.
    expect(t.retryable).toBe(true);
  });

  it('keeps the SQLSTATE reachable through the translated error', () => {
    const t = translateConnectError(pgError('3D000', 'database "x" does not exist'), { server });
    expect(sqlState(t)).toBe('3D000');
  });

  it('says where the data lives when the disk is full', () => {
    const e = pgError('53100', 'could not extend file "base/16384/2619": No space left on device');
    expect(isDiskFull(e)).toBe(true);
    expect(isDiskFull(new Error('FATAL: could not write to file "pg_wal/xlogtemp.42": No space left on device'))).toBe(true);
    const t = translateConnectError(e, { server, dataLocation: '/srv/pg' });
    expect(t).toBeInstanceOf(ExternalError);
    expect(t.message).toBe('Postgres ran out of disk space in /srv/pg: the disk is full (No space left on device).');
    expect((t as ExternalError).hint).toContain('/srv/pg');
  });
});

describe('translateQueryError', () => {
  it('leaves ordinary server errors alone so callers can branch on their code', () => {
    const e = pgError('23505', 'duplicate key');
    expect(translateQueryError(e)).toBe(e);
    const cancel = pgError('57014', 'canceling statement due to user request');
    expect(translateQueryError(cancel, { statementTimeoutMs: 1000 })).toBe(cancel);
  });

  it('turns a statement timeout and a full disk into typed errors', () => {
    expect(translateQueryError(pgError('57014', 'canceling statement due to statement timeout'), { statementTimeoutMs: 2000 })).toBeInstanceOf(TimeoutError);
    const full = translateQueryError(pgError('53100', 'could not extend file: No space left on device'), { dataLocation: 'the Docker volume v' }) as Error;
    expect(full.message).toContain('the Docker volume v');
  });

  it('classifies an unknown failure as other', () => {
    expect(connectFailure(new Error('weird'))).toBe('other');
  });
});

describe('connectPg', () => {
  it('reports a closed port as a refused connection without the password (exit 7)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const err = await connectPg(`postgres://app:hunter2@127.0.0.1:${port}/app`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgConnectError);
    expect((err as PgConnectError).reason).toBe('refused');
    expect((err as Error).message).toContain(`app:***@127.0.0.1:${port}`);
    expect((err as Error).message).not.toContain('hunter2');
  });
});

/**
 * A server that answers the startup message with a password request of the given kind
 * (3 clear text, 5 MD5 with a salt, 10 SASL/SCRAM) and records every byte it receives after it.
 */
async function passwordAsker(code: 3 | 5 | 10): Promise<{ port: number; received: () => Buffer; close: () => void }> {
  const got: Buffer[] = [];
  const server = net.createServer((socket) => {
    let startup = true;
    socket.on('data', (d) => {
      if (!startup) return void got.push(d);
      startup = false;
      const body = code === 5 ? Buffer.from([0, 0, 0, 5, 1, 2, 3, 4]) : code === 10 ? Buffer.concat([Buffer.from([0, 0, 0, 10]), Buffer.from('SCRAM-SHA-256\0\0')]) : Buffer.from([0, 0, 0, 3]);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(body.length + 4);
      socket.write(Buffer.concat([Buffer.from('R'), len, body]));
    });
    socket.on('error', () => {});
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
  return { port, received: () => Buffer.concat(got), close: () => server.close() };
}

describe('connectPg with scramOnly', () => {
  it.each([
    [3, 'clear text'],
    [5, 'MD5'],
  ] as const)('never sends the password when the server asks for it in %s (%s)', async (code) => {
    const s = await passwordAsker(code);
    try {
      const err = await connectPg(`postgres://postgres:hunter2@127.0.0.1:${s.port}/postgres`, { scramOnly: true, connectTimeoutMs: 2000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error).message)).toMatch(/instead of SCRAM/);
      await new Promise((r) => setTimeout(r, 100));
      expect(s.received().toString('latin1')).not.toContain('hunter2');
      expect(s.received().includes(Buffer.from('p'))).toBe(false);
    } finally {
      s.close();
    }
  });

  it('answers a SCRAM request (the password itself never goes on the wire), and without scramOnly a clear-text one', async () => {
    const scram = await passwordAsker(10);
    const plain = await passwordAsker(3);
    try {
      await connectPg(`postgres://postgres:hunter2@127.0.0.1:${scram.port}/postgres`, { scramOnly: true, connectTimeoutMs: 300 }).catch(() => undefined);
      expect(scram.received().toString('latin1')).toContain('SCRAM-SHA-256');
      expect(scram.received().toString('latin1')).not.toContain('hunter2');
      await connectPg(`postgres://postgres:hunter2@127.0.0.1:${plain.port}/postgres`, { connectTimeoutMs: 300 }).catch(() => undefined);
      expect(plain.received().toString('latin1')).toContain('hunter2');
    } finally {
      scram.close();
      plain.close();
    }
  });
});

describe('escaping', () => {
  it("uses the driver's own quoting, which survives backslashes", () => {
    expect(quoteIdent).toBe(escapeIdentifier);
    expect(quoteLiteral).toBe(escapeLiteral);
    expect(escapeIdentifier('a"b')).toBe('"a""b"');
    expect(escapeLiteral("it's")).toBe("'it''s'");
    // With standard_conforming_strings off, 'a\\' would end the literal early; E'' does not.
    expect(escapeLiteral('a\\')).toBe(" E'a\\\\'");
  });
});

describe('connection URLs', () => {
  it('swaps and reads the database, and names the server without credentials', () => {
    expect(withDatabase('postgres://u:p@h:5433/app', 'br_x')).toBe('postgres://u:p@h:5433/br_x');
    expect(databaseOf('postgres://u:p@h/')).toBe('u');
    expect(describeServer('postgres://u:secret@h:5433/app')).toBe('h:5433');
  });
});
