import { mongoIp } from '../model/addresses.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { poll, sequence } from '../wait.js';
import { baseDef, checkingContainer, dataMount, imageFor, limits, restartPolicy } from './common.js';
import type { ConnectionInfo, EngineDriver, HealthReport, ServiceDef, StackContext } from './types.js';

/**
 * mongod as a single-node replica set with auth through a keyfile (the official image's user
 * `mongodb`, uid 999). Initiation and the root user are done by `initMongo` through the
 * localhost exception, exactly once.
 */
export const MONGO_START = `set -eu
mkdir -p /data/db /etc/baas
printf '%s' "$MONGO_KEYFILE" > /etc/baas/mongo.key
chown -R mongodb:mongodb /data/db /etc/baas
chmod 400 /etc/baas/mongo.key
unset MONGO_KEYFILE MONGO_ROOT_PASSWORD
exec setpriv --reuid=mongodb --regid=mongodb --init-groups mongod --replSet "$MONGO_REPLSET" --bind_ip_all --port 27017 --keyFile /etc/baas/mongo.key --dbpath /data/db`;

export function mongoDefs(ctx: StackContext, hostPort: number): ServiceDef[] {
  const cfg = ctx.config.services.mongo;
  const ip = mongoIp(ctx.subnet);
  const b = baseDef(ctx, { name: 'mongo', kind: 'mongo', group: 'mongo', ip, port: 27017, hostPort });
  const data = dataMount(ctx, 'mongo', 'mongo', '/data/db');
  const spec = {
    name: b.containerName,
    image: imageFor(ctx, 'mongo'),
    cmd: ['sh', '-c', MONGO_START],
    env: { MONGO_KEYFILE: ctx.secrets.mongo.keyfile, MONGO_REPLSET: cfg.replicaSet },
    labels: b.labels,
    network: ctx.network,
    ipv4: ip,
    hostname: 'mongo',
    ports: [{ container: 27017, host: hostPort, hostIp: ctx.bindAddress }],
    mounts: [data.mount],
    restartPolicy: restartPolicy(ctx),
    stopTimeoutSeconds: 30,
    ...limits(ctx, 'mongo'),
  };
  return [{ ...b, spec, hashInput: spec, dependsOn: [], ...(data.volume ? { volume: data.volume } : {}) }];
}

/**
 * The mongosh script run inside the container: initiate the replica set with the container's
 * fixed address, wait for a primary, then create the root user if none exists (localhost exception).
 * Reads the password from the environment of the exec, never from the command line.
 */
export function mongoInitScript(replicaSet: string, memberHost: string): string {
  return `
const cfg = { _id: ${JSON.stringify(replicaSet)}, members: [{ _id: 0, host: ${JSON.stringify(memberHost)} }] };
let state = 'unknown';
try { rs.status(); state = 'initiated'; } catch (e) {
  if (e.codeName === 'NotYetInitialized' || e.code === 94) { rs.initiate(cfg); state = 'initiating'; }
  else if (e.codeName === 'Unauthorized' || e.code === 13) { state = 'auth-required'; }
  else { throw e; }
}
if (state !== 'auth-required') {
  for (let i = 0; i < 120 && !db.hello().isWritablePrimary; i++) sleep(250);
  const admin = db.getSiblingDB('admin');
  if (admin.getUsers().users.length === 0) {
    admin.createUser({ user: 'root', pwd: process.env.MONGO_ROOT_PASSWORD, roles: [{ role: 'root', db: 'admin' }] });
  }
}
print('baas-mongo-init:' + state);
`;
}

export async function initMongo(runtime: ContainerRuntime, containerId: string, ctx: StackContext, def: ServiceDef): Promise<string> {
  const script = mongoInitScript(ctx.config.services.mongo.replicaSet, `${def.internal.ip}:27017`);
  const res = await runtime.exec(containerId, ['mongosh', '--quiet', '--norc', '--eval', script], {
    env: { MONGO_ROOT_PASSWORD: ctx.secrets.mongo.rootPassword },
  });
  if (res.exitCode !== 0) throw new Error(`mongosh exited ${res.exitCode}: ${(res.stderr || res.stdout).trim().split('\n').slice(-3).join(' ')}`);
  return /baas-mongo-init:(\S+)/.exec(res.stdout)?.[1] ?? 'unknown';
}

