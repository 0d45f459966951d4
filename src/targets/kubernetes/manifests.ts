import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { Config } from '../../config/schema.js';
import { parseSize } from '../../config/schema.js';
import { UserError } from '../../errors.js';
import type { ServiceDef } from '../../services/types.js';
import { configHash } from '../../stack/reconcile.js';
import { SECRETS_DIR } from '../../security/files.js';
import {
  clusterCredentialFiles,
  clusterNodeEnv,
  clusterRedisEnv,
  clusterRedisStart,
  clusterSentinelEnv,
  clusterSentinelStart,
  MONITOR_PASSWORD,
  redisCli,
  redisReady,
  sentinelReady,
} from '../cluster-scripts.js';
import { defsOf, splitEnv, type SecretItem } from '../common.js';

/**
 * Kubernetes manifests for the stack, built from the same desired state as `baas up`. Pure:
 * data in, objects out. The types come from kubernetes-models (the Kubernetes OpenAPI
 * definitions), so a misspelt field does not compile; the tests validate every object
 * against the same package's JSON schemas.
 */

export type K8sObject = INamespace | ISecret | IService | IStatefulSet | IPodDisruptionBudget | IJob;

export interface RenderOptions {
  namespace: string;
  storageClass?: string;
  postgresStorage: string;
  redisStorage: string;
}

/** The StatefulSets that get a certificate of their own (one for all their pods). */
export const TLS_WORKLOADS = ['postgres', 'redis', 'sentinel'] as const;
export type TlsWorkload = (typeof TLS_WORKLOADS)[number];

/** PEM files for `tls: true`: the CA, and each StatefulSet's certificate and key. */
export interface KubernetesTls {
  ca: string;
  certs: Partial<Record<TlsWorkload, { cert: string; key: string }>>;
}

export interface RenderInput {
  config: Config;
  defs: ServiceDef[];
  secrets: SecretItem[];
  options: RenderOptions;
  /** Set when TLS is on: rendered into the Secret `baas-tls`, mounted at /run/secrets. */
  tls?: KubernetesTls;
}

export interface ManifestFile {
  /** File name in the output directory, e.g. `redis.yaml`. */
  name: string;
  objects: K8sObject[];
  /** Holds credentials: written 0600, printed only with --show-secrets. */
  sensitive?: boolean;
}

export const SECRET_NAME = 'baas-credentials';
export const TLS_SECRET_NAME = 'baas-tls';

/** The DNS names a StatefulSet's pods are reached at: each pod (`redis-0.redis.<ns>.svc`) and the Service, short and full. */
export function workloadNames(workload: string, namespace: string, replicas: number): string[] {
  const svc = `${workload}.${namespace}.svc`;
  const pods = Array.from({ length: replicas }, (_, i) => `${workload}-${i}.${svc}`);
  return [workload, `${workload}.${namespace}`, svc, `${svc}.cluster.local`, ...pods, ...pods.map((p) => `${p}.cluster.local`)];
}

/** The TLS files of a workload in the Secret `baas-tls`, as /run/secrets file names (ca.crt, server.crt, server.key). */
const tlsItems = (workload: TlsWorkload): { key: string; path: string }[] => [
  { key: 'ca.crt', path: 'ca.crt' },
  { key: `${workload}.crt`, path: 'server.crt' },
  { key: `${workload}.key`, path: 'server.key' },
];

const STORAGE = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti)$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function validateRenderOptions(o: RenderOptions): void {
  if (!DNS_LABEL.test(o.namespace)) {
    throw new UserError(`--namespace '${o.namespace}' is not a valid Kubernetes namespace name.`, { hint: 'Use lowercase letters, digits and -, at most 63 characters, e.g. --namespace baas.' });
  }
  for (const [flag, v] of [['--postgres-storage', o.postgresStorage], ['--redis-storage', o.redisStorage]] as const) {
    if (!STORAGE.test(v)) throw new UserError(`${flag} '${v}' is not a Kubernetes storage size.`, { hint: `Use a quantity such as 10Gi or 512Mi, e.g. ${flag} 20Gi.` });
  }
}

/** Memory as Kubernetes writes it (Mi), from the config's sizes (512m, 1g). */
export function memoryQuantity(size: string): string {
  return `${Math.max(1, Math.round(parseSize(size) / 1024 ** 2))}Mi`;
}

