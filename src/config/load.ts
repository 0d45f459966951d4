import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, UserError, type ConfigIssue } from '../errors.js';
import { configSchema, type Config } from './schema.js';

export const CONFIG_FILE = 'platform.config.yaml';

export interface LoadedConfig {
  config: Config;
  /** The file read, or undefined when defaults were used. */
  file: string | undefined;
  /** Directory relative paths in the config (data locations, migrations) are resolved from. */
  dir: string;
}

export interface LoadOptions {
  cwd?: string;
  /** Explicit path from --config; it must exist. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

/** Reads, interpolates and validates the config once; everything downstream gets the typed result. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let file: string | undefined;
  if (options.file) {
    file = path.resolve(cwd, options.file);
    if (!existsSync(file)) {
      throw new UserError(`The config file ${options.file} does not exist.`, {
        exitCode: 3,
        hint: `Check the path given to --config, or drop the flag to use ./${CONFIG_FILE} (or the defaults).`,
      });
    }
  } else if (existsSync(path.join(cwd, CONFIG_FILE))) {
    file = path.join(cwd, CONFIG_FILE);
  }
  const text = file ? readFileSync(file, 'utf8') : '';
  const config = parseConfigText(text, { file, env });
  return { config, file, dir: file ? path.dirname(file) : cwd };
}

/** Pure: YAML text (possibly empty) to a validated Config, or a ConfigError listing every problem. */
export function parseConfigText(text: string, options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const env = options.env ?? {};
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const issues: ConfigIssue[] = [];
  for (const err of doc.errors) {
    const line = err.linePos?.[0]?.line ?? (err.pos ? lineCounter.linePos(err.pos[0]).line : undefined);
    issues.push({ path: '', message: `YAML syntax error: ${err.message.split('\n')[0]}`, ...(line ? { line } : {}) });
  }
  if (issues.length > 0) throw new ConfigError(options.file, issues);

  const lineOf = (p: PropertyKey[]): number | undefined => {
    // The line of the key itself (where the user looks), else of the value, else of the nearest ancestor.
    const parent = p.length === 0 ? doc.contents : (doc.getIn(p.slice(0, -1) as unknown[], true) as Node | undefined);
    if (p.length > 0 && parent && isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === String(p[p.length - 1]));
      const keyRange = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (keyRange) return lineCounter.linePos(keyRange[0]).line;
    }
    const node = doc.getIn(p as unknown[], true) as Node | undefined;
    const range = node && (isScalar(node) || isMap(node) || isSeq(node)) ? node.range : undefined;
    if (range) return lineCounter.linePos(range[0]).line;
    if (p.length > 1) return lineOf(p.slice(0, -1));
    return undefined;
  };

  const raw: unknown = doc.toJS() ?? {};
  const interpolated = interpolate(raw, [], env, issues, lineOf);
  if (issues.length > 0) throw new ConfigError(options.file, issues);

  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) throw new ConfigError(options.file, zodIssues(parsed.error, lineOf));
  return parsed.data;
}

export function zodIssues(error: z.ZodError, lineOf: (p: PropertyKey[]) => number | undefined): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const p = [...issue.path, key];
        const line = lineOf(p);
        out.push({ path: p.join('.'), message: 'unknown key', ...(line ? { line } : {}) });
      }
      continue;
    }
    const line = lineOf(issue.path);
    out.push({ path: issue.path.join('.'), message: issue.message, ...(line ? { line } : {}) });
  }
  return out;
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} and ${VAR:-default} in every string value; a whole-value number stays a number. */
function interpolate(
  value: unknown,
  at: PropertyKey[],
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  lineOf: (p: PropertyKey[]) => number | undefined,
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const out = value.replace(VAR, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      const line = lineOf(at);
      issues.push({ path: at.join('.'), message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`, ...(line ? { line } : {}) });
      return '';
    });
    if (/^-?\d+(\.\d+)?$/.test(out) && value.replace(VAR, '') === '') return Number(out);
    if (out === 'true' || out === 'false') return out === 'true';
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...at, i], env, issues, lineOf));
  if (value && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) o[k] = interpolate(v, [...at, k], env, issues, lineOf);
    return o;
  }
  return value;
}
