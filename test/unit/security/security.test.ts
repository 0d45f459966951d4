import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { nodeAcl, nodeConf, sentinelAuthConf, sentinelConf, redisCredentials } from '../../../src/services/redis-conf.js';
import { pgHba, postgresSettings, postgresUrls } from '../../../src/services/postgres.js';
import { redisConnection } from '../../../src/services/redis.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { makeContext } from '../../../src/stack/context.js';
import { desiredServices, resolvePorts } from '../../../src/stack/desired.js';
import { tightenDir, writeSecretFiles, syncSecretsScript } from '../../../src/security/files.js';
import { ensureCa, issueCert, certState, validateByo, namesFor, parseSubjectAltName, summarize, caCertPath, serviceCertPath } from '../../../src/security/tls.js';
import { exposureProblems, loginsFor, type ExposedPort } from '../../../src/security/exposure.js';
import { clientNames } from '../../../src/security/service-files.js';
import { judgeReplica, topologyProblems, type Topology } from '../../../src/ha/topology.js';
import { allSecretValues } from '../../../src/model/secrets.js';

const ctxFor = (yaml = '', dir = '/srv/unit') => makeContext({ config: parseConfigText(`project: unit\n${yaml}`), file: undefined, dir }, '10.220.5.0/24', generateSecrets(), {});

describe('config: security and HA defaults per profile', () => {
  it('turns TLS on and tightens Sentinel and replication bounds in the server profile', () => {
    const local = parseConfigText('');
    expect(local.tls.enabled).toBe(false);
    expect(local.services.redis).toMatchObject({ failoverTimeout: 60_000, minReplicasToWrite: 1, minReplicasMaxLag: 10, parallelSyncs: 1, appendfsync: 'everysec' });
    const server = parseConfigText('profile: server\n');
    expect(server.tls.enabled).toBe(true);
    expect(server.services.redis).toMatchObject({ failoverTimeout: 30_000, minReplicasToWrite: 1, minReplicasMaxLag: 5 });
    expect(parseConfigText('profile: server\ntls: false\n').tls.enabled).toBe(false);
    expect(parseConfigText('services:\n  redis:\n    replicas: 0\n').services.redis.minReplicasToWrite).toBe(0);
  });

  it('wants caFile, certFile and keyFile together, and no more replicas to write than exist', () => {
    let issues: string[] = [];
    try {
      parseConfigText('tls:\n  certFile: a.pem\nservices:\n  redis:\n    replicas: 1\n    minReplicasToWrite: 2\n');
    } catch (e) {
      issues = (e as ConfigError).issues.map((i) => i.path);
    }
    expect(issues.sort()).toEqual(['services.redis.minReplicasToWrite', 'tls.caFile', 'tls.keyFile']);
  });
});

describe('secrets as files', () => {
  it('keeps every password out of every container spec (env, cmd, labels), and in its 0400 files', () => {
    const ctx = ctxFor('profile: server\nservices:\n  mongo:\n    enabled: true\n');
    const defs = desiredServices(ctx, resolvePorts(ctx.config, [], () => 0));
    const values = allSecretValues(ctx.secrets);
    for (const d of defs) {
      const spec = JSON.stringify({ env: d.spec.env, cmd: d.spec.cmd, labels: d.spec.labels, hash: d.hashInput });
      for (const v of values) expect(spec).not.toContain(v);
      expect(d.spec.mounts).toContainEqual({ type: 'bind', source: `/srv/unit/.baas/secrets/${d.name}`, target: '/run/secrets', readOnly: true });
    }
    const files = defs.map((d) => JSON.stringify(d.secretFiles)).join('');
    for (const v of values.filter((x) => x !== ctx.secrets.postgres.appPassword && x !== ctx.secrets.postgres.monitorPassword)) expect(files).toContain(v);
  });

  it('writes files 0400 in 0700 directories, replaces changed ones and removes stale ones', () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'baas-sec-')), 'secrets', 'redis-1');
    expect(writeSecretFiles(dir, { a: '1', b: '2' })).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'a')).mode & 0o777).toBe(0o400);
    expect(writeSecretFiles(dir, { a: '1', b: '2' })).toBe(false);
    expect(writeSecretFiles(dir, { a: '3' })).toBe(true);
    expect(readFileSync(path.join(dir, 'a'), 'utf8')).toBe('3');
    expect(existsSync(path.join(dir, 'b'))).toBe(false);
  });

  it('tightens a state directory found looser than 0700', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-sec-'));
    chmodSync(dir, 0o755);
    expect(tightenDir(dir)).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(tightenDir(dir)).toBe(false);
  });

  it('copies the secrets for the engine user in the start scripts', () => {
    expect(syncSecretsScript('redis')).toMatch(/install -m 0400 -o redis -g redis "\$f" \/etc\/baas\/run\//);
  });
});

