import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';
import { parseConfigText } from '../../../src/config/load.js';
import { generateSecrets } from '../../../src/stack/secrets.js';
import { kubernetesManifests } from '../../../src/targets/kubernetes/render.js';
import type { K8sObject } from '../../../src/targets/kubernetes/manifests.js';
import { allSecretValues } from '../../../src/model/secrets.js';
import { nodeAcl, nodeAuthConf, sentinelAuthConf } from '../../../src/services/redis-conf.js';

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Namespace: Namespace as never,
  Secret: Secret as never,
  Service: Service as never,
  StatefulSet: StatefulSet as never,
  Job: Job as never,
  PodDisruptionBudget: PodDisruptionBudget as never,
};

/** Validates against the Kubernetes OpenAPI schemas shipped by kubernetes-models (ajv). */
function validate(o: { kind?: string }): void {
  const Model = MODELS[o.kind ?? ''];
  if (!Model) throw new Error(`no schema for kind ${o.kind}`);
  new Model(o as never).validate();
}

const secrets = generateSecrets();
function render(yaml = '', options: Partial<Parameters<typeof kubernetesManifests>[3]> = {}, dir = '/tmp') {
  const config = parseConfigText(`project: shop\nimages: local\nservices:\n  mongo:\n    enabled: false\n${yaml}`);
  return kubernetesManifests({ config, file: undefined, dir }, secrets, {}, { namespace: 'shop', postgresStorage: '10Gi', redisStorage: '1Gi', ...options });
}
type Files = Awaited<ReturnType<typeof render>>;
const all = (files: Files): K8sObject[] => files.flatMap((f) => f.objects);
const find = (files: Files, kind: string, name: string) => all(files).find((o) => o.kind === kind && o.metadata?.name === name) as never as Record<string, any>;

