import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';
import { ConfigError, errorCode, ExternalError, UserError } from '../../../src/errors.js';

function projectWith(config: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-json-err-'));
  writeFileSync(path.join(dir, 'platform.config.yaml'), config);
  return dir;
}

describe('errors under --json', () => {
  it('prints the error as a JSON object on stdout and the human lines on stderr', async () => {
    const io = captureIo({ cwd: projectWith('project: X\n') });
    expect(await main(['status', '--json'], io)).toBe(3);
    const parsed = JSON.parse(io.out()) as { error: { code: string; exitCode: number; message: string; hint: string; details: string[] } };
    expect(parsed.error.code).toBe('config_invalid');
    expect(parsed.error.exitCode).toBe(3);
    expect(parsed.error.message).toMatch(/has 1 problem/);
    expect(parsed.error.hint).toMatch(/config show/);
    expect(parsed.error.details[0]).toMatch(/^project \(line 1\)/);
    expect(io.err()).toMatch(/^error: .*has 1 problem/);
  });

  it('prints usage errors as JSON too', async () => {
    const io = captureIo();
    expect(await main(['up', '--json', '--bogus'], io)).toBe(2);
    const parsed = JSON.parse(io.out()) as { error: { code: string; exitCode: number; message: string } };
    expect(parsed.error).toMatchObject({ code: 'usage', exitCode: 2 });
    expect(parsed.error.message).toMatch(/unknown option '--bogus'/);
    expect(io.err()).toMatch(/unknown option '--bogus'/);
  });

  it('keeps stdout empty of errors without --json', async () => {
    const io = captureIo({ cwd: projectWith('project: X\n') });
    expect(await main(['status'], io)).toBe(3);
    expect(io.out()).toBe('');
  });

  it('does not mistake a --json after -- for the flag', async () => {
    const io = captureIo({ cwd: projectWith('project: X\n') });
    await main(['status', '--', '--json'], io);
    expect(io.out()).toBe('');
  });
});

describe('errorCode', () => {
  it('is a stable string from the error kind, or the code the thrower gave', () => {
    expect(errorCode(new ConfigError('f', []))).toBe('config_invalid');
    expect(errorCode(new UserError('x'))).toBe('usage');
    expect(errorCode(new UserError('x', { exitCode: 5 }))).toBe('conflict');
    expect(errorCode(new ExternalError('x'))).toBe('external');
    expect(errorCode(new ExternalError('x', { code: 'disk_full' }))).toBe('disk_full');
    expect(errorCode(new Error('boom'))).toBe('internal');
  });
});
