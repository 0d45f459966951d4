import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { LoadedConfig } from '../../config/load.js';
import { ExitCode, UserError } from '../../errors.js';
import type { Secrets } from '../../model/secrets.js';
import { clusterContext, clusterDefs, secretItems } from '../common.js';
import { checkTlsInputs, clientNames, ensureNamedCertificates } from '../../security/service-files.js';
import { byoFiles, materialFor, namesFor } from '../../security/tls.js';
import { TLS_WORKLOADS, kustomization, validateRenderOptions, renderKubernetes, workloadNames, type KubernetesTls, type ManifestFile, type RenderOptions } from './manifests.js';

export interface RenderResult {
  namespace: string;
  files: { name: string; objects: { kind: string; name: string }[]; sensitive: boolean; path?: string }[];
  /** Set when the manifests went to a directory. */
  outDir?: string;
  kustomize: boolean;
}

/**
 * The manifests for the loaded config (secrets are passed in). With TLS (`tls`, on in the server
 * profile) the certificates come from the same code as on one host: the user's files (checked
 * first, exit 3) or baas's CA under .baas/tls, with one certificate per StatefulSet covering its
 * pods' DNS names (`redis-0.redis.<ns>.svc`, `*.redis.<ns>.svc`, ...) and `tls.hosts`.
 */
export async function kubernetesManifests(loaded: LoadedConfig, secrets: Secrets, env: NodeJS.ProcessEnv, options: RenderOptions): Promise<ManifestFile[]> {
  validateRenderOptions(options);
  const ctx = clusterContext(loaded, secrets, env);
  const defs = clusterDefs(ctx);
  let tls: KubernetesTls | undefined;
  if (ctx.tls.enabled) {
    checkTlsInputs(ctx);
    const workloads = TLS_WORKLOADS.filter((w) => defs.some((d) => d.kind === w));
    const byo = byoFiles(ctx.config.tls, ctx.configDir);
    const certName = (w: string): string => `kubernetes-${w}`;
    const hosts = [...ctx.config.tls.hosts, ...clientNames(ctx).dns];
    await ensureNamedCertificates(
      ctx,
      workloads.map((w) => ({ name: certName(w), names: namesFor({ service: w, containerName: `${w}.${options.namespace}`, ip: '127.0.0.1', bindAddress: ctx.bindAddress, hosts: [...workloadNames(w, options.namespace, defs.filter((d) => d.kind === w).length), ...hosts] }) })),
    );
    const material = workloads.map((w) => [w, materialFor(ctx.stateDir, certName(w), byo)] as const);
    tls = { ca: material[0]?.[1].ca ?? '', certs: Object.fromEntries(material.map(([w, m]) => [w, { cert: m.cert, key: m.key }])) };
  }
  return renderKubernetes({ config: loaded.config, defs, secrets: secretItems(loaded.config, secrets), options, ...(tls ? { tls } : {}) });
}

export function toYaml(objects: unknown[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

const summary = (f: ManifestFile) => f.objects.map((o) => ({ kind: o.kind, name: o.metadata?.name ?? '' }));

/**
 * Writes one file per part of the stack (and a kustomization when asked). The Secret's file is
 * 0600 and a .gitignore keeps it out of git. Refuses a directory holding other files, so nothing
 * of the user's is overwritten.
 */
export function writeManifests(files: ManifestFile[], outDir: string, o: { kustomize: boolean; namespace: string }): RenderResult {
  const ours = new Set([...files.map((f) => f.name), 'kustomization.yaml', '.gitignore']);
  if (existsSync(outDir)) {
    const foreign = readdirSync(outDir).filter((n) => !ours.has(n));
    if (foreign.length > 0) {
      throw new UserError(`The directory ${outDir} holds other files (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}).`, {
        exitCode: ExitCode.conflict,
        hint: 'Pick an empty or new directory for --out, or one written by `baas render kubernetes` before.',
      });
    }
  }
  mkdirSync(outDir, { recursive: true });
  const out: RenderResult['files'] = [];
  for (const f of files) {
    const p = path.join(outDir, f.name);
    writeFileSync(p, toYaml(f.objects), { mode: f.sensitive ? 0o600 : 0o644 });
    if (f.sensitive) chmodSync(p, 0o600);
    out.push({ name: f.name, objects: summary(f), sensitive: Boolean(f.sensitive), path: p });
  }
  const sensitive = files.filter((f) => f.sensitive).map((f) => f.name);
  if (sensitive.length) writeFileSync(path.join(outDir, '.gitignore'), `# written by baas: these files hold passwords\n${sensitive.join('\n')}\n`);
  if (o.kustomize) {
    const p = path.join(outDir, 'kustomization.yaml');
    writeFileSync(p, stringify(kustomization(files, o.namespace)));
    out.push({ name: 'kustomization.yaml', objects: [], sensitive: false, path: p });
  }
  return { namespace: o.namespace, files: out, outDir, kustomize: o.kustomize };
}

export function describeManifests(files: ManifestFile[], namespace: string): RenderResult {
  return { namespace, files: files.map((f) => ({ name: f.name, objects: summary(f), sensitive: Boolean(f.sensitive) })), kustomize: false };
}