describe('renderKubernetes', () => {
  it('produces objects that pass the Kubernetes API schema, for the default and a sized config', async () => {
    for (const files of [await render(), await render('  postgres:\n    memory: 2g\n    cpus: 1.5\n  redis:\n    memory: 512m\n    replicas: 4\n    sentinels: 5\n    quorum: 3\n', { storageClass: 'fast' })]) {
      const objects = all(files);
      expect(objects.map((o) => o.kind).sort()).toEqual(['Job', 'Namespace', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'Service', 'StatefulSet', 'StatefulSet', 'StatefulSet']);
      for (const o of objects) expect(() => validate(o), `${o.kind}/${o.metadata?.name}`).not.toThrow();
    }
  });

  it('the schema check is real: a wrong type is rejected', async () => {
    const sts = find(await render(), 'StatefulSet', 'postgres');
    const broken = structuredClone(sts);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'five';
    expect(() => validate(broken)).toThrow(/containerPort/);
  });

  it('puts the sentinels on distinct nodes (required anti-affinity) and spreads the Redis nodes (preferred)', async () => {
    const files = await render();
    const sentinel = find(files, 'StatefulSet', 'sentinel');
    const req = sentinel.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    expect(req).toHaveLength(1);
    expect(req[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(req[0].labelSelector.matchLabels).toEqual(sentinel.spec.selector.matchLabels);
    expect(sentinel.spec.replicas).toBe(3);
    const redis = find(files, 'StatefulSet', 'redis');
    expect(redis.spec.replicas).toBe(3);
    expect(redis.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
  });

  it('keeps enough sentinels through voluntary disruptions for a failover (PodDisruptionBudget)', async () => {
    const pdb = find(await render(), 'PodDisruptionBudget', 'sentinel');
    expect(pdb.spec.minAvailable).toBe(2);
    expect(pdb.spec.selector.matchLabels).toEqual(find(await render(), 'StatefulSet', 'sentinel').spec.selector.matchLabels);
    expect(find(await render('  redis:\n    sentinels: 5\n    quorum: 2\n'), 'PodDisruptionBudget', 'sentinel').spec.minAvailable).toBe(3);
  });

  it('never puts a credential into a pod spec: pods reference the Secret', async () => {
    const files = await render();
    const values = allSecretValues(secrets).filter((v) => !Object.values(secrets.mongo).includes(v));
    const podSpecs = all(files).flatMap((o: any) => (o.spec?.template?.spec ? [o.spec.template.spec] : []));
    expect(podSpecs).toHaveLength(4);
    const text = JSON.stringify(podSpecs);
    for (const v of values) expect(text).not.toContain(v);
    const refs = podSpecs.flatMap((p: any) => p.containers.flatMap((c: any) => c.env ?? [])).filter((e: any) => e.valueFrom?.secretKeyRef);
    // Redis's scripts and probes ask as the read-only monitor user.
    expect(new Set(refs.map((e: any) => e.valueFrom.secretKeyRef.key))).toEqual(new Set(['postgres-superuser-password', 'postgres-app-password', 'redis-monitor-password']));
    // The Secret itself carries them, and only it; Postgres also gets its password file and pg_hba.conf from it at /run/secrets.
    const secret = find(files, 'Secret', 'baas-credentials');
    for (const v of values) expect(Object.values(secret.stringData)).toContain(v);
    expect(secret.stringData['postgres-file-postgres-password']).toBe(`${secrets.postgres.superuserPassword}\n`);
    expect(secret.stringData['postgres-file-pg_hba.conf']).toMatch(/scram-sha-256/);
    const pgPod = find(files, 'StatefulSet', 'postgres').spec.template.spec;
    expect(pgPod.volumes[0].secret.items).toEqual([{ key: 'postgres-file-postgres-password', path: 'postgres-password' }, { key: 'postgres-file-pg_hba.conf', path: 'pg_hba.conf' }]);
    expect(pgPod.containers[0].volumeMounts).toContainEqual({ name: 'secrets', mountPath: '/run/secrets', readOnly: true });
    expect(files.filter((f) => f.sensitive).map((f) => f.name)).toEqual(['secret.yaml']);
  });

  it("gives Redis the single-host ACL users: the Secret holds one host's users.acl, auth.conf and sentinel-auth.conf, each pod mounts its own at /run/secrets", async () => {
    for (const server of [false, true]) {
      const files = await render(server ? 'profile: server\ntls: false\nbackups:\n  enabled: false\n' : '');
      const cfg = parseConfigText('').services.redis;
      const secret = find(files, 'Secret', 'baas-credentials').stringData as Record<string, string>;
      // The very files of one host: the same users and rules, from the same definition.
      expect(secret['redis-file-users.acl']).toBe(nodeAcl(secrets.redis, server));
      expect(secret['redis-file-users.acl']).toMatch(server ? /^user default off /m : /^user default on /m);
      expect(secret['redis-file-auth.conf']).toBe(nodeAuthConf(secrets.redis));
      expect(secret['sentinel-file-sentinel-auth.conf']).toBe(sentinelAuthConf(cfg, secrets.redis, server));
      for (const [w, items] of [['redis', [['redis-file-auth.conf', 'auth.conf'], ['redis-file-users.acl', 'users.acl']]], ['sentinel', [['sentinel-file-sentinel-auth.conf', 'sentinel-auth.conf']]]] as const) {
        const pod = find(files, 'StatefulSet', w).spec.template.spec;
        const vol = pod.volumes.find((v: any) => v.name === 'secrets');
        expect(vol.projected.sources).toEqual([{ secret: { name: 'baas-credentials', items: items.map(([key, path]) => ({ key, path })) } }]);
        expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'secrets', mountPath: '/run/secrets', readOnly: true });
        const script = pod.containers[0].command[2] as string;
        expect(script).not.toMatch(/requirepass|masterauth|auth-pass|REDIS_PASSWORD/);
        expect(pod.containers[0].readinessProbe.exec.command[2]).toContain('redis-cli --no-auth-warning --user monitor ');
        expect(pod.containers[0].livenessProbe.exec.command[2]).toContain('redis-cli --no-auth-warning --user monitor ');
      }
      const node = find(files, 'StatefulSet', 'redis').spec.template.spec.containers[0].command[2] as string;
      expect(node).toContain('echo "aclfile /etc/baas/run/users.acl"');
      expect(node).toContain('echo "include /etc/baas/run/auth.conf"');
      expect(find(files, 'StatefulSet', 'sentinel').spec.template.spec.containers[0].command[2]).toContain('cat /etc/baas/run/sentinel-auth.conf');
    }
  });

  it('uses StatefulSets with volume claim templates, headless Services and probes like baas health', async () => {
    const files = await render('  postgres:\n    memory: 1g\n', { storageClass: 'fast' });
    const pg = find(files, 'StatefulSet', 'postgres');
    expect(pg.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } });
    expect(pg.spec.template.spec.containers[0].resources).toEqual({ requests: { memory: '1024Mi' }, limits: { memory: '1024Mi' } });
    expect(pg.spec.template.spec.containers[0].readinessProbe.exec.command.join(' ')).toMatch(/select 1/);
    expect(find(files, 'Service', 'postgres').spec.clusterIP).toBe('None');
    expect(find(files, 'Service', 'redis').spec.clusterIP).toBe('None');
    expect(find(files, 'StatefulSet', 'redis').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
    expect(find(files, 'StatefulSet', 'sentinel').spec.template.spec.containers[0].readinessProbe.exec.command.join(' ')).toMatch(/CKQUORUM/);
    expect(find(files, 'StatefulSet', 'redis').spec.template.spec.containers[0].readinessProbe.exec.command.join(' ')).toMatch(/master_link_status:up/);
  });

  it('refuses MongoDB and bad sizes with a hint', async () => {
    const config = parseConfigText('project: shop\n');
    await expect(kubernetesManifests({ config, file: undefined, dir: '/tmp' }, secrets, {}, { namespace: 'shop', postgresStorage: '10Gi', redisStorage: '1Gi' })).rejects.toThrow(/MongoDB is not supported/);
    await expect(render('', { postgresStorage: '10GB' })).rejects.toThrow(/not a Kubernetes storage size/);
    await expect(render('', { namespace: 'Shop_1' })).rejects.toThrow(/not a valid Kubernetes namespace/);
  });
});

