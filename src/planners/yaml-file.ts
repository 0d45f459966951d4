import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { zodIssues } from '../config/load.js';
import { configError, parseYamlInput, readInputFile } from '../config/yaml-input.js';
import { readSnapshot, SNAPSHOT_DIR } from './data-snapshot.js';

/**
 * Parses YAML text and validates it with a zod schema; every problem comes back in one
 * ConfigError with its key path and line. Shared by the catalog, requirements and usage files.
 */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, file: string | undefined): z.output<S> {
  const { value, lineOf } = parseYamlInput(text, file, { hint: 'Fix the YAML syntax at the line shown.' });
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw configError(file, zodIssues(parsed.error, lineOf), 'Fix the keys listed above; `baas advise --help` lists every requirement key.');
  }
  return parsed.data;
}

/** Reads a YAML file the user named on the command line (a missing file is a usage error). */
export function readYamlFile<S extends z.ZodType>(schema: S, file: string, flag: string): z.output<S> {
  if (!existsSync(file)) {
    throw new UserError(`The file ${file} given to ${flag} does not exist.`, { hint: `Check the path given to ${flag}.` });
  }
  return parseYamlWith(schema, readInputFile(file), file);
}

/**
 * Reads a data file that ships with baas (the catalog, the advisor weights): from the build's
 * snapshot of it when there is one for exactly this text (see data-snapshot.ts), else from the
 * YAML. Either way the value is validated with `schema`; a snapshot that fails it is ignored,
 * so the error comes from the YAML with its lines.
 */
export function loadBundledYaml<S extends z.ZodType>(schema: S, file: string, snapshots: string = SNAPSHOT_DIR): z.output<S> {
  const text = readFileSync(file, 'utf8');
  const snap = readSnapshot(file, text, snapshots);
  if (snap !== undefined) {
    const parsed = schema.safeParse(snap);
    if (parsed.success) return parsed.data;
  }
  return parseYamlWith(schema, text, file);
}
