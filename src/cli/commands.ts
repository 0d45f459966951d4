import type { Command } from 'commander';
import type { App } from './app.js';

type Register = (program: Command, app: App) => void;

/**
 * Every command group, with the top-level commands it registers. A run loads only the group of
 * the command it was asked for (`baas status` never reads the planner or dashboard modules);
 * `help`, an unknown word or a command missing here load them all, in this order; `--help`
 * without a command uses the build's index of top-level commands (see help-index.ts).
 * Register functions only declare options and import their core modules inside the action.
 * test/unit/cli/help.test.ts checks that the lists match what each group registers.
 */
export const COMMAND_GROUPS: { commands: string[]; load: () => Promise<Register> }[] = [
  { commands: ['up', 'down', 'status', 'health', 'logs', 'connect', 'env', 'doctor', 'config'], load: async () => (await import('./stack.js')).registerStack },
  { commands: ['data'], load: async () => (await import('./data.js')).registerData },
  { commands: ['images'], load: async () => (await import('./images.js')).registerImages },
  { commands: ['advise', 'cost', 'plan'], load: async () => (await import('./planners.js')).registerPlanners },
  { commands: ['migrate', 'rls', 'tenant'], load: async () => (await import('./db.js')).registerDb },
  { commands: ['dashboard', 'metrics'], load: async () => (await import('./dashboard.js')).registerDashboard },
  { commands: ['branch'], load: async () => (await import('./branch.js')).registerBranch },
  { commands: ['redis'], load: async () => (await import('./redis.js')).registerRedis },
  { commands: ['certs'], load: async () => (await import('./security.js')).registerSecurity },
  { commands: ['claims'], load: async () => (await import('./security.js')).registerClaims },
  { commands: ['render'], load: async () => (await import('./render.js')).registerRender },
  { commands: ['nodes'], load: async () => (await import('./swarm.js')).registerNodes },
  { commands: ['serve'], load: async () => (await import('./serve.js')).registerServe },
  { commands: ['backup'], load: async () => (await import('./backup.js')).registerBackup },
];

/** Registers the group of the command `argv` asks for, or every group (no argv, help, unknown). */
export async function registerCommands(program: Command, app: App, argv?: string[]): Promise<void> {
  const word = argv ? requestedCommand(argv) : undefined;
  if (argv && word === undefined) {
    // The root help (or --version): names and descriptions from the build's index, when it matches.
    const { readHelpIndex, registerFromIndex } = await import('./help-index.js');
    const index = readHelpIndex();
    if (index) return registerFromIndex(program, index);
  }
  const group = word === undefined ? undefined : COMMAND_GROUPS.find((g) => g.commands.includes(word));
  const registers = await Promise.all((group ? [group] : COMMAND_GROUPS).map((g) => g.load()));
  for (const register of registers) register(program, app);
}

/** The first word that is not a global option (nor the value of --config): the command asked for. */
export function requestedCommand(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a === '-c' || a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}