describe('Redis users and TLS settings', () => {
  const s = generateSecrets().redis;
  it('disables default in the server profile and keeps the app user off admin and dangerous commands', () => {
    const acl = nodeAcl(s, true);
    expect(acl).toMatch(/^user default off/m);
    expect(acl).toMatch(new RegExp(`^user app on >${s.appPassword} ~\\* &\\* \\+@all -@admin -@dangerous$`, 'm'));
    expect(acl).toMatch(/^user replication on >\S+ resetchannels -@all \+psync \+replconf \+ping$/m);
    expect(acl).toMatch(/^user sentinel on .*\+slaveof .*\+config\|rewrite/m);
    expect(nodeAcl(s, false)).toMatch(/^user default on >/m);
  });

  it('listens on TLS only, replicates over TLS and reads passwords through include/aclfile', () => {
    const cfg = parseConfigText('profile: server\n').services.redis;
    const conf = nodeConf(cfg, { ip: '10.0.0.21', tls: true });
    expect(conf).toMatch(/^port 0$/m);
    expect(conf).toMatch(/^tls-port 6379$/m);
    expect(conf).toMatch(/^tls-replication yes$/m);
    expect(conf).toMatch(/^min-replicas-to-write 1$/m);
    expect(conf).toMatch(/^min-replicas-max-lag 5$/m);
    expect(conf).toMatch(/^include \/etc\/baas\/run\/auth.conf$/m);
    expect(conf).toMatch(/^aclfile \/etc\/baas\/run\/users.acl$/m);
    expect(conf).not.toContain(s.password);
    const sconf = sentinelConf(cfg, { ip: '10.0.0.31', tls: true, masterIp: '10.0.0.21', myid: 'x', known: [] });
    expect(sconf).toMatch(/^tls-port 26379$/m);
    expect(sconf).toMatch(/^sentinel parallel-syncs baas 1$/m);
    expect(sentinelAuthConf(cfg, s, true)).toMatch(/^sentinel sentinel-user sentinel$/m);
  });

  it('gives apps the app user, rediss:// and the CA with TLS', () => {
    const ctx = ctxFor('tls: true\n');
    const defs = desiredServices(ctx, resolvePorts(ctx.config, [], () => 0));
    const info = redisConnection(ctx, defs, '127.0.0.1');
    expect(info.env['REDIS_USERNAME']).toBe('app');
    expect(info.env['REDIS_PASSWORD']).toBe(redisCredentials(ctx.secrets.redis, 'app').password);
    expect(info.env['REDIS_URL']).toMatch(/^rediss:\/\/app:/);
    expect(info.env['REDIS_CA_FILE']).toBe('/srv/unit/.baas/tls/ca.crt');
    expect(info.notes.join('\n')).toMatch(/sentinelRetryStrategy/);
    // What `baas env` prints is what baas's own clients use (sentinelClientOptions,
    // keepFollowing): published Sentinel ports only, and both ioredis 5 repairs.
    const notes = info.notes.join('\n');
    expect(notes).toMatch(/natMap, updateSentinels: false,/);
    expect(notes).toMatch(/client\.on\('end'/);
    expect(notes).toMatch(/client\.on\('ready'.*client\.stream\?\.destroyed/);
  });
});

describe('Postgres access rules', () => {
  it('in the server profile with TLS: superuser from the gateway only, every other peer over TLS', () => {
    const hba = pgHba({ server: true, tls: true, gateway: '10.0.0.1' });
    expect(hba.split('\n')).toEqual(expect.arrayContaining([
      'hostssl all postgres 10.0.0.1/32 scram-sha-256',
      'host all postgres 0.0.0.0/0 reject',
      'hostssl all all 0.0.0.0/0 scram-sha-256',
      'hostnossl all all 0.0.0.0/0 reject',
    ]));
    expect(hba.indexOf('10.0.0.1/32')).toBeLessThan(hba.indexOf('host all postgres 0.0.0.0/0 reject'));
    expect(pgHba({ server: false, tls: true, gateway: '10.0.0.1' })).toMatch(/^host all all 0\.0\.0\.0\/0 scram-sha-256$/m);
  });

  it('turns ssl on and gives verify-full URLs with the CA', () => {
    const ctx = ctxFor('tls: true\n');
    expect(postgresSettings(ctx)).toEqual(expect.arrayContaining(['ssl=on', 'ssl_cert_file=/etc/baas/run/server.crt']));
    expect(postgresUrls(ctx, '127.0.0.1', 5432).app).toMatch(/\?sslmode=verify-full&sslrootcert=%2Fsrv%2Funit%2F.baas%2Ftls%2Fca.crt$/);
  });
});

describe('certificates', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'baas-tls-'));
    await ensureCa(dir, 'unit', 30);
    await issueCert(dir, 'redis-1', namesFor({ service: 'redis-1', containerName: 'baas-unit-redis-1', ip: '10.0.0.21', bindAddress: '127.0.0.1', hosts: ['db.example.com', '192.0.2.7'] }), 30);
  }, 30_000);

  it('keeps keys 0600 in a 0700 directory and names every address in the certificate', () => {
    expect(statSync(path.join(dir, 'tls')).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'tls', 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'tls', 'redis-1.key')).mode & 0o777).toBe(0o600);
    const s = summarize(readFileSync(serviceCertPath(dir, 'redis-1')));
    expect(s.dns).toEqual(expect.arrayContaining(['redis-1', 'baas-unit-redis-1', 'localhost', 'db.example.com']));
    expect(s.ips).toEqual(expect.arrayContaining(['10.0.0.21', '127.0.0.1', '192.0.2.7']));
    expect(new X509Certificate(readFileSync(serviceCertPath(dir, 'redis-1'))).checkIssued(new X509Certificate(readFileSync(caCertPath(dir))))).toBe(true);
  });

  it('renews a certificate whose names no longer fit or that expires within 30 days', () => {
    const names = { dns: ['redis-1'], ips: ['10.0.0.21'] };
    expect(certState(dir, 'redis-1', names)).toEqual({ ok: false, reason: expect.stringMatching(/expires in 29|expires in 30/) });
    expect(certState(dir, 'redis-1', { dns: ['other'], ips: [] }, new Date(Date.now() - 86_400_000 * 100))).toMatchObject({ ok: false, reason: 'does not cover other' });
    expect(certState(dir, 'redis-9', names)).toEqual({ ok: false, reason: 'no certificate yet' });
  });

  it('checks your own files: missing, unreadable, expired, wrong key, names not covered, each naming the file (exit 3)', () => {
    const files = { caFile: caCertPath(dir), certFile: serviceCertPath(dir, 'redis-1'), keyFile: path.join(dir, 'tls', 'redis-1.key') };
    const names = { dns: [], ips: ['127.0.0.1'] };
    expect(validateByo(files, names).cert).toContain('BEGIN CERTIFICATE');
    const err = (f: () => unknown): { message: string; exitCode: number } => {
      try {
        f();
      } catch (e) {
        return e as { message: string; exitCode: number };
      }
      throw new Error('did not throw');
    };
    expect(err(() => validateByo({ ...files, certFile: '/nonexistent/c.pem' }, names))).toMatchObject({ exitCode: 3, message: 'tls.certFile /nonexistent/c.pem does not exist.' });
    expect(err(() => validateByo(files, names, new Date(Date.now() + 86_400_000 * 400))).message).toMatch(/^tls.caFile .* expired on \d{4}-\d\d-\d\d\.$|^tls.certFile .* expired on/);
    expect(err(() => validateByo({ ...files, keyFile: path.join(dir, 'tls', 'ca.key') }, names)).message).toMatch(/^tls.keyFile .*ca.key is not the key of/);
    expect(err(() => validateByo(files, { dns: ['db.other.example'], ips: ['203.0.113.9'] })).message).toMatch(/^tls.certFile .* does not cover 203\.0\.113\.9, db\.other\.example\.$/);
    const garbage = path.join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a cert');
    expect(err(() => validateByo({ ...files, caFile: garbage }, names)).message).toMatch(/^tls.caFile .*garbage.pem is not a PEM certificate/);
    if (process.getuid?.() !== 0) {
      const locked = path.join(dir, 'locked.pem');
      writeFileSync(locked, 'x');
      chmodSync(locked, 0);
      expect(err(() => validateByo({ ...files, keyFile: locked }, names)).message).toMatch(/cannot be read/);
    }
  });

  it('parses subject alternative names as Node prints them', () => {
    expect(parseSubjectAltName('DNS:a, DNS:b.example, IP Address:10.0.0.1')).toEqual({ dns: ['a', 'b.example'], ips: ['10.0.0.1'] });
  });

  it('wants client certificates to cover the host baas dials, the bind address and tls.hosts', () => {
    const ctx = ctxFor('tls:\n  hosts: [db.example.com, 192.0.2.7]\nbindAddress: 10.1.2.3\n');
    expect(clientNames(ctx)).toEqual({ dns: ['db.example.com'], ips: ['10.1.2.3', '192.0.2.7'] });
  });
});

