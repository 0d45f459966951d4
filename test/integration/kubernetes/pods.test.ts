import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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
const net = `baas-k8s-${id}`;
const label = `baas.project=k8s-${id}`;
const docker = (args: string[]): string => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const secrets = generateSecrets();
const files = kubernetesManifests(
  { config: parseConfigText(`project: shop\nimages: local\nservices:\n  mongo:\n    enabled: false\n  redis:\n    downAfterMilliseconds: 1000\n`), file: undefined, dir: '/tmp' },
  secrets,
  {},
  { namespace: ns, postgresStorage: '1Gi', redisStorage: '1Gi' },
);
const objects = files.flatMap((f) => f.objects) as Record<string, any>[];
const stringData = objects.find((o) => o.kind === 'Secret')!.stringData as Record<string, string>;
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

function runPod(c: Container, pod: string, svc: string, o: { publish?: boolean } = {}): string {
  return docker([
    'run', '-d', ...(o.publish ? ['-p', '127.0.0.1::5432'] : []),
    '--name', `${net}-${pod}`, '--hostname', pod, '--network', net, '--network-alias', `${pod}.${svc}.${ns}.svc`,
    '--label', label, '--label', TEST_LABEL,
    ...envFor(c, pod), '--entrypoint', c.command[0]!, c.image, ...c.command.slice(1),
  ]);
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

describe('the Kubernetes pods, run in Docker under their pod names', () => {
  beforeAll(() => {
    docker(['network', 'create', '--label', label, '--label', TEST_LABEL, net]);
  });
  afterAll(async () => {
    await removeByLabel(label);
  });

  it('Postgres starts from the rendered command, the bootstrap Job creates the app role, and readiness (select 1 as the app role) passes', async () => {
    const pg = podOf('StatefulSet', 'postgres');
    runPod(pg, 'postgres-0', 'postgres', { publish: true });
    const port = docker(['port', `${net}-postgres-0`, '5432/tcp']).split('\n')[0]!.split(':').pop()!;
    // The local image carries only the server binaries; psql and pg_isready come from the host's
    // postgresql-client here (the official image a cluster pulls has them). The scripts are the
    // rendered ones, run with the pod's environment, pointed at the published port.
    const onHost = (c: Container, script: string, pod: string): { ok: boolean; out: string } => {
      const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] };
      const args = envFor(c, pod);
      for (let i = 1; i < args.length; i += 2) {
        const [k, ...v] = args[i]!.split('=');
        env[k!] = v.join('=');
      }
      Object.assign(env, { PGHOST: '127.0.0.1', PGPORT: port });
      try {
        return { ok: true, out: execFileSync('sh', ['-c', script.replace(/-h "\$PGHOST"/g, '')], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
      } catch (e) {
        return { ok: false, out: String((e as { stderr?: string }).stderr ?? e) };
      }
    };
    const ready = (): boolean => onHost(pg, pg.readinessProbe!.exec.command[2]!, 'postgres-0').ok;
    const job = objects.find((o) => o.kind === 'Job')!.spec.template.spec.containers[0] as Container;
    await until('postgres accepts connections', () => onHost(job, 'pg_isready -q -U postgres', 'bootstrap').ok);
    expect(ready()).toBe(false); // no app role before the Job
    const run1 = onHost(job, job.command[2]!, 'bootstrap');
    expect(run1.out, run1.out).toMatch(/database and application role ready/);
    // A Job may run more than once.
    expect(onHost(job, job.command[2]!, 'bootstrap').ok).toBe(true);
    await until('postgres readiness', ready);
  });

  it('Redis nodes and Sentinels find each other by pod name: one master, replicas linked, sentinel quorum', async () => {
    const redis = podOf('StatefulSet', 'redis');
    const sentinel = podOf('StatefulSet', 'sentinel');
    for (const i of [0, 1, 2]) runPod(redis, `redis-${i}`, 'redis');
    for (const i of [0, 1, 2]) runPod(sentinel, `sentinel-${i}`, 'sentinel');
    for (const i of [0, 1, 2]) await until(`redis-${i} readiness`, () => probe(`redis-${i}`, redis));
    for (const i of [0, 1, 2]) await until(`sentinel-${i} quorum`, () => probe(`sentinel-${i}`, sentinel));
    const auth = ['-e', `REDISCLI_AUTH=${stringData['redis-password']}`];
    const role = (pod: string): string => docker(['exec', ...auth, `${net}-${pod}`, 'redis-cli', '--no-auth-warning', 'role']).split('\n')[0]!;
    expect([0, 1, 2].map((i) => role(`redis-${i}`))).toEqual(['master', 'slave', 'slave']);
    const master = docker(['exec', ...auth, `${net}-sentinel-1`, 'redis-cli', '--no-auth-warning', '-p', '26379', 'SENTINEL', 'get-master-addr-by-name', 'baas']);
    expect(master.split('\n')[0]).toBe(`redis-0.redis.${ns}.svc`);

    // The master's pod is replaced (a new pod, the same name): it comes back as a replica of the promoted one.
    docker(['rm', '-f', `${net}-redis-0`]);
    await until('a new master', () => {
      const m = docker(['exec', ...auth, `${net}-sentinel-1`, 'redis-cli', '--no-auth-warning', '-p', '26379', 'SENTINEL', 'get-master-addr-by-name', 'baas']).split('\n')[0];
      return m !== `redis-0.redis.${ns}.svc`;
    });
    runPod(redis, 'redis-0', 'redis');
    await until('redis-0 readiness as a replica', () => probe('redis-0', redis) && role('redis-0') === 'slave');
  });
});
