import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';
import { parseInterval } from '../../../src/cli/dashboard.js';

const run = async (argv: string[], over: Parameters<typeof captureIo>[0] = {}) => {
  const io = captureIo({ cwd: mkdtempSync(path.join(os.tmpdir(), 'baas-dash-cli-')), ...over });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
};

describe('dashboard and metrics command line', () => {
  it('parses intervals in ms or s', () => {
    expect(parseInterval('500')).toBe(500);
    expect(parseInterval('2s')).toBe(2000);
    expect(parseInterval('250ms')).toBe(250);
  });

  it('refuses a bad interval, hot-key method or count with exit 2 and no stack trace', async () => {
    for (const argv of [
      ['metrics', '--interval', '10'],
      ['dashboard', '--once', '--hotkeys', 'magic'],
      ['metrics', '--watch', '--count', '0'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^error: --(interval|hotkeys|count) must/);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('says the terminal is too small instead of drawing a broken screen', async () => {
    const r = await run(['dashboard'], { isTTY: true, columns: 50, rows: 12, stdin: process.stdin });
    expect(r.code).toBe(2);
    expect(r.err).toContain('The terminal is too small (50x12): the dashboard needs at least 60x16.');
    expect(r.err).toContain('baas dashboard --once');
  });

  it('says what to do when the stack was never started here', async () => {
    const r = await run(['metrics', '--json']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No credentials found/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
