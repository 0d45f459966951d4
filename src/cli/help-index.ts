import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

/**
 * `baas --help` (or `-V`, or no command at all) shows only the top-level commands: their names,
 * usage terms and one-line descriptions. Registering every command group to print those costs
 * about half of the help's start-up, so `npm run build` writes them to dist/cli/help-index.json
 * (scripts/help-index.mjs) and the root help registers stand-ins from it. The index records the
 * size and mtime of every module in dist/cli/: after any rebuild without it, or in tests run
 * from the sources, it does not match and every group is registered as before.
 */

export const HELP_INDEX_FILE = 'help-index.json';

export interface HelpIndex {
  stamp: string;
  commands: { name: string; term: string; description: string }[];
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** Size and mtime of every module in `dir` (dist/cli/). */
export function cliStamp(dir = here): string {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => {
      const st = statSync(path.join(dir, f));
      return `${f}:${st.size}:${st.mtimeMs}`;
    })
    .join(',');
}

/** The index in `dir`, if it was made from the modules that are there now. */
export function readHelpIndex(dir = here): HelpIndex | undefined {
  try {
    const index = JSON.parse(readFileSync(path.join(dir, HELP_INDEX_FILE), 'utf8')) as Partial<HelpIndex>;
    if (!Array.isArray(index.commands) || index.commands.length === 0 || index.stamp !== cliStamp(dir)) return undefined;
    return index as HelpIndex;
  } catch {
    return undefined;
  }
}

/** The top-level commands of a program with every group registered. */
export function buildHelpIndex(program: Command, dir = here): HelpIndex {
  const help = program.createHelp();
  return {
    stamp: cliStamp(dir),
    commands: program.commands.map((c) => ({ name: c.name(), term: help.subcommandTerm(c), description: help.subcommandDescription(c) })),
  };
}

export function writeHelpIndex(program: Command, dir = here): void {
  writeFileSync(path.join(dir, HELP_INDEX_FILE), `${JSON.stringify(buildHelpIndex(program, dir), null, 1)}\n`);
}

/**
 * Registers stand-ins for the indexed commands: they show in the root help exactly as the real
 * ones do, and are only ever used when no command was named (a named command loads its group).
 */
export function registerFromIndex(program: Command, index: HelpIndex): void {
  const terms = new Map(index.commands.map((c) => [c.name, c.term]));
  for (const c of index.commands) program.command(c.name).description(c.description);
  const standard = program.createHelp();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? standard.subcommandTerm(cmd) });
}