describe('renderKubernetes with TLS (profile: server)', () => {
  const serverDir = () => mkdtempSync(path.join(os.tmpdir(), 'baas-k8s-tls-'));
  const SERVER = 'profile: server\nbackups:\n  enabled: false\n';
  const renderServer = (dir = serverDir()) => {
    const config = parseConfigText(`project: shop\nimages: local\n${SERVER}services:\n  mongo:\n    enabled: false\n`);
    return kubernetesManifests({ config, file: undefined, dir }, secrets, {}, { namespace: 'shop', postgresStorage: '10Gi', redisStorage: '1Gi' });
  };

  it('puts the CA and one certificate per StatefulSet into the Secret baas-tls, in secret.yaml only; every object passes the schema', async () => {
    const files = await renderServer();
    for (const o of all(files)) expect(() => validate(o), `${o.kind}/${o.metadata?.name}`).not.toThrow();
    const tls = find(files, 'Secret', 'baas-tls');
    expect(Object.keys(tls.stringData).sort()).toEqual(['ca.crt', 'postgres.crt', 'postgres.key', 'redis.crt', 'redis.key', 'sentinel.crt', 'sentinel.key']);
    expect(files.find((f) => f.objects.includes(tls))!.name).toBe('secret.yaml');
    // No PEM and no password anywhere but the sensitive file.
    const open = JSON.stringify(files.filter((f) => !f.sensitive).map((f) => f.objects));
    expect(open).not.toMatch(/BEGIN|PRIVATE KEY/);
    for (const v of [secrets.postgres.superuserPassword, secrets.redis.password]) expect(open).not.toContain(v);
  });

  it("each StatefulSet's certificate covers its pods' DNS names; the pods mount it at /run/secrets", async () => {
    const files = await renderServer();
    const { X509Certificate } = await import('node:crypto');
    const tls = find(files, 'Secret', 'baas-tls').stringData as Record<string, string>;
    const redisCert = new X509Certificate(tls['redis.crt']!);
    for (const n of ['redis-0.redis.shop.svc', 'redis-2.redis.shop.svc.cluster.local', 'redis.shop.svc', 'localhost']) expect(redisCert.checkHost(n), n).toBe(n);
    expect(redisCert.checkHost('sentinel-0.sentinel.shop.svc')).toBeUndefined();
    expect(redisCert.verify(new X509Certificate(tls['ca.crt']!).publicKey)).toBe(true);
    expect(new X509Certificate(tls['sentinel.crt']!).checkHost('sentinel-2.sentinel.shop.svc')).toBe('sentinel-2.sentinel.shop.svc');
    for (const w of ['redis', 'sentinel']) {
      const pod = find(files, 'StatefulSet', w).spec.template.spec;
      // The TLS files beside the credential files, in one directory (a projected volume).
      const vol = pod.volumes.find((v: any) => v.name === 'secrets').projected;
      expect(vol.defaultMode).toBe(0o400);
      expect(vol.sources.map((x: any) => x.secret.name)).toEqual(['baas-credentials', 'baas-tls']);
      expect(vol.sources[1].secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }, { key: `${w}.crt`, path: 'server.crt' }, { key: `${w}.key`, path: 'server.key' }]);
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'secrets', mountPath: '/run/secrets', readOnly: true });
    }
    // Postgres: its password, pg_hba.conf and the TLS files in one directory (a projected volume).
    const pg = find(files, 'StatefulSet', 'postgres').spec.template.spec;
    const sources = pg.volumes[0].projected.sources.map((x: any) => x.secret.name);
    expect(sources).toEqual(['baas-credentials', 'baas-tls']);
  });

  it('renders the single-host TLS settings and probes that verify the CA', async () => {
    const files = await renderServer();
    const redis = find(files, 'StatefulSet', 'redis').spec.template.spec.containers[0];
    const script = redis.command[2] as string;
    for (const line of ['port 0', 'tls-port 6379', 'tls-replication yes']) expect(script).toContain(`echo "${line}"`);
    expect(redis.readinessProbe.exec.command[2]).toContain('redis-cli --no-auth-warning --user monitor --tls --cacert /etc/baas/run/ca.crt info replication');
    expect(redis.livenessProbe.exec.command[2]).toContain('--tls --cacert');
    const sentinel = find(files, 'StatefulSet', 'sentinel').spec.template.spec.containers[0];
    expect(sentinel.command[2]).toContain('echo "tls-port 26379"');
    expect(sentinel.readinessProbe.exec.command[2]).toMatch(/--tls --cacert .* CKQUORUM/);
    const pg = find(files, 'StatefulSet', 'postgres').spec.template.spec.containers[0];
    expect(pg.command.join(' ')).toContain('ssl=on');
    // Readiness insists on TLS and checks the chain and the name (127.0.0.1 is on the certificate), as `baas health` does.
    expect(pg.readinessProbe.exec.command[2]).toContain('PGSSLMODE=verify-full PGSSLROOTCERT=/etc/baas/run/ca.crt psql -h 127.0.0.1');
    const hba = find(files, 'Secret', 'baas-credentials').stringData['postgres-file-pg_hba.conf'] as string;
    expect(hba).toMatch(/^hostnossl all all 0\.0\.0\.0\/0 reject$/m);
    const job = find(files, 'Job', 'postgres-bootstrap').spec.template.spec;
    expect(job.containers[0].env).toEqual(expect.arrayContaining([{ name: 'PGSSLMODE', value: 'verify-full' }, { name: 'PGSSLROOTCERT', value: '/run/secrets/ca.crt' }]));
    expect(job.volumes[0].secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
  });

  it('a second render keeps the certificates; without TLS there is no baas-tls and no TLS line', async () => {
    const dir = serverDir();
    const a = find(await renderServer(dir), 'Secret', 'baas-tls').stringData;
    const b = find(await renderServer(dir), 'Secret', 'baas-tls').stringData;
    expect(b).toEqual(a);
    const plain = await render();
    expect(all(plain).some((o) => o.metadata?.name === 'baas-tls')).toBe(false);
    expect(JSON.stringify(all(plain))).not.toMatch(/tls-port|--tls|PGSSLMODE/);
  });
});

