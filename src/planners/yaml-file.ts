import { existsSync, readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, UserError, type ConfigIssue } from '../errors.js';
import { zodIssues } from '../config/load.js';

/**
 * Parses YAML text and validates it with a zod schema; every problem comes back in one
 * ConfigError with its key path and line. Shared by the catalog, requirements and usage files.
 */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, file: string | undefined): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const issues: ConfigIssue[] = [];
  for (const err of doc.errors) {
    const pos = err.linePos?.[0];
    issues.push({ path: '', message: `YAML syntax error: ${err.message.split('\n')[0]}`, ...(pos ? { line: pos.line } : {}) });
  }
  if (issues.length > 0) throw new ConfigError(file, issues, { hint: 'Fix the YAML syntax at the line shown.' });

  const lineOf = (p: PropertyKey[]): number | undefined => {
    const node = doc.getIn(p as unknown[], true) as Node | undefined;
    const range = node && (isScalar(node) || isMap(node) || isSeq(node)) ? node.range : undefined;
    if (range) return lineCounter.linePos(range[0]).line;
    if (p.length > 1) return lineOf(p.slice(0, -1));
    return undefined;
  };
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new ConfigError(file, zodIssues(parsed.error, lineOf), { hint: 'Fix the keys listed above; `baas advise --help` lists every requirement key.' });
  }
  return parsed.data;
}

/** Reads a YAML file the user named on the command line (a missing file is a usage error). */
export function readYamlFile<S extends z.ZodType>(schema: S, file: string, flag: string): z.output<S> {
  if (!existsSync(file)) {
    throw new UserError(`The file ${file} given to ${flag} does not exist.`, { hint: `Check the path given to ${flag}.` });
  }
  return parseYamlWith(schema, readFileSync(file, 'utf8'), file);
}