function resourcesFor(config: Config, group: 'postgres' | 'redis'): IContainer['resources'] {
  const svc = config.services[group];
  if (!svc.memory && !svc.cpus) return undefined;
  const limits: Record<string, string> = {};
  if (svc.memory) limits['memory'] = memoryQuantity(svc.memory);
  if (svc.cpus) limits['cpu'] = String(svc.cpus);
  // Requests equal limits: a database should not be the first thing evicted under pressure.
  return { requests: { ...limits }, limits };
}

function labels(project: string, service: string, kind: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': service,
    'app.kubernetes.io/instance': project,
    'app.kubernetes.io/component': kind,
    'app.kubernetes.io/part-of': 'baas',
    'app.kubernetes.io/managed-by': 'baas',
    'baas.project': project,
    'baas.service': service,
  };
}

const selector = (project: string, service: string): Record<string, string> => ({
  'app.kubernetes.io/name': service,
  'app.kubernetes.io/instance': project,
});

/** Plain env as name/value pairs, credentials as references to the Secret (never their values). */
function envVars(plain: Record<string, string>, secret: { name: string; key: string }[]): IEnvVar[] {
  return [
    ...Object.entries(plain).map(([name, value]) => ({ name, value })),
    ...secret.map((s) => ({ name: s.name, valueFrom: { secretKeyRef: { name: SECRET_NAME, key: s.key } } })),
  ];
}

const podFieldEnv: IEnvVar[] = [
  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
];

const execProbe = (script: string, o: { period: number; failures: number; initialDelay?: number; timeout?: number }): IProbe => ({
  exec: { command: ['sh', '-c', script] },
  periodSeconds: o.period,
  failureThreshold: o.failures,
  timeoutSeconds: o.timeout ?? 5,
  ...(o.initialDelay ? { initialDelaySeconds: o.initialDelay } : {}),
});

function headless(ns: string, project: string, name: string, kind: string, port: number): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: labels(project, name, kind) },
    spec: {
      clusterIP: 'None',
      // Peers must find each other by name before they are ready (a replica needs its master's name to sync).
      publishNotReadyAddresses: true,
      selector: selector(project, name),
      ports: [{ name: kind === 'sentinel' ? 'sentinel' : kind, port, targetPort: port }],
    },
  };
}

function pvc(name: string, size: string, storageClass: string | undefined): NonNullable<NonNullable<IStatefulSet['spec']>['volumeClaimTemplates']>[number] {
  return {
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...(storageClass ? { storageClassName: storageClass } : {}) },
  };
}

function statefulSet(
  ns: string,
  project: string,
  name: string,
  kind: string,
  o: { replicas: number; pod: IPodSpec; hash: string; claims?: ReturnType<typeof pvc>[]; parallel?: boolean },
): IStatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns, labels: labels(project, name, kind) },
    spec: {
      serviceName: name,
      replicas: o.replicas,
      podManagementPolicy: o.parallel ? 'Parallel' : 'OrderedReady',
      selector: { matchLabels: selector(project, name) },
      template: {
        // The config hash as on Docker: a changed setting changes the template, which rolls the pods.
        metadata: { labels: labels(project, name, kind), annotations: { 'baas.config-hash': o.hash } },
        spec: o.pod,
      },
      ...(o.claims ? { volumeClaimTemplates: o.claims } : {}),
    },
  };
}

const antiAffinity = (project: string, name: string, required: boolean): NonNullable<IPodSpec['affinity']> => {
  const term = { labelSelector: { matchLabels: selector(project, name) }, topologyKey: 'kubernetes.io/hostname' };
  return {
    podAntiAffinity: required
      ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
      : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] },
  };
};

function pdb(ns: string, project: string, name: string, kind: string, budget: { maxUnavailable?: number; minAvailable?: number }): IPodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: ns, labels: labels(project, name, kind) },
    spec: { ...budget, selector: { matchLabels: selector(project, name) } },
  };
}

/**
 * Postgres bootstrap as a Job: the same database, role and default privileges as
 * `bootstrapPostgres`, written with psql's \gexec so the password travels as a variable from the
 * Secret, never in the manifest.
 */
