import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setConfigValue } from '../../../src/config/edit.js';
import { parseConfigText } from '../../../src/config/load.js';
import { BaasError, ConfigError, ExitCode, UserError } from '../../../src/errors.js';
import type { ContainerInfo } from '../../../src/runtime/types.js';
import type { ServiceDef } from '../../../src/services/types.js';
import { makeContext } from '../../../src/stack/context.js';
import { ownedEntries, bindDataOf } from '../../../src/stack/data-files.js';
import { locationChanges, refuseDataMoves } from '../../../src/stack/data-location.js';
import { desiredServices, resolvePorts, validateServiceNames } from '../../../src/stack/desired.js';
import { LABEL } from '../../../src/model/labels.js';
import { portClashesWithin, portConflictError, portKeysOf, portsTaken, preflight, resourceProblems } from '../../../src/stack/preflight.js';
import { configHash, planReconcile } from '../../../src/stack/reconcile.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { pullHint } from '../../../src/stack/up.js';

const secrets = generateSecrets();
type Config = ReturnType<typeof parseConfigText>;
/**
 * Config validation refuses what these tests feed the pre-flight (overlapping ports, memory "0"):
 * the pre-flight is the second line of defence, so its tests build such configs by hand.
 */
function unchecked(yaml: string, mutate: (c: Config) => void): Config {
  const config = parseConfigText(`project: demo\n${yaml}`);
  mutate(config);
  return config;
}
function defsFor(yaml: string | Config, dir = '/tmp/demo'): { defs: ServiceDef[]; config: Config } {
  const config = typeof yaml === 'string' ? parseConfigText(`project: demo\n${yaml}`) : yaml;
  const ctx = makeContext({ config, file: undefined, dir }, '10.210.1.0/24', secrets, {});
  return { defs: desiredServices(ctx, resolvePorts(config, [], () => 40000)), config };
}
const container = (def: ServiceDef, over: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id: `id-${def.name}`,
  name: def.spec.name,
  image: def.spec.image,
  state: 'running',
  status: 'Up',
  labels: { ...def.spec.labels, [LABEL.configHash]: configHash(def) },
  ports: def.spec.ports.map((p) => ({ ...p })),
  // As Docker lists them: a volume by name, with its directory on the host as the source.
  mounts: def.spec.mounts.map((m) => (m.type === 'volume' ? { type: 'volume', name: m.source, source: `/var/lib/docker/volumes/${m.source}/_data`, target: m.target } : { ...m })),
  ...over,
});
const stranger = (name: string, port: number, project?: string): ContainerInfo => ({
  id: `x-${name}`, name, image: 'x', state: 'running', status: 'Up', labels: project ? { [LABEL.project]: project } : {}, ports: [{ container: 1, host: port, hostIp: '127.0.0.1' }],
});

describe('up pre-flight: ports', () => {
  it('lists every port another container or process holds, all at once (exit 5)', async () => {
    const { defs, config } = defsFor('services:\n  mongo:\n    enabled: false\n');
    const plan = planReconcile(defs, []);
    const all = [stranger('baas-other-postgres', 5432, 'other'), stranger('web', 6380)];
    const conflicts = await portsTaken(plan, { all, actual: [], listening: async (_h, p) => p === 26381 }, portKeysOf(config));
    expect(conflicts.map((c) => [c.port, c.service])).toEqual([[5432, 'postgres'], [6380, 'redis-2'], [26381, 'sentinel-3']]);
    const e = portConflictError(conflicts);
    expect(e.exitCode).toBe(ExitCode.conflict);
    expect(e.message).toBe('3 ports this stack needs are already in use: 5432, 6380, 26381.');
    expect(e.details).toEqual([
      'port 5432 for postgres (services.postgres.port): in use by container baas-other-postgres (baas project other)',
      'port 6380 for redis-2 (services.redis.port): in use by container web',
      'port 26381 for sentinel-3 (services.redis.sentinelPort): in use by another process',
    ]);
    expect(e.hint).toMatch(/services\.postgres\.port, services\.redis\.port, services\.redis\.sentinelPort to 'auto'/);
    expect(e.hint).toMatch(/stop the stack other/);
  });

  it('does not count the ports of the containers a service keeps, replaces or that up removes', async () => {
    const { defs, config } = defsFor('services:\n  mongo:\n    enabled: false\n  redis:\n    enabled: false\n');
    const own = container(defs[0]!, { labels: { ...defs[0]!.spec.labels, [LABEL.configHash]: 'old' } });
    const leftover: ContainerInfo = { ...stranger('baas-demo-old', 6379, 'demo'), labels: { [LABEL.project]: 'demo', [LABEL.service]: 'gone' } };
    const plan = planReconcile(defs, [own, leftover]);
    expect(plan.map((a) => a.type)).toEqual(['recreate', 'remove']);
    expect(await portsTaken(plan, { all: [own, leftover], actual: [own, leftover], listening: async () => true }, portKeysOf(config))).toEqual([]);
  });

  it('finds ports two services of the stack both want, and ports past 65535, before asking Docker', () => {
    const clash = defsFor(unchecked('', (c) => Object.assign(c.services.redis, { port: 6379, sentinelPort: 6380 })));
    expect(portClashesWithin(clash.defs, portKeysOf(clash.config)).conflicts.map((c) => `${c.port} ${c.service} vs ${c.holder}`)).toEqual([
      '6380 sentinel-1 vs redis-2 of this stack (services.redis.port)',
      '6381 sentinel-2 vs redis-3 of this stack (services.redis.port)',
    ]);
    const high = defsFor(unchecked('', (c) => Object.assign(c.services.redis, { port: 65534 })));
    expect(portClashesWithin(high.defs, portKeysOf(high.config)).invalid).toEqual([
      { path: 'services.redis.port', message: 'redis-3 would be published on port 65536, outside 1-65535 (each replica or sentinel takes the next port)' },
    ]);
  });
});