describe('exposure and HA judgements', () => {
  const port = (over: Partial<ExposedPort>): ExposedPort => ({ service: 'redis-1', kind: 'redis', address: '0.0.0.0', port: 6379, protocol: 'redis', tls: true, plaintext: 'refused', network: true, logins: [], ...over });
  it('fails the server profile on anything plaintext, and never the local one', () => {
    expect(exposureProblems('server', [port({})])).toEqual([]);
    expect(exposureProblems('server', [port({ plaintext: 'accepted' })])).toEqual(['redis-1 answers plaintext on 0.0.0.0:6379']);
    expect(exposureProblems('server', [port({ tls: false, plaintext: 'unknown' })])).toEqual(['redis-1 on 0.0.0.0:6379 is not configured for TLS']);
    expect(exposureProblems('local', [port({ plaintext: 'accepted' })])).toEqual([]);
    expect(loginsFor('postgres', parseConfigText('profile: server\n')).join(' ')).toMatch(/this host only/);
  });

  it('reports lost quorum and replicas out of sync', () => {
    expect(judgeReplica('online', 1, 5)).toBe(true);
    expect(judgeReplica('online', 7, 5)).toBe(false);
    const t: Topology = { masterName: 'baas', master: { service: 'redis-1', ip: 'x', offset: 1 }, quorum: 2, sentinelsUp: 1, sentinels: [{ service: 's1', ip: 'a', up: true }, { service: 's2', ip: 'b', up: false }, { service: 's3', ip: 'c', up: false }], replicas: [{ service: 'redis-2', ip: 'y', link: 'disconnected', lagBytes: -1, lagSeconds: -1, inSync: false }] };
    expect(topologyProblems(t)).toEqual(['Sentinel quorum lost: 1 of 3 Sentinels up, 2 needed for a failover', 'replica redis-2 out of sync (link disconnected)']);
  });
});
