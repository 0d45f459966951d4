import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { App } from '../../../src/cli/app.js';
import { registerCommands } from '../../../src/cli/commands.js';
import { buildHelpIndex, readHelpIndex, registerFromIndex, writeHelpIndex } from '../../../src/cli/help-index.js';
import { captureIo } from '../../../src/cli/io.js';

const root = (width: number): Command =>
  new Command('baas')
    .description('Self-hosted backend platform.')
    .version('0.1.0', '-V, --version')
    .option('-c, --config <file>', 'path to platform.config.yaml')
    .configureOutput({ getOutHelpWidth: () => width });

describe('the root help index', () => {
  it.each([80, 200, 40])('shows the same root help as every group registered (%i columns)', async (width) => {
    const full = root(width);
    await registerCommands(full, new App(captureIo(), () => ({})));
    const fromIndex = root(width);
    registerFromIndex(fromIndex, buildHelpIndex(full, mkdtempSync(path.join(os.tmpdir(), 'baas-hi-'))));
    expect(fromIndex.helpInformation()).toBe(full.helpInformation());
  });

  it('is used only while the modules it was made from are unchanged', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-hi-'));
    writeFileSync(path.join(dir, 'main.js'), 'export {};\n');
    const full = root(80);
    await registerCommands(full, new App(captureIo(), () => ({})));
    expect(readHelpIndex(dir)).toBeUndefined();
    writeHelpIndex(full, dir);
    expect(readHelpIndex(dir)?.commands.map((c) => c.name)).toEqual(full.commands.map((c) => c.name()));
    writeFileSync(path.join(dir, 'main.js'), 'export const changed = 1;\n');
    expect(readHelpIndex(dir)).toBeUndefined();
    writeHelpIndex(full, dir);
    writeFileSync(path.join(dir, 'new.js'), '\n');
    expect(readHelpIndex(dir)).toBeUndefined();
  });
});
