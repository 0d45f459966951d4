import { chmodSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';
import { terminalSafe } from '../../../src/terminal-text.js';
import { createLogger } from '../../../src/log.js';
import { loadOrCreateSecrets } from '../../../src/stack/secrets.js';
import { FileAlertLog } from '../../../src/dashboard/alerts.js';
import { saveTenantSecret } from '../../../src/tenant/mongo.js';

describe('terminalSafe', () => {
  it('removes escape sequences and control characters, keeping text, tabs and newlines', () => {
    expect(terminalSafe('\u001b[31mred\u001b[0m and \u001b]0;title\u0007plain\tx\r\ny')).toBe('red and plain\tx\ny');
    expect(terminalSafe('bell\u0007 back\u0008space \u001b[2J\u001b[Hcleared')).toBe('bell backspace cleared');
    expect(terminalSafe('ünïcödé 😀 stays')).toBe('ünïcödé 😀 stays');
  });

  it('shows C1 controls and bidi overrides as \\u escapes (visible, and lossless inside JSON strings)', () => {
    expect(terminalSafe('a\u009b31mb \u202eevil')).toBe('a\\u009b31mb \\u202eevil');
    expect(JSON.parse(terminalSafe(JSON.stringify({ k: 'x\u202ey' }))).k).toBe('x\u202ey');
  });
});

describe('what the CLI prints', () => {
  it('never passes a user-supplied escape sequence through to the terminal', async () => {
    const io = captureIo();
    // An unknown service name is echoed back in the error: the name comes from the user.
    await main(['logs', 'x\u001b[2J\u001b]0;pwned\u0007y'], io);
    expect(io.err()).toContain("Unknown service 'xy'");
    expect(io.err()).not.toContain('\u001b');
  });

  it('refuses an unknown service name before reaching for Docker (exit 2, with the valid names)', async () => {
    // DOCKER_HOST points at a closed port: a Docker error here would mean the name was not checked first.
    for (const args of [['logs', 'nope'], ['health', 'nope']]) {
      const io = captureIo({ env: { ...process.env, DOCKER_HOST: 'tcp://127.0.0.1:9' } });
      expect(await main(args, io)).toBe(2);
      expect(io.err()).toContain("Unknown service 'nope'");
      expect(io.err()).toMatch(/Valid names: postgres, redis/);
    }
  });
});

describe('.baas/ modes whatever the umask', () => {
  let saved: number | undefined;
  afterEach(() => {
    if (saved !== undefined) process.umask(saved);
  });

  it.each([0o000, 0o022, 0o277])('keeps 0700 directories and 0600 files with umask %o', (mask) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'baas-modes-'));
    const state = path.join(root, '.baas');
    // A directory left by an older baas (or created by hand) with a wide mode is narrowed too.
    mkdirSync(state, { mode: 0o755 });
    saved = process.umask(mask);
    loadOrCreateSecrets(state);
    const { logger } = createLogger({ stateDir: state });
    logger.info({}, 'hello');
    FileAlertLog.inStateDir(state).append([{ at: new Date().toISOString(), state: 'fired', kind: 'memory', severity: 'warning', message: 'm' } as never]);
    saveTenantSecret(state, 'acme', { database: 'tenant_acme', user: 'u', password: 'p' });
    process.umask(saved);
    saved = undefined;
    const mode = (p: string): string => (statSync(path.join(state, p)).mode & 0o777).toString(8);
    expect([mode('.'), mode('logs'), mode('tenants')]).toEqual(['700', '700', '700']);
    expect([mode('secrets.json'), mode('.gitignore'), mode('logs/baas.log'), mode('alerts.jsonl'), mode('tenants/acme.mongo.json')]).toEqual(['600', '600', '600', '600', '600']);
  });

  it('never changes the mode of the directory that holds .baas/', () => {
    // The logger once made the parent of its log directory 0700: given a log directory straight
    // under /tmp, it closed /tmp to every other user (apt's sandbox among them).
    const root = mkdtempSync(path.join(os.tmpdir(), 'baas-parent-'));
    chmodSync(root, 0o755);
    const { logger } = createLogger({ stateDir: path.join(root, '.baas') });
    logger.info({}, 'hello');
    expect((statSync(root).mode & 0o777).toString(8)).toBe('755');
    expect((statSync(path.join(root, '.baas')).mode & 0o777).toString(8)).toBe('700');
  });
});
