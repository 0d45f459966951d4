import { describe, expect, it } from 'vitest';
import { evaluateMaster, evaluateReplica, evaluateSentinel, parseInfo, parseRole, pairsToObject, natMap, repairDeadReady } from '../../../src/services/redis.js';
import { evaluateHello, mongoDefs, mongoInitScript, MONGO_START } from '../../../src/services/mongo.js';
import { bootstrapSql, postgresSettings, POSTGRES_START } from '../../../src/services/postgres.js';
import { quoteIdent, quoteLiteral } from '../../../src/pg/escape.js';
import { parseConfigText } from '../../../src/config/load.js';
import { makeContext } from '../../../src/stack/context.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { desiredServices, resolvePorts } from '../../../src/stack/desired.js';

const ctxFor = (yaml = '') => {
  const config = parseConfigText(`project: unit\n${yaml}`);
  return makeContext({ config, file: undefined, dir: '/srv/unit' }, '10.220.5.0/24', generateSecrets(), {});
};

describe('Redis readiness', () => {
  const masterInfo = parseInfo('# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=10.0.0.22,port=6379,state=online,offset=1000,lag=0\r\nslave1:ip=10.0.0.23,port=6379,state=wait_bgsave,offset=0,lag=1\r\nmaster_repl_offset:1200\r\n');

  it('needs every expected replica online at the master', () => {
    expect(evaluateMaster(masterInfo, 2)).toMatchObject({ ok: false, detail: 'master with 1/2 replica(s) online' });
    expect(evaluateMaster(masterInfo, 1).ok).toBe(true);
    expect(evaluateMaster(masterInfo, 2).replicas[0]).toEqual({ ip: '10.0.0.22', state: 'online', lagBytes: 200 });
  });

  it('needs the replica link up and no sync in progress', () => {
    expect(evaluateReplica({ role: 'slave', master_host: '10.0.0.21', master_link_status: 'up', master_sync_in_progress: '0' }).ok).toBe(true);
    expect(evaluateReplica({ role: 'slave', master_link_status: 'down' }).ok).toBe(false);
    expect(evaluateReplica({ role: 'slave', master_link_status: 'up', master_sync_in_progress: '1' }).ok).toBe(false);
  });

  it('needs CKQUORUM OK, every sentinel and replica seen, and the master not down', () => {
    const master = { ip: '10.0.0.21', port: '6379', 'num-other-sentinels': '2', 'num-slaves': '2', flags: 'master' };
    expect(evaluateSentinel('OK 3 usable Sentinels. Quorum and failover authorization can be reached', master, 3, 2).ok).toBe(true);
    expect(evaluateSentinel('OK 2 usable', { ...master, 'num-other-sentinels': '1' }, 3, 2).ok).toBe(false);
    expect(evaluateSentinel('OK', { ...master, flags: 'master,s_down' }, 3, 2).ok).toBe(false);
    expect(evaluateSentinel(new Error('NOQUORUM 1 usable Sentinels'), master, 3, 2)).toMatchObject({ ok: false, detail: expect.stringContaining('NOQUORUM') });
  });

  it('says the quorum is lost as soon as the peers are flagged down, before CKQUORUM notices', () => {
    const master = { ip: '10.0.0.21', port: '6379', 'num-other-sentinels': '2', 'num-slaves': '2', flags: 'master', quorum: '2' };
    const peers = { sentinels: [{ ip: '10.0.0.32', flags: 's_down,sentinel' }, { ip: '10.0.0.33', flags: 's_down,sentinel' }], replicas: [{ ip: '10.0.0.22', flags: 'slave' }, { ip: '10.0.0.23', flags: 'slave' }] };
    expect(evaluateSentinel('OK 3 usable Sentinels', master, 3, 2, peers)).toMatchObject({ ok: false, detail: 'quorum lost: 1 of 3 Sentinels up, 2 needed for a failover (down: sentinel 10.0.0.32, sentinel 10.0.0.33)' });
  });

  it('parses ROLE replies and field/value arrays', () => {
    expect(parseRole(['master', 10, [['10.0.0.22', '6379', '8']]])).toEqual({ role: 'master', offset: 10, replicas: [{ ip: '10.0.0.22', port: 6379, offset: 8 }] });
    expect(parseRole(['slave', '10.0.0.21', 6379, 'connected', 99])).toMatchObject({ role: 'slave', masterIp: '10.0.0.21', linkState: 'connected' });
    expect(pairsToObject(['a', '1', 'b', '2'])).toEqual({ a: '1', b: '2' });
  });

  it('maps container addresses to published ports for clients on the host', () => {
    const ctx = ctxFor('services:\n  mongo:\n    enabled: false\n');
    const defs = desiredServices(ctx, resolvePorts(ctx.config, [], () => 0));
    expect(natMap(defs, '127.0.0.1')).toMatchObject({ '10.220.5.21:6379': { host: '127.0.0.1', port: 6379 }, '10.220.5.33:26379': { host: '127.0.0.1', port: 26381 } });
  });
});

