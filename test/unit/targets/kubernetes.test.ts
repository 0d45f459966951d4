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
function render(yaml = '', options: Partial<Parameters<typeof kubernetesManifests>[3]> = {}) {
  const config = parseConfigText(`project: shop\nimages: local\nservices:\n  mongo:\n    enabled: false\n${yaml}`);
  return kubernetesManifests({ config, file: undefined, dir: '/tmp' }, secrets, {}, { namespace: 'shop', postgresStorage: '10Gi', redisStorage: '1Gi', ...options });
}
const all = (files: ReturnType<typeof render>): K8sObject[] => files.flatMap((f) => f.objects);
const find = (files: ReturnType<typeof render>, kind: string, name: string) => all(files).find((o) => o.kind === kind && o.metadata?.name === name) as never as Record<string, any>;

describe('renderKubernetes', () => {
  it('produces objects that pass the Kubernetes API schema, for the default and a sized config', () => {
    for (const files of [render(), render('  postgres:\n    memory: 2g\n    cpus: 1.5\n  redis:\n    memory: 512m\n    replicas: 4\n    sentinels: 5\n    quorum: 3\n', { storageClass: 'fast' })]) {
      const objects = all(files);
      expect(objects.map((o) => o.kind).sort()).toEqual(['Job', 'Namespace', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'Service', 'StatefulSet', 'StatefulSet', 'StatefulSet']);
      for (const o of objects) expect(() => validate(o), `${o.kind}/${o.metadata?.name}`).not.toThrow();
    }
  });

  it('the schema check is real: a wrong type is rejected', () => {
    const sts = find(render(), 'StatefulSet', 'postgres');
    const broken = structuredClone(sts);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'five';
    expect(() => validate(broken)).toThrow(/containerPort/);
  });

  it('puts the sentinels on distinct nodes (required anti-affinity) and spreads the Redis nodes (preferred)', () => {
    const files = render();
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

  it('keeps enough sentinels through voluntary disruptions for a failover (PodDisruptionBudget)', () => {
    const pdb = find(render(), 'PodDisruptionBudget', 'sentinel');
    expect(pdb.spec.minAvailable).toBe(2);
    expect(pdb.spec.selector.matchLabels).toEqual(find(render(), 'StatefulSet', 'sentinel').spec.selector.matchLabels);
    expect(find(render('  redis:\n    sentinels: 5\n    quorum: 2\n'), 'PodDisruptionBudget', 'sentinel').spec.minAvailable).toBe(3);
  });

  it('never puts a credential into a pod spec: pods reference the Secret', () => {
    const files = render();
    const values = [secrets.postgres.superuserPassword, secrets.postgres.appPassword, secrets.redis.password];
    const podSpecs = all(files).flatMap((o: any) => (o.spec?.template?.spec ? [o.spec.template.spec] : []));
    expect(podSpecs).toHaveLength(4);
    const text = JSON.stringify(podSpecs);
    for (const v of values) expect(text).not.toContain(v);
    const refs = podSpecs.flatMap((p: any) => p.containers.flatMap((c: any) => c.env ?? [])).filter((e: any) => e.valueFrom?.secretKeyRef);
    expect(new Set(refs.map((e: any) => e.valueFrom.secretKeyRef.key))).toEqual(new Set(['postgres-superuser-password', 'postgres-app-password', 'redis-password']));
    // The Secret itself carries them, and only it.
    const secret = find(files, 'Secret', 'baas-credentials');
    expect(Object.values(secret.stringData).sort()).toEqual([...values].sort());
    expect(files.filter((f) => f.sensitive).map((f) => f.name)).toEqual(['secret.yaml']);
  });

  it('uses StatefulSets with volume claim templates, headless Services and probes like baas health', () => {
    const files = render('  postgres:\n    memory: 1g\n', { storageClass: 'fast' });
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

  it('refuses MongoDB and bad sizes with a hint', () => {
    const config = parseConfigText('project: shop\n');
    expect(() => kubernetesManifests({ config, file: undefined, dir: '/tmp' }, secrets, {}, { namespace: 'shop', postgresStorage: '10Gi', redisStorage: '1Gi' })).toThrow(/MongoDB is not supported/);
    expect(() => render('', { postgresStorage: '10GB' })).toThrow(/not a Kubernetes storage size/);
    expect(() => render('', { namespace: 'Shop_1' })).toThrow(/not a valid Kubernetes namespace/);
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
