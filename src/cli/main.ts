import { Command, CommanderError } from 'commander';
import path from 'node:path';
import { BaasError, ExitCode, jsonError, messageOf, translateFailure, type FailureContext } from '../errors.js';
import { App, type GlobalOptions } from './app.js';
import { processIo, safeIo, withIo, type Io } from './io.js';
import { registerCommands } from './commands.js';
import type { ContainerRuntime } from '../runtime/types.js';

export interface MainOptions {
  runtime?: ContainerRuntime;
}

/** Runs one baas invocation and returns its exit code. Never calls process.exit. */
export async function main(argv: string[], rawIo: Io = processIo(), options: MainOptions = {}): Promise<number> {
  const safe = safeIo(rawIo);
  // Whether the command already printed its result: a failing check (`rls check --json`, exit 6)
  // prints its report first, and a second JSON document after it would break `| jq`.
  let printed = false;
  const io: Io = withIo(safe, { stdout: (t) => ((printed ||= t.length > 0), safe.stdout(t)) });
  const program = new Command('baas');
  const app = new App(io, () => program.opts<GlobalOptions>(), options.runtime ? { runtime: options.runtime } : {});
  program
    .description('Self-hosted backend platform: Postgres, Redis Sentinel and MongoDB on Docker, with migrations, RLS, branches and planners.')
    .version('0.1.0', '-V, --version')
    .option('-c, --config <file>', 'path to platform.config.yaml (default: ./platform.config.yaml, or built-in defaults)')
    .option('-v, --verbose', 'also write log lines to stderr')
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      // commander's "(Did you mean …?)" moves into the hint: line.
      outputError: (s, write) => write(s.replace(/\n\(Did you mean [^)]*\?\)/, '')),
    })
    .exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  $ baas up                     start the stack described by platform.config.yaml
  $ baas health --json          per-service health for scripts (exit 6 when unhealthy)
  $ baas env                    connection URLs for your app's .env
  $ baas down --volumes         remove the stack and its data

