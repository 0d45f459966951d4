import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';

const BOMB = `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
`;

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baas-hostile-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function run(dir: string, argv: string[]) {
  const io = captureIo({ cwd: dir });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('hostile input files', () => {
  it('refuses a YAML alias bomb in the config with a config error (exit 3)', async () => {
    const r = await run(dirWith({ 'platform.config.yaml': BOMB }), ['config', 'show', '--json']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/alias bomb/);
    expect(JSON.parse(r.out).error.code).toBe('input_too_large');
  });

  it('refuses an alias bomb given to advise --file (exit 3)', async () => {
    const r = await run(dirWith({ 'req.yaml': BOMB }), ['advise', '--file', 'req.yaml']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/alias bomb/);
  });

  it('refuses a config file over 1 MB before parsing it', async () => {
    const big = `project: big\n# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    const r = await run(dirWith({ 'platform.config.yaml': big }), ['config', 'validate']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/the file is 2\.0 MB; baas reads at most 1\.0 MB/);
  });

  it('answers repeated list entries in a requirements file with a clear error, not an out-of-memory crash', async () => {
    const text = `stage: mvp\nconstraints:\n  compliance:\n${'    - hipaa\n'.repeat(22_000)}`;
    const r = await run(dirWith({ 'req.yaml': text }), ['advise', '--file', 'req.yaml']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/constraints\.compliance \(line 3\): at most 50 entries/);
  });

  it('treats a few repeated entries as one', async () => {
    const text = `stage: mvp\nconstraints:\n  compliance: [hipaa, hipaa, gdpr, hipaa]\n`;
    const r = await run(dirWith({ 'req.yaml': text }), ['advise', '--file', 'req.yaml', '--json', '--top', '1']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).requirements.constraints.compliance).toEqual(['hipaa', 'gdpr']);
  });

  it('lists the first 50 of 20 000 unknown keys, each with its line, and counts the rest', async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join('\n');
    const r = await run(dirWith({ 'req.yaml': text }), ['advise', '--file', 'req.yaml']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/has 20000 problems/);
    expect(r.err).toMatch(/k49 \(line 50\): unknown key/);
    expect(r.err).not.toMatch(/k50 \(line 51\)/);
    expect(r.err).toMatch(/… and 19950 more problems/);
  });
});

describe('deeply nested input', () => {
  it('refuses brackets nested 200 000 deep before the parser recurses into them', async () => {
    const text = `project: deep\nx: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`;
    const r = await run(dirWith({ 'platform.config.yaml': text }), ['config', 'validate']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/nested 200000 levels deep/);
  });

  it('does not count brackets inside quotes, comments or a plain scalar with an apostrophe', async () => {
    const { flowDepth } = await import('../../../src/config/yaml-input.js');
    expect(flowDepth(`a: "[[[["\nb: '{{{{'\n# [[[[[\nc: it's [x]\nd: [[1], {e: [2]}]\n`)).toBe(3);
  });
});