export const POSTGRES_BOOTSTRAP = `set -eu
export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
until pg_isready -q -h "$PGHOST" -U postgres; do sleep 2; done
psql -h "$PGHOST" -U postgres -d postgres -v ON_ERROR_STOP=1 -v db="$BAAS_DATABASE" -v app="$BAAS_APP_USER" -v pw="$APP_PASSWORD" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\\gexec
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', :'app') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app')\\gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', :'app', :'pw')\\gexec
\\connect :db
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'db', :'app')\\gexec
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'app')\\gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', :'app')\\gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', :'app')\\gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO %I', :'app')\\gexec
SQL
echo "baas: database and application role ready"`;

/**
 * `select 1` as the application role, as `baas health` asks it: with TLS over TLS only, the chain
 * checked against the CA (the start script's copy) and the name (127.0.0.1 is on the certificate).
 */
const postgresReady = (tls: boolean): string =>
  `PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH" PGPASSWORD="$APP_PASSWORD" ${tls ? `PGSSLMODE=verify-full PGSSLROOTCERT=${SECRETS_DIR}/ca.crt ` : ''}psql -h 127.0.0.1 -U "$BAAS_APP_USER" -d "$BAAS_DATABASE" -tAc 'select 1' | grep -q 1`;
const POSTGRES_ALIVE = `PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH" pg_isready -q -h 127.0.0.1 -U postgres`;

/** A service's secret file as a key of the stack's Secret (keys allow [-._a-zA-Z0-9]). */
export const secretFileKey = (service: string, file: string): string => `${service}-file-${file}`;