Exit codes: 0 ok, 1 internal error, 2 bad usage, 3 invalid config, 4 Docker unavailable,
5 conflict (port taken, name exists), 6 unhealthy / check failed, 7 a server refused,
8 timed out, 130 interrupted.`,
  );
  await registerCommands(program, app, argv);
  // Which command commander was parsing when it refused the input, for the hint.
  let refusedBy: Command = program;
  const override = (cmd: Command) => (err: CommanderError): never => {
    refusedBy = cmd;
    throw err;
  };
  program.exitOverride(override(program));
  for (const cmd of allCommands(program)) {
    cmd.exitOverride(override(cmd));
    cmd.configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (e) {
    if (e instanceof CommanderError && e.exitCode !== 0 && !['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code)) {
      io.stderr(`hint: ${usageHint(e, refusedBy)}\n`);
    }
    return report(await explain(e, app, argv), io, app, wantsJson(argv) && !printed);
  }
}

/**
 * A driver's error that reached the CLI unexplained (or wrapped in a generic one) may still be
 * a common failure: a full disk, a path without permission, too many connections. Say so in a
 * sentence that names the data location, keeping the original message as a detail.
 */
async function explain(e: unknown, app: App, argv: string[]): Promise<unknown> {
  if (e instanceof BaasError && e.code !== 'external' && e.code !== 'internal') return e;
  // Help, --version and refused input are commander's: nothing to translate, and no config to read.
  if (e instanceof CommanderError) return e;
  const translated = translateFailure(e, await failureContext(app, argv));
  if (!translated) return e;
  // The original sentence (with its file and line, say) stays, then the server's own words.
  if (e instanceof BaasError) translated.details.unshift(e.message, ...e.details);
  return translated;
}

/** Where the stack keeps each engine's data, from the config (unknown when a command targets another server). */
async function failureContext(app: App, argv: string[]): Promise<FailureContext> {
  if (argv.includes('--database-url') || argv.some((a) => a.startsWith('--database-url=')) || app.io.env['DATABASE_ADMIN_URL']) return {};
  try {
    const loaded = await app.config();
    const { volumeName } = await import('../model/labels.js');
    const group = (svc: string): 'postgres' | 'redis' | 'mongo' | undefined =>
      svc === 'postgres' || svc === 'mongo' ? svc : svc === 'redis' || svc === 'sentinel' ? 'redis' : undefined;
    return {
      dataLocation: (svc) => {
        const g = group(svc);
        if (!g) return undefined;
        const data = loaded.config.services[g].data;
        if (data !== 'volume') return path.resolve(loaded.dir, data);
        return `the Docker volume ${volumeName(loaded.config.project, g === 'redis' ? 'redis-*' : g)}`;
      },
      memoryLimit: (svc) => {
        const g = group(svc);
        const m = g ? loaded.config.services[g].memory : undefined;
        return m ? `${m} (services.${g}.memory)` : undefined;
      },
    };
  } catch {
    return {};
  }
}

/** `--json` anywhere before a `--` separator: a failure is then printed as JSON on stdout too (unless the command printed its own result). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}


/** The `hint:` line for input commander refused: where to look, and commander's own suggestion when it has one. */
export function usageHint(e: CommanderError, cmd: Command): string {
  const path: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) path.unshift(c.name());
  const help = `baas ${[...path, '--help'].join(' ')}`;
  const suggestion = /\(Did you mean (.+)\?\)/.exec(e.message)?.[1];
  switch (e.code) {
    case 'commander.unknownCommand':
      return suggestion ? `Did you mean ${suggestion}? \`${help}\` lists the commands.` : `\`${help}\` lists the commands, with examples.`;
    case 'commander.unknownOption':
      return suggestion ? `Did you mean ${suggestion}? \`${help}\` lists the options.` : `\`${help}\` lists the options of this command, with examples.`;
    case 'commander.missingArgument':
    case 'commander.optionMissingArgument':
    case 'commander.missingMandatoryOptionValue':
      return `Something required is missing: \`${help}\` shows the usage and examples.`;
    case 'commander.excessArguments':
      return `Too many arguments: \`${help}\` shows what this command takes.`;
    default:
      return `\`${help}\` shows the usage and examples.`;
  }
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

async function report(e: unknown, io: Io, app: App, asJson: boolean): Promise<number> {
  // Scripts (`baas up --json | jq`) get something to parse on failure too (wrangler's JsonFriendlyFatalError).
  const printJson = (err: Parameters<typeof jsonError>[0]): void => {
    if (asJson) io.stdout(`${JSON.stringify(jsonError(err))}\n`);
  };
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.ok;
    // commander already printed its message (and the help hint) through configureOutput.
    if (e.exitCode === 0) return ExitCode.ok;
    printJson({ code: 'usage', exitCode: ExitCode.usage, message: e.message.replace(/^error: /, ''), hint: 'Run the command with --help for usage and examples.' });
    return ExitCode.usage;
  }
  if (e instanceof BaasError) {
    printJson(e);
    io.stderr(`error: ${e.message}\n`);
    for (const d of e.details) io.stderr(`  ${d}\n`);
    if (e.hint) io.stderr(`hint: ${e.hint}\n`);
    try {
      (await app.logger()).warn({ err: { name: e.name, message: e.message }, exitCode: e.exitCode }, 'command failed');
    } catch {
      /* logging is best effort */
    }
    return e.exitCode;
  }
  printJson({ code: 'internal', exitCode: ExitCode.internal, message: `baas hit an unexpected problem: ${messageOf(e)}`, hint: 'Run again with --verbose, and report it with the log in .baas/logs/baas.log.' });
  io.stderr(`error: baas hit an unexpected problem: ${messageOf(e)}\n`);
  io.stderr('hint: Run again with --verbose, and report it with the log in .baas/logs/baas.log.\n');
  try {
    (await app.logger()).error({ err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, 'unexpected error');
  } catch {
    /* logging is best effort */
  }
  return ExitCode.internal;
}
