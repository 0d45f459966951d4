import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { App } from './app.js';
import { bytes, json } from './format.js';
import { parseTimeout } from './stack.js';

const GROUPS = ['postgres', 'redis', 'mongo'] as const;

export function registerData(program: Command, app: App): void {
  const io = app.io;
  const data = program
    .command('data')
    .description("where services keep their data: move it without losing it")
    .addHelpText('after', `
Examples:
  $ baas data move postgres /srv/pgdata     stop Postgres, copy its data there, verify, switch, start`);

  data
    .command('move')
    .description('move a service\'s data to a host directory: stop, copy (cp --reflink=auto), verify, record it in platform.config.yaml, start')
    .argument('<service>', 'postgres, redis or mongo')
    .argument('<path>', 'an empty (or new) host directory, e.g. on XFS for instant branches')
    .option('--timeout <seconds>', 'how long the service may take to become healthy again', '90')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  $ baas data move postgres /srv/pgdata
  $ baas data move redis ./redis-data --json
The service is stopped for the copy (its clients are refused meanwhile). The copy is compared
with the original file by file before anything is switched; the old data is left where it was
(a named volume, or the old directory) for you to delete when satisfied. The switch is an edit
of services.<service>.data in platform.config.yaml (comments kept); a value taken from \${VAR}
is not rewritten: baas says what to set instead.`)
    .action(async (service: string, target: string, opts: { json?: boolean; timeout: string }) => {
      if (!(GROUPS as readonly string[]).includes(service)) {
        throw new UserError(`Unknown service '${service}'.`, { hint: `Use ${GROUPS.join(', ')} (a data location belongs to a whole service).` });
      }
      const timeoutMs = parseTimeout(opts.timeout);
      const loaded = await app.config();
      const { moveData } = await import('../stack/data-move.js');
      const { createProgress } = await import('./progress.js');
      const progress = createProgress(io, opts.json ? 'json' : io.isTTY ? 'tty' : 'plain');
      const deps = { runtime: await app.runtime(), logger: await app.logger(), env: io.env };
      try {
        const r = await moveData(deps, loaded, await app.stateDir(), { group: service as (typeof GROUPS)[number], target, cwd: io.cwd }, { timeoutMs, onEvent: (e) => progress.event(e) });
        progress.done();
        if (opts.json) return io.stdout(json(r));
        for (const c of r.copies) io.stdout(`Copied ${c.service}: ${c.from} -> ${c.to} (${c.files} files, ${bytes(c.bytes)}), verified.\n`);
        if (r.config.edited) io.stdout(`${r.config.created ? 'Created' : 'Updated'} ${r.config.file}: services.${r.group}.data: ${r.target}\n`);
        else io.stdout(`Not switched yet: ${r.config.instruction}\n`);
        if (r.up) io.stdout(`${r.group} runs on ${r.target} (${r.up.services.map((s) => `${s.service} ${s.health.status}`).join(', ')}).\n`);
        if (r.kept.length) io.stdout(`The old data is still in ${r.kept.join(', ')}; delete it when you are satisfied (a volume: \`docker volume rm <name>\`).\n`);
      } finally {
        progress.done();
      }
    });
}
