/**
 * Write-ahead log arithmetic, pure: LSNs, segment names and timeline history files, as Postgres
 * names them (`TTTTTTTTXXXXXXXXYYYYYYYY`: timeline, then the segment number split in two).
 */

export const DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024;

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;
const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;

export const isLsn = (s: string): boolean => LSN.test(s.trim());

export function parseLsn(s: string): bigint {
  const m = LSN.exec(s.trim());
  if (!m) throw new Error(`not an LSN: ${s}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(v: bigint): string {
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
}

const segmentsPerId = (segmentSize: number): bigint => 0x100000000n / BigInt(segmentSize);

/** The segment number holding the byte at `lsn`. */
export const segmentOf = (lsn: bigint, segmentSize = DEFAULT_SEGMENT_SIZE): bigint => lsn / BigInt(segmentSize);

/** Where a segment starts, as an LSN. */
export const segmentStart = (segno: bigint, segmentSize = DEFAULT_SEGMENT_SIZE): bigint => segno * BigInt(segmentSize);

const hex8 = (n: bigint | number): string => n.toString(16).toUpperCase().padStart(8, '0');

export function segmentName(timeline: number, segno: bigint, segmentSize = DEFAULT_SEGMENT_SIZE): string {
  const per = segmentsPerId(segmentSize);
  return `${hex8(timeline)}${hex8(segno / per)}${hex8(segno % per)}`;
}

export interface SegmentId {
  timeline: number;
  segno: bigint;
}

/** A full segment's name (not a .history, .backup or .partial file); undefined otherwise. */
export function parseSegmentName(name: string, segmentSize = DEFAULT_SEGMENT_SIZE): SegmentId | undefined {
  const m = SEGMENT.exec(name);
  if (!m) return undefined;
  return { timeline: parseInt(m[1]!, 16), segno: BigInt(`0x${m[2]}`) * segmentsPerId(segmentSize) + BigInt(`0x${m[3]}`) };
}

export const historyFileName = (timeline: number): string => `${hex8(timeline)}.history`;

export function parseHistoryName(name: string): number | undefined {
  const m = /^([0-9A-F]{8})\.history$/.exec(name);
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** One line of a timeline history file: the parent timeline and where the child branched off it. */
export interface TimelineSwitch {
  timeline: number;
  /** The first LSN that is no longer on `timeline` (the child starts here). */
  switchLsn: bigint;
}

/**
 * Parses a `.history` file: `<parent tli>\t<switch LSN>\t<reason>` per ancestor, oldest first.
 * Comment and blank lines are skipped, as Postgres does.
 */
export function parseHistory(text: string): TimelineSwitch[] {
  const out: TimelineSwitch[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [tli, lsn] = line.split(/\s+/);
    if (!tli || !lsn || !/^\d+$/.test(tli) || !isLsn(lsn)) continue;
    out.push({ timeline: Number(tli), switchLsn: parseLsn(lsn) });
  }
  return out;
}

/**
 * The path of history that leads to `timeline`: each timeline with the LSN range it covers on
 * that path (its end is where its child branched off; the last one is open-ended).
 */
export interface PathEntry {
  timeline: number;
  fromLsn: bigint;
  /** Exclusive; undefined for the newest timeline. */
  toLsn: bigint | undefined;
}

export function timelinePath(timeline: number, history: TimelineSwitch[]): PathEntry[] {
  const out: PathEntry[] = [];
  let from = 0n;
  for (const h of history) {
    out.push({ timeline: h.timeline, fromLsn: from, toLsn: h.switchLsn });
    from = h.switchLsn;
  }
  out.push({ timeline, fromLsn: from, toLsn: undefined });
  return out;
}

/**
 * The timeline a segment number is read from on the path: the newest timeline whose range
 * touches it (at a switch the child timeline holds the segment with both halves, as Postgres
 * copies the start of it over).
 */
export function timelineForSegment(path: PathEntry[], segno: bigint, segmentSize = DEFAULT_SEGMENT_SIZE): number | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const p = path[i]!;
    const first = segmentOf(p.fromLsn, segmentSize);
    const last = p.toLsn === undefined ? undefined : segmentOf(p.toLsn - 1n, segmentSize);
    if (segno >= first && (last === undefined || segno <= last)) return p.timeline;
  }
  return undefined;
}

/** The timeline an LSN lies on along the path. */
export function timelineForLsn(path: PathEntry[], lsn: bigint): number | undefined {
  for (const p of path) if (lsn >= p.fromLsn && (p.toLsn === undefined || lsn < p.toLsn)) return p.timeline;
  return undefined;
}