describe('baas render kubernetes', () => {
  const project = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-render-'));
    writeFileSync(path.join(dir, 'platform.config.yaml'), 'project: shop\nimages: local\nservices:\n  mongo:\n    enabled: false\n');
    return dir;
  };

  it('prints every object but the Secret, and says where the Secret goes', async () => {
    const dir = project();
    const io = captureIo({ cwd: dir });
    expect(await main(['render', 'kubernetes'], io)).toBe(0);
    const docs = parseAllDocuments(io.out()).map((d) => d.toJSON() as K8sObject);
    expect(docs.map((d) => d.kind)).not.toContain('Secret');
    for (const d of docs) validate(d);
    expect(io.err()).toMatch(/Secret shop\/baas-credentials holds passwords and was left out/);
    const stored = JSON.parse(readFileSync(path.join(dir, '.baas/secrets.json'), 'utf8'));
    expect(io.out()).not.toContain(stored.redis.password);
  });

  it('writes one file per part, the Secret 0600 and git-ignored, and a kustomization', async () => {
    const dir = project();
    const io = captureIo({ cwd: dir });
    expect(await main(['render', 'kubernetes', '--out', 'k8s', '--kustomize', '--namespace', 'prod'], io)).toBe(0);
    const out = path.join(dir, 'k8s');
    expect(statSync(path.join(out, 'secret.yaml')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(out, '.gitignore'), 'utf8')).toMatch(/^secret\.yaml$/m);
    const kust = parseAllDocuments(readFileSync(path.join(out, 'kustomization.yaml'), 'utf8'))[0]!.toJSON();
    expect(kust).toMatchObject({ kind: 'Kustomization', namespace: 'prod', resources: ['namespace.yaml', 'secret.yaml', 'postgres.yaml', 'redis.yaml'] });
    for (const f of kust.resources as string[]) {
      for (const d of parseAllDocuments(readFileSync(path.join(out, f), 'utf8'))) {
        const o = d.toJSON() as K8sObject;
        validate(o);
        if (o.kind !== 'Namespace') expect(o.metadata?.namespace).toBe('prod');
      }
    }
    // Again into the same directory is fine; into one with foreign files is refused.
    expect(await main(['render', 'kubernetes', '--out', 'k8s'], captureIo({ cwd: dir }))).toBe(0);
    writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const io2 = captureIo({ cwd: dir });
    expect(await main(['render', 'kubernetes', '--out', 'k8s'], io2)).toBe(5);
    expect(io2.err()).toMatch(/holds other files \(notes\.txt\)/);
  });

  it('--kustomize without --out is a usage error', async () => {
    const io = captureIo({ cwd: project() });
    expect(await main(['render', 'kubernetes', '--kustomize'], io)).toBe(2);
    expect(io.err()).toMatch(/--kustomize needs --out/);
  });
});