describe('MongoDB (official image behaviour; no server exists on these machines)', () => {
  it('runs mongod as a single-node replica set with a keyfile, as the mongodb user', () => {
    const ctx = ctxFor();
    const [def] = mongoDefs(ctx, 27017);
    expect(def!.spec.image).toBe('mongo:7');
    expect(def!.spec.env['MONGO_REPLSET']).toBe('rs0');
    expect(Object.values(def!.spec.env)).not.toContain(ctx.secrets.mongo.keyfile);
    expect(def!.secretFiles).toMatchObject({ 'mongo.key': ctx.secrets.mongo.keyfile, 'mongo-root-password': ctx.secrets.mongo.rootPassword });
    expect(def!.spec.mounts[1]).toEqual({ type: 'bind', source: '/srv/unit/.baas/secrets/mongo', target: '/run/secrets', readOnly: true });
    expect(MONGO_START).toMatch(/--replSet "\$MONGO_REPLSET"/);
    expect(MONGO_START).toMatch(/--keyFile \/etc\/baas\/run\/mongo.key/);
    expect(MONGO_START).toMatch(/install -m 0400 -o mongodb/);
    expect(MONGO_START).toMatch(/setpriv --reuid=mongodb/);
    expect(def!.spec.mounts[0]).toEqual({ type: 'volume', source: 'baas-unit-mongo-data', target: '/data/db' });
  });

  it('initiates with the fixed member address and reads the root password from its secret file only', () => {
    const script = mongoInitScript('rs0', '10.220.5.11:27017');
    expect(script).toContain('"10.220.5.11:27017"');
    expect(script).toContain(`fs.readFileSync("/run/secrets/mongo-root-password"`);
    expect(script).not.toContain('process.env');
    expect(script).toMatch(/rs\.initiate\(cfg\)/);
    expect(script).toMatch(/getUsers\(\)\.users\.length === 0/);
  });

  it('is ready only as the writable primary of the configured replica set', () => {
    expect(evaluateHello({ setName: 'rs0', isWritablePrimary: true }, 'rs0').ok).toBe(true);
    expect(evaluateHello({ setName: 'rs0', isWritablePrimary: false }, 'rs0').ok).toBe(false);
    expect(evaluateHello({ isWritablePrimary: true }, 'rs0')).toMatchObject({ ok: false, detail: expect.stringContaining('not initiated') });
  });

  it('falls back to the official image when local images are selected (none can be built)', () => {
    expect(mongoDefs(ctxFor('images: local\n'), 27017)[0]!.spec.image).toBe('mongo:7');
  });
});

describe('Postgres container and bootstrap', () => {
  it('starts through baas own script with password auth for network peers, the password read from a file', () => {
    expect(POSTGRES_START).toMatch(/--auth-host=scram-sha-256/);
    expect(POSTGRES_START).toMatch(/--pwfile=\/etc\/baas\/run\/postgres-password/);
    expect(POSTGRES_START).not.toMatch(/PASSWORD/);
    const ctx = ctxFor();
    const [def] = desiredServices(ctx, resolvePorts(ctx.config, [], () => 0));
    expect(JSON.stringify(def!.spec)).not.toContain(ctx.secrets.postgres.superuserPassword);
    expect(def!.secretFiles!['postgres-password']).toBe(`${ctx.secrets.postgres.superuserPassword}\n`);
    expect(def!.secretFiles!['pg_hba.conf']).toMatch(/^host all all 0\.0\.0\.0\/0 scram-sha-256$/m);
    expect(postgresSettings(ctxFor('services:\n  postgres:\n    settings:\n      shared_buffers: 256MB\n      fsync: false\n'))).toEqual(
      ['-c', 'listen_addresses=*', '-c', 'max_connections=100', '-c', 'hba_file=/etc/baas/run/pg_hba.conf', '-c', 'shared_buffers=256MB', '-c', 'fsync=off'],
    );
  });

  it('bind-mounts a host path when data is not a volume', () => {
    const ctx = ctxFor('services:\n  postgres:\n    data: ./pgdata\n');
    const pg = desiredServices(ctx, resolvePorts(ctx.config, [], () => 0))[0]!;
    expect(pg.spec.mounts[0]).toEqual({ type: 'bind', source: '/srv/unit/pgdata', target: '/var/lib/postgresql/data' });
    expect(pg.volume).toBeUndefined();
  });

  it('quotes every identifier and literal in the bootstrap SQL', () => {
    const sql = bootstrapSql('my"db', "o'user", "pa'ss");
    expect(sql.onServer[0]).toContain(`CREATE ROLE "o'user"`);
    expect(sql.onServer[0]).toContain(`PASSWORD 'pa''ss'`);
    expect(sql.onServer[0]).toContain('NOBYPASSRLS');
    expect(sql.inDatabase[0]).toBe(`GRANT CONNECT, TEMPORARY ON DATABASE "my""db" TO "o'user"`);
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });
});

describe('following a failover (ioredis repairs)', () => {
  const fake = (over: Record<string, unknown>) => {
    const c = { status: 'ready', stream: { destroyed: true, writable: false }, reconnectTimeout: undefined as unknown, connects: 0, connect() {
      this.connects++;
      return Promise.resolve();
    }, ...over };
    return c;
  };

  it("puts a 'ready' on an already closed connection back to 'reconnecting', so ioredis's scheduled reconnect runs", () => {
    const c = fake({ reconnectTimeout: setTimeout(() => {}, 0) });
    expect(repairDeadReady(c as never)).toBe(true);
    expect(c.status).toBe('reconnecting');
    expect(c.connects).toBe(0);
  });

  it('reconnects itself when no reconnect is scheduled, and leaves a live connection alone', () => {
    const dead = fake({});
    expect(repairDeadReady(dead as never)).toBe(true);
    expect(dead.connects).toBe(1);
    const live = fake({ stream: { destroyed: false, writable: true } });
    expect(repairDeadReady(live as never)).toBe(false);
    expect(live.status).toBe('ready');
  });
});