export function mongoUrl(ctx: StackContext, host: string, port: number): string {
  return `mongodb://root:${encodeURIComponent(ctx.secrets.mongo.rootPassword)}@${host}:${port}/?authSource=admin&directConnection=true`;
}

/** Ready when `hello` shows this node as the writable primary of the configured replica set. */
export function evaluateHello(hello: Record<string, unknown>, replicaSet: string): { ok: boolean; detail: string } {
  const setName = hello['setName'];
  const primary = hello['isWritablePrimary'] === true;
  if (setName !== replicaSet) return { ok: false, detail: `replica set ${String(setName ?? 'not initiated')} (expected ${replicaSet})` };
  return { ok: primary, detail: primary ? `primary of replica set ${replicaSet}` : `member of ${replicaSet}, not primary yet` };
}

export async function mongoHealth(ctx: StackContext, def: ServiceDef, host = ctx.probeHost): Promise<HealthReport> {
  const started = Date.now();
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(mongoUrl(ctx, host, def.hostPort), { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
  try {
    await client.connect();
    const hello = (await client.db('admin').command({ hello: 1 })) as Record<string, unknown>;
    const ev = evaluateHello(hello, ctx.config.services.mongo.replicaSet);
    return { service: def.name, kind: 'mongo', status: ev.ok ? 'healthy' : 'starting', latencyMs: Date.now() - started, role: hello['isWritablePrimary'] ? 'primary' : 'secondary', detail: ev.detail, details: { setName: hello['setName'] } };
  } catch (e) {
    return { service: def.name, kind: 'mongo', status: 'unhealthy', detail: e instanceof Error ? e.message : String(e) };
  } finally {
    await client.close().catch(() => {});
  }
}

export function mongoConnection(ctx: StackContext, defs: ServiceDef[], host: string): ConnectionInfo {
  const port = defs.find((d) => d.kind === 'mongo')!.hostPort;
  return {
    service: 'mongo',
    env: { MONGO_URL: mongoUrl(ctx, host, port) },
    secretKeys: ['MONGO_URL'],
    urlKey: 'MONGO_URL',
    notes: [`Single-node replica set '${ctx.config.services.mongo.replicaSet}'; from the host connect with directConnection=true (the member address is internal to the Docker network).`],
  };
}

/** MongoDB: the replica set is initiated (and the root user created) once, then `hello` must show a primary. */
export const mongoDriver: EngineDriver = {
  kind: 'mongo',
  group: 'mongo',
  ports: (config) => (config.services.mongo.enabled ? [{ service: 'mongo', configured: config.services.mongo.port, offset: 0, key: 'services.mongo.port' }] : []),
  defs: (ctx, port) => mongoDefs(ctx, port('mongo')),
  // mongod writes straight into the mount; WiredTiger's own file says the directory is a data directory.
  ownedData: (source) => ({ dir: source, everythingIf: 'WiredTiger' }),
  readiness(def, env) {
    const guarded = <T>(fn: () => Promise<T>): Promise<T> => checkingContainer(env, fn);
    return sequence<HealthReport>(def.name, [
      poll(`${def.name} replica set`, () => guarded(async () => {
        const state = await initMongo(env.runtime, env.containerId, env.ctx, def);
        return { ok: state !== 'unknown', detail: state };
      }), { intervalMs: 200 }),
      poll(def.name, async () => {
        const h = await mongoHealth(env.ctx, def);
        if (h.status !== 'healthy') await env.assertRunning(new Error(h.detail));
        return { ok: h.status === 'healthy', detail: h.detail, value: h };
      }, { intervalMs: 200 }),
    ]);
  },
  health: (ctx, def) => mongoHealth(ctx, def),
  connection: mongoConnection,
};
