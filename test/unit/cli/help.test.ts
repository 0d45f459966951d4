import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';
import { COMMAND_GROUPS, registerCommands, requestedCommand } from '../../../src/cli/commands.js';
import { App } from '../../../src/cli/app.js';

/** Every leaf command, as the argv path that reaches it. */
async function leafCommands(): Promise<string[][]> {
  const program = new Command('baas');
  await registerCommands(program, new App(captureIo(), () => ({})));
  const out: string[][] = [];
  const walk = (cmd: Command, at: string[]): void => {
    if (cmd.commands.length === 0) out.push(at);
    for (const c of cmd.commands) walk(c, [...at, c.name()]);
  };
  for (const c of program.commands) walk(c, [c.name()]);
  return out;
}

const LEAVES = await leafCommands();

describe('the CLI', () => {
  it('shows usage, examples and the exit codes for --help, exit 0', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/Examples:/);
    expect(io.out()).toMatch(/Exit codes:/);
  });

  it.each(LEAVES.map((p) => [p.join(' ')]))('has --help with examples: baas %s', async (path) => {
    const io = captureIo();
    expect(await main([...path.split(' '), '--help'], io)).toBe(0);
    expect(io.out()).toMatch(/Usage: baas /);
    expect(io.out()).toMatch(/Examples?:/);
  });

  it('rejects an unknown command or option with exit 2 and a pointer to --help', async () => {
    const io = captureIo();
    expect(await main(['upp'], io)).toBe(2);
    expect(io.err()).toMatch(/unknown command 'upp'/);
    const io2 = captureIo();
    expect(await main(['up', '--bogus'], io2)).toBe(2);
    expect(io2.err()).toMatch(/unknown option '--bogus'/);
  });

  it('rejects a bad --timeout and --tail before doing anything', async () => {
    const io = captureIo();
    expect(await main(['up', '--timeout', 'soon'], io)).toBe(2);
    expect(io.err()).toMatch(/--timeout must be a number of seconds/);
  });

  it('reports an invalid config file with every problem, exit 3', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-cli-'));
    writeFileSync(path.join(dir, 'platform.config.yaml'), 'project: X\nimages: docker\n');
    const io = captureIo({ cwd: dir });
    expect(await main(['config', 'validate'], io)).toBe(3);
    expect(io.err()).toMatch(/has 2 problems/);
    expect(io.err()).toMatch(/images \(line 2\)/);
  });

  it('lists in COMMAND_GROUPS exactly the top-level commands each group registers (a run loads only its group)', async () => {
    const seen = new Set<string>();
    for (const group of COMMAND_GROUPS) {
      const program = new Command('baas');
      (await group.load())(program, new App(captureIo(), () => ({})));
      expect(program.commands.map((c) => c.name()).sort()).toEqual([...group.commands].sort());
      for (const c of group.commands) {
        expect(seen.has(c)).toBe(false);
        seen.add(c);
      }
    }
  });

  it('finds the command word past global options, and loads every group otherwise', async () => {
    expect(requestedCommand(['status'])).toBe('status');
    expect(requestedCommand(['-c', 'x.yaml', '-v', 'branch', 'list'])).toBe('branch');
    expect(requestedCommand(['--config', 'status', 'up'])).toBe('up');
    expect(requestedCommand(['--config=x.yaml', 'env'])).toBe('env');
    expect(requestedCommand(['--help'])).toBeUndefined();
    expect(requestedCommand(['--', 'up'])).toBeUndefined();
    const one = new Command('baas');
    await registerCommands(one, new App(captureIo(), () => ({})), ['-v', 'branch', 'list']);
    expect(one.commands.map((c) => c.name())).toEqual(['branch']);
    const all = new Command('baas');
    await registerCommands(all, new App(captureIo(), () => ({})), ['upp']);
    expect(all.commands.length).toBe(COMMAND_GROUPS.flatMap((g) => g.commands).length);
  });

  it('answers --help of a command, and suggests a near miss, with only its group loaded', async () => {
    const io = captureIo();
    expect(await main(['branch', 'craete'], io)).toBe(2);
    expect(io.err()).toMatch(/Did you mean create\?/);
    const io2 = captureIo();
    expect(await main(['-c', 'none.yaml', 'status', '--help'], io2)).toBe(0);
    expect(io2.out()).toMatch(/Usage: baas status/);
  });
});
