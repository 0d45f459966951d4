import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { CONFIG_FILE } from './load.js';

export type ConfigEdit =
  /** The file now has the value (comments and the rest of the file are kept). */
  | { edited: true; file: string; created: boolean }
  /** The value comes from an environment variable (`${VAR}`): baas does not rewrite it. */
  | { edited: false; file: string; reason: string };

/**
 * Sets one key of platform.config.yaml, keeping comments and layout (yaml's Document API), or
 * creates the file with just that key when the project has none (built-in defaults otherwise).
 * A value written as `${VAR}` is left alone: the user's indirection wins, and the caller says
 * what to set instead.
 */
export function setConfigValue(file: string | undefined, dir: string, keyPath: string[], value: string): ConfigEdit {
  const target = file ?? path.join(dir, CONFIG_FILE);
  const created = !existsSync(target);
  const doc = parseDocument(created ? '' : readFileSync(target, 'utf8'));
  const current = doc.getIn(keyPath);
  if (typeof current === 'string' && current.includes('${')) {
    return { edited: false, file: target, reason: `${keyPath.join('.')} is '${current}', taken from the environment` };
  }
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  doc.setIn(keyPath, value);
  writeFileSync(target, String(doc));
  return { edited: true, file: target, created };
}
