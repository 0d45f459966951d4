import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';
import { registerCommands } from '../../../src/cli/commands.js';
import { App } from '../../../src/cli/app.js';

/** Every leaf command, as the argv path that reaches it. */
function leafCommands(): string[][] {
  const program = new Command('baas');
  registerCommands(program, new App(captureIo(), () => ({})));
  const out: string[][] = [];
  const walk = (cmd: Command, at: string[]): void => {
    if (cmd.commands.length === 0) out.push(at);
    for (const c of cmd.commands) walk(c, [...at, c.name()]);
  };
  for (const c of program.commands) walk(c, [c.name()]);
  return out;
}

describe('the CLI', () => {
  it('shows usage, examples and the exit codes for --help, exit 0', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/Examples:/);
    expect(io.out()).toMatch(/Exit codes:/);
  });

  it.each(leafCommands().map((p) => [p.join(' ')]))('has --help with examples: baas %s', async (path) => {
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
});
