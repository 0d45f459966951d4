/**
 * Size strings (512m, 1g, 256mb) to bytes. Kept apart from the schema so that code which only
 * needs the arithmetic (container specs, status, branches) does not load zod.
 */
export function parseSize(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(size.trim());
  if (!m) throw new Error(`not a size: ${size}`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit.startsWith('g') ? 1024 ** 3 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('k') ? 1024 : 1;
  return Math.round(n * mult);
}
