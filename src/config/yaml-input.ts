import { readFileSync, statSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';

/**
 * Reading YAML that a user hands to baas (platform.config.yaml, `advise --file`, `cost --file`)
 * without letting a hostile or broken file exhaust memory or time: the size is capped before
 * reading, alias expansion is capped (a "billion laughs" file expands to gigabytes), and key
 * paths are mapped to lines in one walk (looking each one up costs O(n²) on large files).
 */

/** Far above any real config or requirements file (the commented default config is ~4 kB). */
export const MAX_INPUT_BYTES = 1024 * 1024;
/** Aliases a document may expand; real files use a handful for shared defaults. */
export const MAX_ALIAS_COUNT = 100;
/** Flow collections (`[[[...]]]`) nested deeper than this are refused before parsing (the parser recurses). */
export const MAX_NESTING = 500;
/** Problems listed one by one; past this the rest are counted. */
export const MAX_ISSUES = 50;

export interface YamlInput {
  /** The document as plain data (empty text gives undefined). */
  value: unknown;
  /** Line of a key path (the key's own line), else of its nearest ancestor. */
  lineOf(path: PropertyKey[]): number | undefined;
}

const sizeText = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} kB`);

function tooLarge(file: string | undefined, size: number, max: number): ConfigError {
  return new ConfigError(file, [{ path: '', message: `the file is ${sizeText(size)}; baas reads at most ${sizeText(max)}` }], {
    code: 'input_too_large',
    hint: 'This is not a config or requirements file baas can use: check the path, or trim the file.',
  });
}

/** Reads a user-named file, refusing one larger than `maxBytes` before reading it. */
export function readInputFile(file: string, maxBytes = MAX_INPUT_BYTES): string {
  const size = statSync(file).size;
  if (size > maxBytes) throw tooLarge(file, size, maxBytes);
  return readFileSync(file, 'utf8');
}

/** Parses YAML text into data and a line index; syntax errors, alias bombs and oversize text are ConfigErrors. */
export function parseYamlInput(text: string, file: string | undefined, options: { hint?: string; maxBytes?: number } = {}): YamlInput {
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES;
  if (text.length > maxBytes) throw tooLarge(file, Buffer.byteLength(text), maxBytes);
  const depth = flowDepth(text);
  if (depth > MAX_NESTING) {
    throw new ConfigError(file, [{ path: '', message: `brackets are nested ${depth} levels deep; baas reads at most ${MAX_NESTING}` }], {
      code: 'input_too_large',
      hint: 'This is not a config or requirements file baas can use: check the path.',
    });
  }
  const lineCounter = new LineCounter();
  // yaml's own duplicate-key check compares every key with every other (20 000 keys: 4 s);
  // the walk below finds duplicates with one Set per mapping instead.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const issues: ConfigIssue[] = [];
  for (const err of doc.errors) {
    const line = err.linePos?.[0]?.line ?? (err.pos ? lineCounter.linePos(err.pos[0]).line : undefined);
    issues.push({ path: '', message: `YAML syntax error: ${err.message.split('\n')[0]}`, ...(line ? { line } : {}) });
  }
  if (issues.length > 0) throw configError(file, issues, options.hint);

  // One walk: "a.b.0.c" -> line of the key (or of the item), so every issue's line is a lookup.
  const lines = new Map<string, number>();
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const walk = (node: unknown, at: string[]): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const key = isScalar(item.key) ? String(item.key.value) : undefined;
        if (key === undefined) continue;
        const p = [...at, key];
        const k = p.join('\u0000');
        const range = (item.key as Node).range ?? (item.value as Node | null)?.range;
        if (seen.has(key)) {
          issues.push({ path: p.join('.'), message: 'duplicate key (a key may appear once in a mapping)', ...(range ? { line: lineAt(range[0]) } : {}) });
          continue;
        }
        seen.add(key);
        if (range && !lines.has(k)) lines.set(k, lineAt(range[0]));
        walk(item.value, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const p = [...at, String(i)];
        const range = (item as Node | null)?.range;
        if (range) lines.set(p.join('\u0000'), lineAt(range[0]));
        walk(item, p);
      });
    }
  };
  walk(doc.contents, []);
  if (issues.length > 0) throw configError(file, issues, options.hint);

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // yaml throws a ReferenceError for "Excessive alias count indicates a resource exhaustion attack".
    if (e instanceof ReferenceError || e instanceof RangeError) {
      throw new ConfigError(file, [{ path: '', message: 'YAML aliases (*name) expand to too much data: the file looks like an alias bomb' }], {
        code: 'input_too_large',
        hint: 'Write the values out instead of nesting aliases; baas expands at most 100 aliases.',
      });
    }
    throw e;
  }

  const lineOf = (p: PropertyKey[]): number | undefined => {
    for (let n = p.length; n > 0; n--) {
      const line = lines.get(p.slice(0, n).map(String).join('\u0000'));
      if (line !== undefined) return line;
    }
    return undefined;
  };
  return { value, lineOf };
}

/** Deepest nesting of [ and { outside quotes and comments (an over-estimate is fine: it only guards the parser). */
export function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      // An apostrophe in a plain block scalar (`name: it's`) is not a quote: end it at the line.
      if (c === quote || (c === '\n' && depth === 0)) quote = '';
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return max;
}

/** A ConfigError listing at most MAX_ISSUES problems (a huge file must not produce a huge message). */
export function configError(file: string | undefined, issues: ConfigIssue[], hint?: string, code?: string): ConfigError {
  const shown = issues.length > MAX_ISSUES ? [...issues.slice(0, MAX_ISSUES), { path: '', message: `… and ${issues.length - MAX_ISSUES} more problems` }] : issues;
  const error = new ConfigError(file, shown, { ...(hint ? { hint } : {}), ...(code ? { code } : {}) });
  if (issues.length > MAX_ISSUES) Object.defineProperty(error, 'message', { value: error.message.replace(/has \d+ problems/, `has ${issues.length} problems`) });
  return error;
}