function postgresObjects(input: RenderInput, def: ServiceDef): K8sObject[] {
  const { config, options } = input;
  const ns = options.namespace;
  const project = config.project;
  const cfg = config.services.postgres;
  const env = splitEnv(def.spec.env, input.secrets);
  const appPassword = { name: 'APP_PASSWORD', key: 'postgres-app-password' };
  const dataMount = def.spec.mounts[0]?.target ?? '/var/lib/postgresql/data';
  const tls = Boolean(input.tls);
  const ownFiles = Object.keys(def.secretFiles ?? {}).map((n) => ({ key: secretFileKey(def.name, n), path: n }));
  const container: IContainer = {
    name: 'postgres',
    image: def.spec.image,
    command: def.spec.cmd,
    env: envVars({ ...env.plain, BAAS_DATABASE: cfg.database, BAAS_APP_USER: cfg.user }, [...env.secret, appPassword]),
    ports: [{ name: 'postgres', containerPort: def.internal.port }],
    // The start script reads its password and pg_hba.conf from /run/secrets, as on Docker.
    volumeMounts: [{ name: 'data', mountPath: dataMount }, { name: 'secrets', mountPath: '/run/secrets', readOnly: true }],
    readinessProbe: execProbe(postgresReady(tls), { period: 5, failures: 3 }),
    livenessProbe: execProbe(POSTGRES_ALIVE, { period: 10, failures: 6, initialDelay: 30 }),
    ...(resourcesFor(config, 'postgres') ? { resources: resourcesFor(config, 'postgres') } : {}),
  };
  const sts = statefulSet(ns, project, 'postgres', 'postgres', {
    replicas: 1,
    hash: configHash(def),
    pod: {
      containers: [container],
      terminationGracePeriodSeconds: def.spec.stopTimeoutSeconds ?? 30,
      // Its password and pg_hba.conf, and with TLS the CA, certificate and key: one directory, as on Docker.
      volumes: [
        tls
          ? { name: 'secrets', projected: { defaultMode: 0o400, sources: [{ secret: { name: SECRET_NAME, items: ownFiles } }, { secret: { name: TLS_SECRET_NAME, items: tlsItems('postgres') } }] } }
          : { name: 'secrets', secret: { secretName: SECRET_NAME, defaultMode: 0o400, items: ownFiles } },
      ],
    },
    claims: [pvc('data', options.postgresStorage, options.storageClass)],
  });
  const job: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'postgres-bootstrap', namespace: ns, labels: labels(project, 'postgres-bootstrap', 'postgres') },
    spec: {
      backoffLimit: 20,
      template: {
        metadata: { labels: labels(project, 'postgres-bootstrap', 'postgres') },
        spec: {
          restartPolicy: 'OnFailure',
          containers: [
            {
              name: 'bootstrap',
              image: def.spec.image,
              command: ['sh', '-c', POSTGRES_BOOTSTRAP],
              env: envVars(
                {
                  PG_MAJOR: String(cfg.version),
                  PGHOST: `postgres-0.postgres.${ns}.svc`,
                  BAAS_DATABASE: cfg.database,
                  BAAS_APP_USER: cfg.user,
                  // As baas's own clients: the chain and the name are verified.
                  ...(tls ? { PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/run/secrets/ca.crt' } : {}),
                },
                [{ name: 'PGPASSWORD', key: 'postgres-superuser-password' }, appPassword],
              ),
              ...(tls ? { volumeMounts: [{ name: 'tls', mountPath: '/run/secrets', readOnly: true }] } : {}),
            },
          ],
          ...(tls ? { volumes: [{ name: 'tls', secret: { secretName: TLS_SECRET_NAME, defaultMode: 0o400, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } : {}),
        },
      },
    },
  };
  return [headless(ns, project, 'postgres', 'postgres', def.internal.port), sts, job];
}

function redisObjects(input: RenderInput): K8sObject[] {
  const { config, options, defs } = input;
  const ns = options.namespace;
  const project = config.project;
  const cfg = config.services.redis;
  const nodes = defsOf(defs, 'redis');
  const sentinels = defsOf(defs, 'sentinel');
  const first = nodes[0]!;
  const host = (svc: string, i: number): string => `${svc}-${i}.${svc}.${ns}.svc`;
  const sentinelHosts = sentinels.map((_, i) => host('sentinel', i));
  const tls = Boolean(input.tls);
  const cli = redisCli(tls);
  // The credential files (users.acl and auth.conf; sentinel-auth.conf), with TLS the CA, certificate and key: one directory, as on Docker.
  const secretsVolume = (w: 'redis' | 'sentinel', def: ServiceDef) => {
    const own = { secret: { name: SECRET_NAME, items: Object.keys(clusterCredentialFiles(def)).map((f) => ({ key: secretFileKey(w, f), path: f })) } };
    return { name: 'secrets', projected: { defaultMode: 0o400, sources: [own, ...(tls ? [{ secret: { name: TLS_SECRET_NAME, items: tlsItems(w) } }] : [])] } };
  };
  const secretsMount = [{ name: 'secrets', mountPath: '/run/secrets', readOnly: true }];
  // The scripts and probes ask as the read-only monitor user.
  const cliAuth = MONITOR_PASSWORD;
  // Each pod announces its own stable name; the pod name comes from the downward API.
  const addressing = (svc: string): Record<string, string> =>
    clusterRedisEnv(cfg, { me: `$(POD_NAME).${svc}.${ns}.svc`, sentinels: sentinelHosts, nodes: nodes.map((_, i) => host('redis', i)), fallbackMaster: host('redis', 0) });
  const nodeContainer: IContainer = {
    name: 'redis',
    image: first.spec.image,
    command: ['sh', '-c', clusterRedisStart({ tls })],
    env: [...podFieldEnv, ...envVars({ ...addressing('redis'), ...clusterNodeEnv(cfg) }, [cliAuth])],
    ports: [{ name: 'redis', containerPort: 6379 }],
    volumeMounts: [{ name: 'data', mountPath: '/data' }, ...secretsMount],
    readinessProbe: execProbe(redisReady({ tls }), { period: 5, failures: 3 }),
    livenessProbe: execProbe(`${cli} ping | grep -q PONG`, { period: 10, failures: 6, initialDelay: 15 }),
    ...(resourcesFor(config, 'redis') ? { resources: resourcesFor(config, 'redis') } : {}),
  };
  const redis = statefulSet(ns, project, 'redis', 'redis', {
    replicas: nodes.length,
    hash: configHash(first),
    // Spread the nodes where the cluster can; a small cluster may still run two on one node.
    pod: { containers: [nodeContainer], affinity: antiAffinity(project, 'redis', false), terminationGracePeriodSeconds: 30, volumes: [secretsVolume('redis', first)] },
    claims: [pvc('data', options.redisStorage, options.storageClass)],
  });
  const out: K8sObject[] = [headless(ns, project, 'redis', 'redis', 6379), redis, pdb(ns, project, 'redis', 'redis', { maxUnavailable: 1 })];
  if (sentinels.length === 0) return out;
  const sentinelContainer: IContainer = {
    name: 'sentinel',
    image: first.spec.image,
    command: ['sh', '-c', clusterSentinelStart({ tls })],
    env: [...podFieldEnv, ...envVars({ ...addressing('sentinel'), ...clusterSentinelEnv(cfg) }, [cliAuth])],
    ports: [{ name: 'sentinel', containerPort: 26379 }],
    volumeMounts: [{ name: 'state', mountPath: '/var/lib/baas-sentinel' }, ...secretsMount],
    readinessProbe: execProbe(sentinelReady({ tls }), { period: 5, failures: 3 }),
    livenessProbe: execProbe(`${cli} -p 26379 ping | grep -q PONG`, { period: 10, failures: 6, initialDelay: 15 }),
    resources: { requests: { memory: '64Mi' }, limits: { memory: '64Mi' } },
  };
  const sentinel = statefulSet(ns, project, 'sentinel', 'sentinel', {
    replicas: sentinels.length,
    hash: configHash(sentinels[0]!),
    parallel: true,
    // Required: two sentinels on one machine would let one machine's loss take the quorum with it.
    pod: { containers: [sentinelContainer], affinity: antiAffinity(project, 'sentinel', true), volumes: [{ name: 'state', emptyDir: {} }, secretsVolume('sentinel', sentinels[0]!)] },
  });
  // Voluntary evictions (drains, upgrades) never leave fewer sentinels than a failover needs.
  const needed = Math.max(cfg.quorum, Math.floor(sentinels.length / 2) + 1);
  return [...out, headless(ns, project, 'sentinel', 'sentinel', 26379), sentinel, pdb(ns, project, 'sentinel', 'sentinel', { minAvailable: needed })];
}

export function renderKubernetes(input: RenderInput): ManifestFile[] {
  validateRenderOptions(input.options);
  const { config, options } = input;
  const ns = options.namespace;
  const project = config.project;
  const files: ManifestFile[] = [
    { name: 'namespace.yaml', objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'app.kubernetes.io/part-of': 'baas', 'baas.project': project } } }] },
  ];
  const secret: ISecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SECRET_NAME, namespace: ns, labels: { 'app.kubernetes.io/part-of': 'baas', 'baas.project': project } },
    type: 'Opaque',
    stringData: {
      ...Object.fromEntries(input.secrets.map((s) => [s.key, s.value])),
      // The files the single-host start scripts read from /run/secrets (Postgres: password, pg_hba.conf).
      ...Object.fromEntries(defsOf(input.defs, 'postgres').flatMap((d) => Object.entries(d.secretFiles ?? {}).map(([n, v]) => [secretFileKey(d.name, n), v]))),
      // Redis's users and logins, one set per StatefulSet (every node's, every Sentinel's, are the same).
      ...Object.fromEntries((['redis', 'sentinel'] as const).flatMap((w) => {
        const d = defsOf(input.defs, w)[0];
        return d ? Object.entries(clusterCredentialFiles(d)).map(([n, v]) => [secretFileKey(w, n), v]) : [];
      })),
    },
  };
  const tlsSecret: ISecret[] = input.tls
    ? [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: TLS_SECRET_NAME, namespace: ns, labels: { 'app.kubernetes.io/part-of': 'baas', 'baas.project': project } },
          type: 'Opaque',
          stringData: {
            'ca.crt': input.tls.ca,
            ...Object.fromEntries(Object.entries(input.tls.certs).flatMap(([w, c]) => [[`${w}.crt`, c.cert], [`${w}.key`, c.key]])),
          },
        },
      ]
    : [];
  files.push({ name: 'secret.yaml', objects: [secret, ...tlsSecret], sensitive: true });
  const pg = defsOf(input.defs, 'postgres')[0];
  if (pg) files.push({ name: 'postgres.yaml', objects: postgresObjects(input, pg) });
  if (defsOf(input.defs, 'redis').length > 0) files.push({ name: 'redis.yaml', objects: redisObjects(input) });
  return files;
}

/** A kustomization listing the files, for `kubectl apply -k`. */
export function kustomization(files: ManifestFile[], namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace,
    resources: files.map((f) => f.name),
  };
}
