import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseYamlInput } from '../config/yaml-input.js';

/**
 * The catalog and the advisor weights ship as YAML for people to read and edit, but reading
 * them took about 240 ms of a 600 ms `baas advise` run, most of it in the YAML parser.
 * `npm run build` stores each bundled file's parsed value as JSON in dist/data/
 * (scripts/data-snapshot.mjs), with the SHA-256 of the YAML text it came from. A loader takes
 * a snapshot only when the text it has just read has that hash, and still validates the value
 * with its schema; an edited file, a missing or damaged snapshot, or a run from the sources
 * (src/data/ does not exist) parses the YAML as before, so the snapshot changes how fast the
 * data loads, never what it says.
 */

/** dist/data/ when built (src/data/ from the sources, which is never written). */
export const SNAPSHOT_DIR = fileURLToPath(new URL('../data/', import.meta.url));

interface Snapshot {
  sha256: string;
  value: unknown;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const snapshotFile = (yamlFile: string, dir: string): string => path.join(dir, `${path.basename(yamlFile)}.json`);

/** The parsed value of `text` (read from `yamlFile`) from its snapshot in `dir`, if there is one for exactly this text. */
export function readSnapshot(yamlFile: string, text: string, dir: string = SNAPSHOT_DIR): unknown {
  let snap: Partial<Snapshot>;
  try {
    snap = JSON.parse(readFileSync(snapshotFile(yamlFile, dir), 'utf8')) as Partial<Snapshot>;
  } catch {
    return undefined;
  }
  return snap.sha256 === sha256(text) ? snap.value : undefined;
}

/** Parses `yamlFile` (syntax errors throw) and writes its snapshot to `dir`; returns the snapshot's path. */
export function writeSnapshot(yamlFile: string, dir: string = SNAPSHOT_DIR): string {
  const text = readFileSync(yamlFile, 'utf8');
  const { value } = parseYamlInput(text, yamlFile);
  const json = JSON.stringify({ sha256: sha256(text), value } satisfies Snapshot);
  if (!isDeepStrictEqual((JSON.parse(json) as Snapshot).value, value)) {
    throw new Error(`${yamlFile} holds values JSON cannot carry (dates, infinities): no snapshot written`);
  }
  mkdirSync(dir, { recursive: true });
  const out = snapshotFile(yamlFile, dir);
  writeFileSync(out, `${json}\n`);
  return out;
}
