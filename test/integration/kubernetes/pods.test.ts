import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { kubernetesManifests } from '../../../src/targets/kubernetes/render.js';
import { removeByLabel, TEST_LABEL } from '../../helpers/harness.js';

/**
 * No Kubernetes cluster exists here, so the pods' own scripts are run in plain Docker
 * containers instead, each under the DNS name its pod would have (a network alias such as
 * redis-0.redis.<ns>.svc) and with the environment Kubernetes would give it: Secret references
 * resolved, $(POD_NAME) expanded. What runs is the rendered command, the bootstrap Job and the
 * readiness probes, exactly as rendered.
 */

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string }; fieldRef?: { fieldPath: string } } }[];
interface Container { command: string[]; env: Env; image: string; readinessProbe?: { exec: { command: string[] } } }

const id = randomBytes(3).toString('hex');
const ns = `k${id}`;
const label = `baas.project=k8s-${id}`;
const docker = (args: string[]): string => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const secrets = generateSecrets();
const render = (yaml: string, dir: string) =>
  kubernetesManifests(
    { config: parseConfigText(`project: shop\nimages: local\n${yaml}services:\n  mongo:\n    enabled: false\n  redis:\n    downAfterMilliseconds: 1000\n`), file: undefined, dir },
    secrets,
    {},
    { namespace: ns, postgresStorage: '1Gi', redisStorage: '1Gi' },
  );
/** The rendered objects the pods below are run from, and every Secret's data (credentials, and TLS files with TLS on). */
let objects: Record<string, any>[] = [];
let stringData: Record<string, string> = {};
let net = `baas-k8s-${id}`;
const use = (files: Awaited<ReturnType<typeof render>>, network: string): void => {
  objects = files.flatMap((f) => f.objects) as Record<string, any>[];
  stringData = Object.assign({}, ...objects.filter((o) => o.kind === 'Secret').map((o) => o.stringData as Record<string, string>));
  net = network;
};
use(await render('', '/tmp'), net);
const podOf = (kind: string, name: string): Container => objects.find((o) => o.kind === kind && o.metadata.name === name)!.spec.template.spec.containers[0];

/** The environment Kubernetes would give the container (dependent $(VAR) references expanded in order). */
function envFor(c: Container, pod: string): string[] {
  const values = new Map<string, string>();
  for (const e of c.env) {
    let v = e.value ?? '';
    if (e.valueFrom?.secretKeyRef) v = stringData[e.valueFrom.secretKeyRef.key]!;
    if (e.valueFrom?.fieldRef) v = e.valueFrom.fieldRef.fieldPath === 'metadata.name' ? pod : ns;
    v = v.replace(/\$\(([A-Z_]+)\)/g, (m, k: string) => values.get(k) ?? m);
    values.set(e.name, v);
  }
  return [...values].flatMap(([k, v]) => ['-e', `${k}=${v}`]);
}

/** A Secret volume as Kubernetes mounts it: the host directory holding its files, and where the pod sees it. */
interface SecretMount { dir: string; mountPath: string }
interface SecretSource { items?: { key: string; path: string }[] }

/** The pod's Secret volumes (plain or projected) as Kubernetes mounts them: each item a 0400 file, the directory read-only at its mount path. */
function secretVolumes(kind: string, name: string, c: Container): SecretMount[] {
  const spec = objects.find((o) => o.kind === kind && o.metadata.name === name)!.spec.template.spec as {
    volumes?: { name: string; secret?: SecretSource; projected?: { sources: { secret?: SecretSource }[] } }[];
  };
  const mounts = (c as Container & { volumeMounts?: { name: string; mountPath: string }[] }).volumeMounts ?? [];
  return (spec.volumes ?? []).flatMap((v) => {
    const at = mounts.find((m) => m.name === v.name);
    const sources = [v.secret, ...(v.projected?.sources ?? []).map((x) => x.secret)].filter((x): x is SecretSource => Boolean(x));
    if (sources.length === 0 || !at) return [];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-k8s-secret-'));
    for (const item of sources.flatMap((x) => x.items ?? [])) writeFileSync(path.join(dir, item.path), stringData[item.key]!, { mode: 0o400 });
    return [{ dir, mountPath: at.mountPath }];
  });
}