describe('up pre-flight: limits', () => {
  it('refuses a memory limit Docker would refuse or ignore, and more CPUs than the host has', () => {
    const config = unchecked('services:\n  postgres:\n    cpus: 8\n  mongo:\n    memory: 64g\n', (c) => {
      c.services.postgres.memory = '1b';
      c.services.redis.memory = '0';
    });
    expect(resourceProblems(config, { cpus: 2, memoryBytes: 4 * 1024 ** 3 }).map((i) => i.path)).toEqual([
      'services.postgres.memory',
      'services.postgres.cpus',
      'services.redis.memory',
      'services.mongo.memory',
    ]);
    expect(resourceProblems(parseConfigText('services:\n  postgres:\n    memory: 512m\n'), { cpus: 2 })).toEqual([]);
  });

  it('reports problems before anything else, as a config error naming every key', async () => {
    const { defs, config } = defsFor(unchecked('', (c) => {
      c.services.postgres.memory = '0';
      c.services.redis.port = 65534;
    }));
    const e = await preflight({ config, configFile: 'platform.config.yaml', engine: {}, plan: planReconcile(defs, []), selected: defs, facts: { all: [], actual: [], listening: async () => false }, volumes: [], force: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).issues.map((i) => i.path)).toEqual(['services.redis.port', 'services.postgres.memory']);
    const { defs: overlap, config: c2 } = defsFor(unchecked('', (c) => Object.assign(c.services.redis, { port: 6379, sentinelPort: 6381 })));
    const e2 = await preflight({ config: c2, configFile: undefined, engine: {}, plan: planReconcile(overlap, []), selected: overlap, facts: { all: [], actual: [], listening: async () => false }, volumes: [], force: false }).catch((x: unknown) => x);
    expect((e2 as ConfigError).issues).toEqual([{ path: 'services.redis.sentinelPort', message: 'sentinel-1 would be published on port 6381, which redis-3 of this stack (services.redis.port) already gets' }]);
  });
});

describe('up pre-flight: data locations', () => {
  it('refuses to start a service on an empty new place while the old one holds data, naming both and the ways forward', () => {
    const { defs: before } = defsFor('services:\n  redis:\n    enabled: false\n  mongo:\n    enabled: false\n');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-loc-'));
    const { defs: after } = defsFor(`services:\n  postgres:\n    data: ${dir}/pgdata\n  redis:\n    enabled: false\n  mongo:\n    enabled: false\n`);
    const running = container(before[0]!);
    const volumes = [{ name: 'baas-demo-postgres-data', labels: { [LABEL.service]: 'postgres' } }];
    const changes = locationChanges(after, [running], volumes);
    expect(changes).toMatchObject([{ service: 'postgres', from: { kind: 'volume', name: 'baas-demo-postgres-data' }, to: { kind: 'bind', path: `${dir}/pgdata` }, startsEmpty: true }]);
    let e: BaasError | undefined;
    try {
      refuseDataMoves(changes, false);
    } catch (x) {
      e = x as BaasError;
    }
    expect(e?.exitCode).toBe(ExitCode.conflict);
    expect(e?.details).toEqual([`postgres: data is in volume baas-demo-postgres-data; the configuration now says ${dir}/pgdata (empty)`]);
    expect(e?.hint).toContain(`\`baas data move postgres ${dir}/pgdata\``);
    expect(e?.hint).toContain('`baas up --force`');
    expect(e?.hint).toContain('EMPTY');
    expect(() => refuseDataMoves(changes, true)).not.toThrow();
    // Without the container (after `baas down`), the kept volume still says where the data is.
    expect(locationChanges(after, [], volumes)[0]?.startsEmpty).toBe(true);
    // A new place that already holds data (moved by hand, or by `baas data move`) is accepted.
    mkdirSync(`${dir}/pgdata/pgdata`, { recursive: true });
    expect(locationChanges(after, [running], volumes)[0]?.startsEmpty).toBe(false);
  });

  it('leaves unchanged locations alone', () => {
    const { defs } = defsFor('');
    expect(locationChanges(defs, defs.map((d) => container(d)), [])).toEqual([]);
  });
});

