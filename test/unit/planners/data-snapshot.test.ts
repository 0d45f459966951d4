import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../../src/errors.js';
import { WEIGHTS_URL, weightsSchema } from '../../../src/planners/advise-weights.js';
import { CATALOG_URL, catalogSchema } from '../../../src/planners/catalog.js';
import { readSnapshot, writeSnapshot } from '../../../src/planners/data-snapshot.js';
import { loadBundledYaml, parseYamlWith } from '../../../src/planners/yaml-file.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'baas-snapshot-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const schema = z.object({ name: z.string(), n: z.number() }).strict();

/** A YAML file and a snapshot folder of its own. */
function fixture(name: string, text: string): { file: string; dir: string } {
  const dir = mkdtempSync(path.join(tmp, `${name}-`));
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return { file, dir: path.join(dir, 'data') };
}

/** Rewrites the snapshot's value, keeping the hash of the text it claims to come from. */
function tamper(file: string, dir: string, value: unknown): void {
  const out = path.join(dir, `${path.basename(file)}.json`);
  const snap = JSON.parse(readFileSync(out, 'utf8')) as { sha256: string };
  writeFileSync(out, JSON.stringify({ ...snap, value }));
}

describe('data snapshots of the bundled YAML', () => {
  it('are used when the text is the one they were made from', () => {
    const { file, dir } = fixture('same', 'name: a # comment\nn: 1\n');
    writeSnapshot(file, dir);
    expect(readSnapshot(file, readFileSync(file, 'utf8'), dir)).toEqual({ name: 'a', n: 1 });
    // A different value under the same hash shows the loader read the snapshot, not the YAML.
    tamper(file, dir, { name: 'from the snapshot', n: 2 });
    expect(loadBundledYaml(schema, file, dir)).toEqual({ name: 'from the snapshot', n: 2 });
  });

  it('are ignored once the YAML is edited', () => {
    const { file, dir } = fixture('edited', 'name: a\nn: 1\n');
    writeSnapshot(file, dir);
    writeFileSync(file, 'name: b\nn: 1\n');
    expect(readSnapshot(file, readFileSync(file, 'utf8'), dir)).toBeUndefined();
    expect(loadBundledYaml(schema, file, dir)).toEqual({ name: 'b', n: 1 });
  });

  it('are ignored when missing or damaged', () => {
    const { file, dir } = fixture('damaged', 'name: a\nn: 1\n');
    expect(loadBundledYaml(schema, file, dir)).toEqual({ name: 'a', n: 1 });
    writeSnapshot(file, dir);
    writeFileSync(path.join(dir, 'damaged.yaml.json'), '{"sha256": ');
    expect(loadBundledYaml(schema, file, dir)).toEqual({ name: 'a', n: 1 });
  });

  it('go through the schema: a value it rejects falls back to the YAML and its line numbers', () => {
    const { file, dir } = fixture('invalid', 'name: a\nn: 1\n');
    writeSnapshot(file, dir);
    tamper(file, dir, { name: 'a', n: 'one' });
    expect(loadBundledYaml(schema, file, dir)).toEqual({ name: 'a', n: 1 });

    const bad = fixture('bad', 'name: a\nn: one\n');
    writeSnapshot(bad.file, bad.dir);
    try {
      loadBundledYaml(schema, bad.file, bad.dir);
      expect.fail('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues).toEqual([expect.objectContaining({ path: 'n', line: 2 })]);
    }
  });

  it('are not written for a YAML syntax error or for values JSON cannot carry', () => {
    const broken = fixture('broken', 'name: [a\n');
    expect(() => writeSnapshot(broken.file, broken.dir)).toThrow(ConfigError);
    const inf = fixture('inf', 'name: a\nn: .inf\n');
    expect(() => writeSnapshot(inf.file, inf.dir)).toThrow(/JSON cannot carry/);
  });

  it('give the catalog and the weights exactly as their YAML does', () => {
    const dir = path.join(tmp, 'bundled');
    for (const [url, s] of [
      [CATALOG_URL, catalogSchema],
      [WEIGHTS_URL, weightsSchema],
    ] as const) {
      const file = fileURLToPath(url);
      writeSnapshot(file, dir);
      expect(readSnapshot(file, readFileSync(file, 'utf8'), dir)).toBeDefined();
      expect(loadBundledYaml(s, file, dir)).toEqual(parseYamlWith(s, readFileSync(file, 'utf8'), file));
    }
  });

  it('in this build (dist/data/) are those of the YAML in templates/', () => {
    const built = path.resolve(import.meta.dirname, '../../../dist/data');
    for (const url of [CATALOG_URL, WEIGHTS_URL]) {
      const file = fileURLToPath(url);
      expect(readSnapshot(file, readFileSync(file, 'utf8'), built), `${path.basename(file)}: run npm run build`).toBeDefined();
    }
  });
});
