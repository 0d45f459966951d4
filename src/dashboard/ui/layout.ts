/** How the screen is divided: pure, so the "never taller than the terminal" rule is unit-tested. */

export const MIN_COLUMNS = 60;
export const MIN_ROWS = 16;

export const PANELS = ['overview', 'history', 'replication', 'sentinel', 'latency', 'hotkeys', 'alerts'] as const;
export type PanelId = (typeof PANELS)[number];

export interface Layout {
  tooSmall: boolean;
  width: number;
  /** Lines the live area uses: at most the terminal height minus one, so it never scrolls. */
  height: number;
  left: number;
  right: number;
  /** Content lines (without the title line) of the three panel rows. */
  rows: [number, number, number];
  alertLines: number;
  /** Content lines of a zoomed panel. */
  zoomLines: number;
}

const HEADER = 1;
const FOOTER = 1;
const SERVICES = 2;

export function computeLayout(columns: number, rows: number): Layout {
  const width = Math.max(1, columns);
  const height = Math.max(1, rows - 1);
  const left = Math.floor((width - 1) / 2);
  const right = width - 1 - left;
  const tooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;
  const fixed = HEADER + FOOTER + SERVICES;
  let alertLines = rows >= 34 ? 5 : rows >= 28 ? 3 : 2;
  let body = height - fixed - (1 + alertLines);
  // Three rows of panels, each a title line plus content. Row 1 (overview, sparklines) needs at most 5.
  const base = Math.max(1, Math.floor(body / 3) - 1);
  const r1 = Math.min(5, base);
  body -= r1 + 1;
  const r2 = Math.max(1, Math.floor(body / 2) - 1);
  const r3 = r2;
  const used = fixed + 1 + alertLines + (r1 + 1) + (r2 + 1) + (r3 + 1);
  if (used < height) alertLines += height - used;
  return { tooSmall, width, height, left, right, rows: [r1, r2, r3], alertLines, zoomLines: Math.max(1, height - fixed - 1) };
}