describe('down --volumes with bind-mounted data', () => {
  it('deletes only what each service writes there, never the directory itself or other files', () => {
    expect(ownedEntries('postgres', '/srv/pg')).toEqual({ dir: '/srv/pg', entries: ['pgdata', 'pgdata.init'] });
    expect(ownedEntries('redis', '/srv/r/redis-2')).toEqual({ dir: '/srv/r', entries: ['redis-2'] });
    expect(ownedEntries('mongo', '/srv/m')).toEqual({ dir: '/srv/m', everythingIf: 'WiredTiger' });
    expect(ownedEntries('sentinel', '/srv/s')).toBeUndefined();
  });

  it('finds bind data from the containers (even when the config changed since) and from the config', () => {
    const { defs } = defsFor('services:\n  postgres:\n    data: /srv/new\n  redis:\n    data: ./r\n  mongo:\n    enabled: false\n');
    const pg = container(defs[0]!, { mounts: [{ type: 'bind', source: '/srv/old', target: '/var/lib/postgresql/data' }] });
    const found = bindDataOf(defs, [pg], LABEL.service, LABEL.kind).map((b) => `${b.service}:${b.source}`);
    expect(found).toEqual(['postgres:/srv/old', 'postgres:/srv/new', 'redis-1:/tmp/demo/r/redis-1', 'redis-2:/tmp/demo/r/redis-2', 'redis-3:/tmp/demo/r/redis-3']);
  });
});

describe('setConfigValue', () => {
  it('sets one key and keeps comments and the rest of the file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-edit-'));
    const file = path.join(dir, 'platform.config.yaml');
    writeFileSync(file, '# my stack\nproject: shop   # the name\nservices:\n  postgres:\n    port: 5433 # not the default\n');
    expect(setConfigValue(file, dir, ['services', 'postgres', 'data'], '/srv/pgdata')).toEqual({ edited: true, file, created: false });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# my stack');
    expect(text).toContain('port: 5433 # not the default');
    expect(parseConfigText(text).services.postgres).toMatchObject({ port: 5433, data: '/srv/pgdata' });
  });

  it('creates the file when the project has none, and leaves a ${VAR} value alone', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-edit-'));
    expect(setConfigValue(undefined, dir, ['services', 'redis', 'data'], '/srv/r')).toMatchObject({ edited: true, created: true });
    expect(parseConfigText(readFileSync(path.join(dir, 'platform.config.yaml'), 'utf8')).services.redis.data).toBe('/srv/r');
    const file = path.join(dir, 'platform.config.yaml');
    writeFileSync(file, 'services:\n  postgres:\n    data: ${PGDATA:-volume}\n');
    expect(setConfigValue(file, dir, ['services', 'postgres', 'data'], '/srv/pgdata')).toMatchObject({ edited: false, reason: expect.stringContaining('${PGDATA:-volume}') });
  });
});

describe('hints', () => {
  it('lists each valid service name once', () => {
    const config = parseConfigText('services:\n  mongo:\n    enabled: false\n');
    expect(() => validateServiceNames(config, ['postgress'])).toThrow(UserError);
    try {
      validateServiceNames(config, ['postgress']);
    } catch (e) {
      const names = ((e as UserError).hint ?? '').replace(/^Valid names: |\.$/g, '').split(', ');
      expect(names).toEqual([...new Set(names)]);
      expect(names.filter((n) => n === 'postgres')).toHaveLength(1);
    }
  });

  it('says no local MongoDB image exists when images: local is already set', () => {
    expect(pullHint('mongo', 'local')).toMatch(/No local MongoDB image can be built/);
    expect(pullHint('mongo', 'local')).toMatch(/services\.mongo\.enabled: false/);
    expect(pullHint('mongo', 'local')).toMatch(/services\.mongo\.image/);
    expect(pullHint('mongo', 'local')).not.toMatch(/set `images: local`/);
    expect(pullHint('postgres', 'official')).toMatch(/set `images: local`/);
  });
});
