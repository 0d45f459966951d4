import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The real executable (built by `npm test`): exit codes and output as a shell sees them. */
const BIN = path.resolve('bin/baas.js');
const run = (args: string[], input?: string) => spawnSync('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args.join(' ')}${input ?? ''}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

describe('bin/baas.js', () => {
  it('writes large output completely through a pipe before exiting', () => {
    const r = run(['cost', '--mau', '100000', '--months', '24', '--growth', '10%', '--json'], ' | cat');
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(100_000);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });

  it('hands the documented exit code to the shell', () => {
    expect(run(['upp']).status).toBe(2);
    expect(run(['--config', '/nonexistent.yaml', 'status']).status).toBe(3);
  });

  it('treats a reader that stops early (| head) as normal: exit 0, nothing on stderr', () => {
    // ~290 kB: far more than a pipe buffer (64 kB), so the writes after head exits really hit
    // EPIPE (a 12 kB output fits in the buffer and never would).
    const r = spawnSync(
      'bash',
      ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} cost --mau 100000 --months 24 --growth 10% --json | head -c 10 >/dev/null; echo "baas exit \${PIPESTATUS[0]}" >&2`],
      { encoding: 'utf8' },
    );
    expect(r.stderr.trim()).toBe('baas exit 0');
  });
});