/** Starts the pod's rendered command; returns its Secret volumes. */
function runPod(c: Container, pod: string, svc: string, o: { publish?: boolean; kind?: string; name?: string } = {}): SecretMount[] {
  const volumes = o.kind && o.name ? secretVolumes(o.kind, o.name, c) : [];
  docker([
    'run', '-d', ...(o.publish ? ['-p', '127.0.0.1::5432'] : []),
    '--name', `${net}-${pod}`, '--hostname', pod, '--network', net, '--network-alias', `${pod}.${svc}.${ns}.svc`,
    '--label', label, '--label', TEST_LABEL,
    ...volumes.flatMap((v) => ['-v', `${v.dir}:${v.mountPath}:ro`]),
    ...envFor(c, pod), '--entrypoint', c.command[0]!, c.image, ...c.command.slice(1),
  ]);
  return volumes;
}

async function until(what: string, fn: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
const probe = (pod: string, c: Container): boolean => {
  try {
    docker(['exec', `${net}-${pod}`, ...c.readinessProbe!.exec.command]);
    return true;
  } catch {
    return false;
  }
};

/** A Postgres script's outcome: whether it exited 0, and its stdout (or stderr when it failed). */
type Outcome = { ok: boolean; out: string };

/**
 * Runs the pod's Postgres scripts (probe, Job) on the host: the local image carries only the
 * server binaries, so psql and pg_isready come from the host's postgresql-client here (the
 * official image a cluster pulls has them). The scripts are the rendered ones, run with the pod's
 * environment; libpq connects to the published port (PGHOSTADDR) while PGHOST, or -h, keeps the
 * name the pod uses, so verify-full checks the certificate against that name. Paths to the pod's
 * Secret files (/run/secrets, and the start script's copies in /etc/baas/run) lead to the host
 * directory holding them.
 */
function postgresOnHost(port: string, files: SecretMount[]) {
  const secretsDir = files.find((f) => f.mountPath === '/run/secrets')?.dir;
  const local = (v: string): string => (secretsDir ? v.replace(/\/run\/secrets|\/etc\/baas\/run/g, secretsDir) : v);
  return (c: Container, script: string, pod: string, extra: NodeJS.ProcessEnv = {}): Outcome => {
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] };
    const args = envFor(c, pod);
    for (let i = 1; i < args.length; i += 2) {
      const [k, ...v] = args[i]!.split('=');
      env[k!] = local(v.join('='));
    }
    Object.assign(env, { PGHOSTADDR: '127.0.0.1', PGPORT: port }, extra);
    try {
      return { ok: true, out: execFileSync('sh', ['-c', local(script)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (e) {
      return { ok: false, out: String((e as { stderr?: string }).stderr ?? e) };
    }
  };
}

/**
 * Starts postgres-0 from the rendered StatefulSet (its Secret volume mounted as rendered), runs
 * the bootstrap Job twice (a Job may run more than once) and waits for the readiness probe,
 * which fails before the Job (no app role yet). Returns a runner for more scripts as a pod.
 */
async function startPostgres(): Promise<{ pg: Container; run: ReturnType<typeof postgresOnHost> }> {
  const pg = podOf('StatefulSet', 'postgres');
  const podFiles = runPod(pg, 'postgres-0', 'postgres', { publish: true, kind: 'StatefulSet', name: 'postgres' });
  const port = docker(['port', `${net}-postgres-0`, '5432/tcp']).split('\n')[0]!.split(':').pop()!;
  const job = objects.find((o) => o.kind === 'Job')!.spec.template.spec.containers[0] as Container;
  const asPod = postgresOnHost(port, podFiles);
  const asJob = postgresOnHost(port, secretVolumes('Job', 'postgres-bootstrap', job));
  const ready = (): boolean => asPod(pg, pg.readinessProbe!.exec.command[2]!, 'postgres-0').ok;
  await until('postgres accepts connections', () => asJob(job, 'pg_isready -q -U postgres', 'bootstrap').ok);
  expect(ready()).toBe(false);
  const run1 = asJob(job, job.command[2]!, 'bootstrap');
  expect(run1.out, run1.out).toMatch(/database and application role ready/);
  expect(asJob(job, job.command[2]!, 'bootstrap').ok).toBe(true);
  await until('postgres readiness', ready);
  return { pg, run: asPod };
}

describe('the Kubernetes pods, run in Docker under their pod names', () => {
  beforeAll(() => {
    docker(['network', 'create', '--label', label, '--label', TEST_LABEL, net]);
  });
  afterAll(async () => {
    await removeByLabel(label);
  });

  it('Postgres starts from the rendered command, the bootstrap Job creates the app role, and readiness (select 1 as the app role) passes', async () => {
    await startPostgres();
  });

  it('Redis nodes and Sentinels find each other by pod name: one master, replicas linked, sentinel quorum', async () => {
    const redis = podOf('StatefulSet', 'redis');
    const sentinel = podOf('StatefulSet', 'sentinel');
    // Their users and logins come from the Secret, mounted at /run/secrets as rendered.
    for (const i of [0, 1, 2]) runPod(redis, `redis-${i}`, 'redis', { kind: 'StatefulSet', name: 'redis' });
    for (const i of [0, 1, 2]) runPod(sentinel, `sentinel-${i}`, 'sentinel', { kind: 'StatefulSet', name: 'sentinel' });
    for (const i of [0, 1, 2]) await until(`redis-${i} readiness`, () => probe(`redis-${i}`, redis));
    for (const i of [0, 1, 2]) await until(`sentinel-${i} quorum`, () => probe(`sentinel-${i}`, sentinel));
    const auth = ['-e', `REDISCLI_AUTH=${stringData['redis-password']}`];
    const role = (pod: string): string => docker(['exec', ...auth, `${net}-${pod}`, 'redis-cli', '--no-auth-warning', '--user', 'admin', 'role']).split('\n')[0]!;
    expect([0, 1, 2].map((i) => role(`redis-${i}`))).toEqual(['master', 'slave', 'slave']);
    const master = docker(['exec', ...auth, `${net}-sentinel-1`, 'redis-cli', '--no-auth-warning', '--user', 'admin', '-p', '26379', 'SENTINEL', 'get-master-addr-by-name', 'baas']);
    expect(master.split('\n')[0]).toBe(`redis-0.redis.${ns}.svc`);

    // The master's pod is replaced (a new pod, the same name): it comes back as a replica of the promoted one.
    docker(['rm', '-f', `${net}-redis-0`]);
    await until('a new master', () => {
      const m = docker(['exec', ...auth, `${net}-sentinel-1`, 'redis-cli', '--no-auth-warning', '--user', 'admin', '-p', '26379', 'SENTINEL', 'get-master-addr-by-name', 'baas']).split('\n')[0];
      return m !== `redis-0.redis.${ns}.svc`;
    });
    runPod(redis, 'redis-0', 'redis', { kind: 'StatefulSet', name: 'redis' });
    await until('redis-0 readiness as a replica', () => probe('redis-0', redis) && role('redis-0') === 'slave');
  });
});

describe('the Kubernetes pods with TLS (profile: server), run in Docker under their pod names', () => {
  const tlsCli = ['--tls', '--cacert', '/etc/baas/run/ca.crt'];
  beforeAll(async () => {
    use(await render('profile: server\nbackups:\n  enabled: false\n', mkdtempSync(path.join(os.tmpdir(), 'baas-k8s-tls-'))), `baas-k8s-${id}-tls`);
    docker(['network', 'create', '--label', label, '--label', TEST_LABEL, net]);
  });
  afterAll(async () => {
    await removeByLabel(label);
  });

  it('Postgres talks TLS only (the baas-tls Secret at /run/secrets): the Job bootstraps over verify-full, readiness passes, clients verify the chain and exactly the names on the certificate, plaintext is refused', async () => {
    const { pg, run } = await startPostgres();
    // The certificate carries exactly the names the pod is reached at (and the probe's 127.0.0.1), signed by the rendered CA.
    const cert = new X509Certificate(stringData['postgres.crt']!);
    const names = ['postgres', `postgres.${ns}`, `postgres.${ns}.svc`, `postgres.${ns}.svc.cluster.local`, `postgres-0.postgres.${ns}.svc`, `postgres-0.postgres.${ns}.svc.cluster.local`, 'localhost'];
    expect(cert.subjectAltName!.split(', ').sort()).toEqual([...names.map((n) => `DNS:${n}`), 'IP Address:127.0.0.1'].sort());
    expect(cert.verify(new X509Certificate(stringData['ca.crt']!).publicKey)).toBe(true);
    // A client as the app role, the CA as the pod has it; -h is the name checked, the connection goes to the published port.
    const superuser = { SU_PASSWORD: stringData['postgres-superuser-password']! };
    const connect = (host: string, sslmode: string, as: 'app' | 'superuser' = 'app'): Outcome =>
      run(
        pg,
        `PGPASSWORD="$${as === 'app' ? 'APP_PASSWORD' : 'SU_PASSWORD'}" PGSSLMODE=${sslmode} PGSSLROOTCERT=/run/secrets/ca.crt psql -h "${host}" -U "${as === 'app' ? '$BAAS_APP_USER' : 'postgres'}" -d "$BAAS_DATABASE" -tAc "select ssl from pg_stat_ssl where pid = pg_backend_pid()"`,
        'postgres-0',
        superuser,
      );
    for (const n of [...names, '127.0.0.1']) expect(connect(n, 'verify-full'), n).toEqual({ ok: true, out: 't\n' });
    for (const n of [`postgres-1.postgres.${ns}.svc`, `redis-0.redis.${ns}.svc`]) {
      const r = connect(n, 'verify-full');
      expect(r.ok, n).toBe(false);
      expect(r.out).toMatch(/does not match host name/);
    }
    // Plaintext is refused by pg_hba.conf, for the app role and the superuser alike.
    expect(connect(`postgres-0.postgres.${ns}.svc`, 'verify-full', 'superuser')).toEqual({ ok: true, out: 't\n' });
    for (const as of ['app', 'superuser'] as const) {
      const r = connect(`postgres-0.postgres.${ns}.svc`, 'disable', as);
      expect(r.ok, as).toBe(false);
      expect(r.out).toMatch(/no encryption/);
    }
  });

  it('Redis nodes and Sentinels talk TLS only (the baas-tls Secret at /run/secrets), probes pass, plaintext is refused, a replaced master comes back as a replica', async () => {
    const redis = podOf('StatefulSet', 'redis');
    const sentinel = podOf('StatefulSet', 'sentinel');
    for (const i of [0, 1, 2]) runPod(redis, `redis-${i}`, 'redis', { kind: 'StatefulSet', name: 'redis' });
    for (const i of [0, 1, 2]) runPod(sentinel, `sentinel-${i}`, 'sentinel', { kind: 'StatefulSet', name: 'sentinel' });
    for (const i of [0, 1, 2]) await until(`redis-${i} readiness`, () => probe(`redis-${i}`, redis));
    for (const i of [0, 1, 2]) await until(`sentinel-${i} quorum`, () => probe(`sentinel-${i}`, sentinel));
    const auth = ['-e', `REDISCLI_AUTH=${stringData['redis-password']}`];
    const cli = (pod: string, args: string[], tls = true, user = 'admin'): string => docker(['exec', ...auth, `${net}-${pod}`, 'redis-cli', '--no-auth-warning', '--user', user, ...(tls ? tlsCli : []), ...args]);
    const role = (pod: string): string => cli(pod, ['role']).split('\n')[0]!;
    expect([0, 1, 2].map((i) => role(`redis-${i}`))).toEqual(['master', 'slave', 'slave']);
    // Plaintext: nothing listens for it (port 0), on the nodes and the Sentinels.
    for (const [pod, port] of [['redis-0', '6379'], ['sentinel-0', '26379']] as const) {
      let out = '';
      try {
        out = cli(pod, ['-p', port, 'ping'], false);
      } catch (e) {
        out = String((e as { stdout?: string }).stdout ?? '');
      }
      expect(out, `${pod} answered plaintext`).not.toContain('PONG');
    }
    const masterOf = (): string => cli('sentinel-1', ['-p', '26379', 'SENTINEL', 'get-master-addr-by-name', 'baas']).split('\n')[0]!;
    expect(masterOf()).toBe(`redis-0.redis.${ns}.svc`);
    // The Sentinels see each other (over TLS: they have no other port).
    expect(cli('sentinel-1', ['-p', '26379', 'SENTINEL', 'CKQUORUM', 'baas'])).toMatch(/OK 3 usable Sentinels/);
    // The ACL users of one host: `default` is off (server profile) on nodes and Sentinels, the replicas log in as `replication`.
    for (const [pod, port] of [['redis-0', '6379'], ['sentinel-0', '26379']] as const) {
      let said: string;
      try {
        said = cli(pod, ['-p', port, 'ping'], true, 'default');
      } catch (e) {
        said = `${String((e as { stdout?: string }).stdout ?? '')} ${String((e as { stderr?: string }).stderr ?? '')}`;
      }
      expect(said, `${pod} let default in`).toMatch(/WRONGPASS|NOAUTH/);
      expect(said).not.toContain('PONG');
    }
    for (const pod of ['redis-1', 'redis-2']) expect(cli(pod, ['info', 'replication'])).toMatch(/^master_link_status:up\r?$/m);

    docker(['rm', '-f', `${net}-redis-0`]);
    await until('a new master', () => masterOf() !== `redis-0.redis.${ns}.svc`);
    runPod(redis, 'redis-0', 'redis', { kind: 'StatefulSet', name: 'redis' });
    await until('redis-0 readiness as a replica', () => probe('redis-0', redis) && role('redis-0') === 'slave');
  });
});
