import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { App } from './app.js';
import { json } from './format.js';

interface RenderFlags {
  out?: string;
  kustomize?: boolean;
  namespace?: string;
  storageClass?: string;
  postgresStorage: string;
  redisStorage: string;
  showSecrets?: boolean;
  json?: boolean;
}

/** `baas render kubernetes`: the stack as Kubernetes manifests, printed or written to a directory. */
export function registerRender(program: Command, app: App): void {
  const io = app.io;
  const render = program.command('render').description('write the stack for another engine (Kubernetes manifests)');
  render
    .command('kubernetes')
    .alias('k8s')
    .description('Kubernetes manifests: StatefulSets, headless Services, Sentinel anti-affinity and PodDisruptionBudget, Secret')
    .option('-o, --out <dir>', 'write one file per part (namespace, secret, postgres, redis) into this directory')
    .option('--kustomize', 'also write kustomization.yaml (needs --out)')
    .option('--namespace <name>', 'namespace of every object (default: the project name)')
    .option('--storage-class <name>', 'storageClassName of the volume claims (default: the cluster default)')
    .option('--postgres-storage <size>', 'size of the Postgres volume claim', '10Gi')
    .option('--redis-storage <size>', 'size of each Redis node volume claim', '1Gi')
    .option('--show-secrets', 'print the Secret (with passwords) to stdout too')
    .option('--json', 'print the list of objects as JSON instead of YAML')
    .addHelpText('after', `
Examples:
  $ baas render kubernetes --out k8s/                 namespace, secret, postgres, redis .yaml
  $ baas render kubernetes --out k8s/ --kustomize && kubectl apply -k k8s/
  $ baas render kubernetes | kubectl apply -f -       everything but the Secret (create it from k8s/secret.yaml)
Passwords are the project's (.baas/secrets.json, made on first use). They go to secret.yaml only
(mode 0600, git-ignored); pods reference them, never hold them.`)
    .action(async (opts: RenderFlags) => {
      if (opts.kustomize && !opts.out) throw new UserError('--kustomize needs --out <dir>.', { hint: 'For example: baas render kubernetes --out k8s/ --kustomize' });
      const loaded = await app.config();
      const { loadOrCreateSecrets } = await import('../stack/secrets.js');
      const { kubernetesManifests, writeManifests, describeManifests, toYaml } = await import('../targets/kubernetes/render.js');
      const namespace = opts.namespace ?? loaded.config.project;
      const options = {
        namespace,
        postgresStorage: opts.postgresStorage,
        redisStorage: opts.redisStorage,
        ...(opts.storageClass ? { storageClass: opts.storageClass } : {}),
      };
      const { validateRenderOptions } = await import('../targets/kubernetes/manifests.js');
      validateRenderOptions(options);
      const { secrets } = loadOrCreateSecrets(await app.stateDir());
      const files = await kubernetesManifests(loaded, secrets, io.env, options);
      const local = [...new Set(files.flatMap((f) => f.objects).flatMap((o) => JSON.stringify(o).match(/"image":"baas-local\/[^"]+"/g) ?? []))];
      if (local.length) {
        io.stderr(`note: ${local.map((l) => l.slice(9, -1)).join(', ')} exist only on the machine that built them: push them to a registry the cluster pulls from (and set services.<svc>.image), or set images: official.\n`);
      }
      if (opts.out) {
        const path = await import('node:path');
        const r = writeManifests(files, path.resolve(io.cwd, opts.out), { kustomize: Boolean(opts.kustomize), namespace });
        if (opts.json) return io.stdout(json(r));
        for (const f of r.files) io.stdout(`${f.path}${f.sensitive ? '  (passwords: mode 0600, git-ignored)' : ''}${f.objects.length ? `  ${f.objects.map((o) => `${o.kind}/${o.name}`).join(', ')}` : ''}\n`);
        io.stdout(`\nApply with: kubectl apply ${opts.kustomize ? `-k ${opts.out}` : `-f ${opts.out}`}\n`);
        return;
      }
      if (opts.json) return io.stdout(json(describeManifests(files, namespace)));
      const shown = files.filter((f) => !f.sensitive || opts.showSecrets);
      io.stdout(toYaml(shown.flatMap((f) => f.objects)));
      if (!opts.showSecrets) io.stderr(`The Secret ${namespace}/baas-credentials holds passwords and was left out; write it with --out <dir> (or add --show-secrets).\n`);
    });
}
