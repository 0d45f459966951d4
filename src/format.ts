/**
 * Plain-text formatting shared by commands, planners and the dashboard: tables, byte sizes,
 * durations (both ways). Pure and dependency-light: it is loaded by every command.
 */
import { createRequire } from 'node:module';

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
// eslint-disable-next-line no-control-regex
const PLAIN_ASCII = /^[\u0020-\u007e]*$/;

let stringWidth: ((s: string) => number) | undefined;

/**
 * Columns a string takes in a terminal: wide (CJK, emoji) characters count 2, combining marks
 * 0, colour codes nothing. Printable ASCII is measured directly; anything else goes through
 * `string-width`, loaded on first need (it costs tens of milliseconds to load).
 */
export function visibleLength(s: string): number {
  const plain = s.replace(ANSI, '');
  if (PLAIN_ASCII.test(plain)) return plain.length;
  stringWidth ??= (createRequire(import.meta.url)('string-width') as { default: (s: string) => number }).default;
  return stringWidth(plain);
}

/** A left-aligned text table with a header row; numbers may be right-aligned by column. */
export function table(headers: string[], rows: (string | number)[][], options: { alignRight?: number[] } = {}): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const right = new Set(options.alignRight ?? []);
  const line = (r: string[]): string =>
    r
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(c)));
        return right.has(i) ? pad + c : c + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

/** A duration for people: `850 ms`, `4.2 s`, `3 min 5 s`. */
export function ms(n: number): string {
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(1)} s`;
  return `${Math.floor(n / 60_000)} min ${Math.round((n % 60_000) / 1000)} s`;
}

export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 10 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ALIASES: Record<string, DurationUnit> = { ms: 'ms', s: 's', sec: 's', m: 'm', min: 'm', h: 'h', d: 'd', w: 'w' };

export interface DurationOptions {
  /** The unit of a bare number; without it a unit is required. */
  defaultUnit?: DurationUnit;
  /** The units this option accepts (default: all). */
  units?: readonly DurationUnit[];
}

/**
 * The one duration parser: `500ms`, `2s`, `30m`, `12h`, `7d`, `2w`, or a bare number in
 * `defaultUnit`. Returns milliseconds, or undefined when the text is not such a duration (the
 * caller says in its own words what its option accepts). Negative numbers are not durations.
 */
export function parseDuration(text: string, options: DurationOptions = {}): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = m[2] ? ALIASES[m[2].toLowerCase()] : options.defaultUnit;
  if (!unit || (options.units && !options.units.includes(unit))) return undefined;
  const n = Number(m[1]) * UNIT_MS[unit];
  return Number.isFinite(n) ? n : undefined;
}
