/**
 * The manifest of a base backup: written last, into `base/<id>.partial/`, which is then renamed to
 * `base/<id>/`. A directory without it (or still named `.partial`) is never a backup.
 */
import { z } from 'zod';

export const MANIFEST_FORMAT = 1;

const redisPart = z.object({
  file: z.string(),
  bytes: z.number(),
  /** The node the snapshot was taken on (a replica unless none was available). */
  node: z.string(),
  role: z.string(),
  takenAt: z.string(),
});

const mongoPart = z.object({
  file: z.string(),
  bytes: z.number(),
  takenAt: z.string(),
  /** mongodump --oplog: consistent as of the end of the dump. */
  oplog: z.boolean(),
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string(),
  label: z.string().nullable(),
  project: z.string(),
  /** pg_control_system().system_identifier: which cluster this is a backup of. */
  systemIdentifier: z.string(),
  pgVersion: z.string(),
  /** clone: data/ is a reflink copy; archive: data.tar.gz. */
  method: z.enum(['clone', 'archive']),
  timeline: z.number().int(),
  startLsn: z.string(),
  stopLsn: z.string(),
  /** First and last WAL segment the backup needs (on its timeline). */
  startWal: z.string(),
  stopWal: z.string(),
  walSegmentSize: z.number().int(),
  startedAt: z.string(),
  /** Server time once pg_backup_stop returned: the earliest moment this backup restores to. */
  stoppedAt: z.string(),
  durationMs: z.number(),
  /** Bytes of the data directory copied (logical size) and bytes the backup takes in the repository. */
  dataBytes: z.number(),
  storedBytes: z.number(),
  /** Row counts of the platform tables (baas_platform.*) at the backup's moment, for `verify`. */
  platformCounts: z.record(z.string(), z.number()).nullable(),
  /** Databases that accepted connections at the backup's moment. */
  databases: z.array(z.string()),
  redis: redisPart.nullable(),
  mongo: mongoPart.nullable(),
  /** What was not covered, in words (e.g. MongoDB). */
  notes: z.array(z.string()),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** Parses a manifest; undefined when it is not one (a damaged file is not a backup). */
export function parseManifest(text: string): Manifest | undefined {
  try {
    const r = manifestSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const isValidLabel = (s: string): boolean => LABEL.test(s);

/** Backup ids sort by time: 20261130T122516Z plus a short random suffix. */
export function backupId(at: Date, random: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${random}`;
}

export const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{4,8}$/;
