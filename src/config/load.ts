import { existsSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { UserError, type ConfigIssue } from '../errors.js';
import { configSchema, type Config } from './schema.js';
import { configError, parseYamlInput, readInputFile } from './yaml-input.js';

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
  /** Filled with the name of every environment variable the values refer to (after YAML unescaping). */
  variablesUsed?: Set<string>;
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
  const text = file ? readInputFile(file) : '';
  const config = parseConfigText(text, { file, env, ...(options.variablesUsed ? { variablesUsed: options.variablesUsed } : {}) });
  return { config, file, dir: file ? path.dirname(file) : cwd };
}

/** Pure: YAML text (possibly empty) to a validated Config, or a ConfigError listing every problem. */
export function parseConfigText(text: string, options: { file?: string; env?: NodeJS.ProcessEnv; variablesUsed?: Set<string> } = {}): Config {
  const env = options.env ?? {};
  const { value, lineOf } = parseYamlInput(text, options.file);
  const issues: ConfigIssue[] = [];
  const used = options.variablesUsed ?? new Set<string>();
  const interpolated = interpolate(value ?? {}, [], env, issues, lineOf, used);
  if (issues.length > 0) throw configError(options.file, issues);

  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) throw configError(options.file, zodIssues(parsed.error, lineOf));
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
  used: Set<string>,
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const out = value.replace(VAR, (_m, name: string, fallback: string | undefined) => {
      used.add(name);
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
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...at, i], env, issues, lineOf, used));
  if (value && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) o[k] = interpolate(v, [...at, k], env, issues, lineOf, used);
    return o;
  }
  return value;
}
