import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../src/log.js';
import { loadPgDriver } from '../../../src/pg/driver.js';
import { captureIo, safeIo, withIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { mkdirSync } from 'node:fs';

const src = path.resolve(import.meta.dirname, '../../../src');

/** Packages whose load time a short command must not pay unless it uses them (issue 9, section 3). */
const HEAVY = ['zod', 'yaml', 'pino', 'pg', 'dockerode', 'ioredis', 'mongodb', 'react', 'ink', 'execa'];

/**
 * The modules a file loads when it is imported: static `import … from` and `export … from`,
 * not `import type` and not `import()` (loaded when a code path needs it).
 */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  return out;
}

/** Every package reached through static imports from `entry`, with the chain that reaches it. */
function reachedPackages(entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
        walk(existsSync(target) ? target : `${target}x`, [...chain, path.relative(src, target)]);
      } else if (!spec.startsWith('node:')) {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!found.has(pkg)) found.set(pkg, chain);
      }
    }
  };
  walk(path.join(src, entry), [entry]);
  return found;
}

describe('start-up path', () => {
  // What `baas --help`, `status`, `branch list|create` load before doing their work.
  it.each([
    'cli/main.ts',
    'cli/help-index.ts',
    'cli/stack.ts',
    'cli/branch.ts',
    'config/cache.ts',
    'log.ts',
    'runtime/docker.ts',
    'stack/status.ts',
    'stack/connection.ts',
    'branch/context.ts',
    'branch/list.ts',
    'branch/lifecycle.ts',
    'branch/registry.ts',
    'branch/registry-gate.ts',
    'stack/connection-cache.ts',
    'pg/client.ts',
  ])('%s imports no heavy package at load time', (entry) => {
    const heavy = [...reachedPackages(entry)].filter(([pkg]) => HEAVY.includes(pkg));
    expect(heavy.map(([pkg, chain]) => `${pkg} via ${chain.join(' > ')}`)).toEqual([]);
  });

  it('opens the log file (and loads pino) only when a first line is written', () => {
    const stateDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'baas-lazylog-')), '.baas');
    const dir = path.join(stateDir, 'logs');
    const { logger } = createLogger({ stateDir });
    const child = logger.child({ component: 'x' });
    expect(existsSync(dir)).toBe(false);
    child.info({ n: 1 }, 'first line');
    logger.warn({ password: 'hunter2' }, 'second line');
    const lines = readFileSync(path.join(dir, 'baas.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l['msg'], l['component']])).toEqual([['first line', 'x'], ['second line', undefined]]);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('loads node-postgres without leaving a navigator global behind', () => {
    const hadNavigator = 'navigator' in globalThis;
    const pg = loadPgDriver();
    expect(typeof pg.Client).toBe('function');
    expect('navigator' in globalThis).toBe(hadNavigator);
    expect(loadPgDriver()).toBe(pg);
  });

  it('keeps stdin unread through the Io wrappers (creating process.stdin costs start-up)', () => {
    let reads = 0;
    const base = captureIo();
    Object.defineProperty(base, 'stdin', {
      get: () => {
        reads++;
        return undefined;
      },
      enumerable: true,
      configurable: true,
    });
    const io = withIo(safeIo(base), { stdout: () => {} });
    expect(reads).toBe(0);
    void io.stdin;
    expect(reads).toBe(1);
  });

  it.each([['--help'], ['--version'], ['status', '--bogus'], ['upp']])('reads no configuration for commander\'s own answer: baas %s', async (...argv) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-noconf-'));
    mkdirSync(path.join(dir, '.baas'));
    await main(argv, captureIo({ cwd: dir }));
    // The config loader caches what it validated in an existing .baas/: nothing there means it never ran.
    expect(existsSync(path.join(dir, '.baas', 'config-cache.json'))).toBe(false);
  });
});
