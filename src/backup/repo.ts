/**
 * The backup repository, as seen from inside a container that mounts it (the running Postgres
 * container, or a short-lived tool container): its layout, the shell scripts that read and
 * write it, and the parsing of what they print. Scripts are built here as plain strings with
 * their inputs passed as environment variables, never spliced in.
 *
 * Layout under BACKUP_MOUNT/<project>/:
 *   cluster                the system identifier of the cluster the repository belongs to
 *   wal/<name>.gz          archived WAL segments and timeline history files
 *   base/<id>/             complete base backups: manifest.json, backup_label, data/ or data.tar.gz,
 *                          redis.rdb, mongo.archive.gz
 *   base/<id>.partial/     a backup being written, or abandoned by a killed process
 */
import type { ExecResult } from '../runtime/types.js';
import { parseManifest, type Manifest } from './manifest.js';
import { parseHistory, parseHistoryName, parseSegmentName, type SegmentId, type TimelineSwitch } from './wal.js';

export interface RepoShell {
  /** Runs a bash script in a container that mounts the repository; inputs come as environment variables. */
  run(script: string, env?: Record<string, string>): Promise<ExecResult>;
  /** The container the shell runs in (files are copied in and out with Docker's archive API). */
  readonly containerId: string;
}

export interface WalFile {
  name: string;
  bytes: number;
  /** When it was archived (the file's mtime), ISO. */
  archivedAt: string;
  segment?: SegmentId;
}

export interface PartialBackup {
  id: string;
  modifiedAt: string;
  /** A copy is still writing into it. */
  busy: boolean;
  owner: { host: string; pid: number; startedAt: string } | undefined;
}

export interface RepoListing {
  /** The directory does not exist yet (nothing was ever archived or backed up). */
  missing: boolean;
  cluster: string | undefined;
  wal: WalFile[];
  histories: Map<number, TimelineSwitch[]>;
  backups: Manifest[];
  /** Directories under base/ that are not backups: in progress or abandoned. */
  partials: PartialBackup[];
  /** Complete-looking directories without a readable manifest. */
  damaged: string[];
  disk: { totalBytes: number; freeBytes: number } | undefined;
}

export const LIST_SCRIPT = `set -u
if [ ! -d "$ROOT" ]; then echo "@missing"; exit 0; fi
cd "$ROOT"
echo "@cluster $(cat cluster 2>/dev/null)"
if [ -d wal ]; then find wal -maxdepth 1 -type f -name '*.gz' -printf '@wal %f %s %T@\\n'; fi
for h in wal/*.history.gz; do
  [ -f "$h" ] || continue
  echo "@history \${h#wal/}"; gzip -dc "$h" 2>/dev/null; echo; echo "@end"
done
for d in base/*; do
  [ -d "$d" ] || continue
  n=\${d#base/}
  case "$n" in
    *.partial)
      busy=free; if [ -f "$d/.lock" ] && ! flock -n "$d/.lock" true 2>/dev/null; then busy=busy; fi
      echo "@partial $n $(stat -c %Y "$d") $busy $(cat "$d/.owner" 2>/dev/null | tr -d '\\n')";;
    *)
      if [ -f "$d/manifest.json" ]; then echo "@manifest $n"; cat "$d/manifest.json"; echo; echo "@end"; else echo "@damaged $n"; fi;;
  esac
done
df -Pk . | tail -n 1 | awk '{ print "@df", $2 * 1024, $4 * 1024 }'
`;

const iso = (epochSeconds: string): string => new Date(Math.round(Number(epochSeconds) * 1000)).toISOString();

/** Pure: what LIST_SCRIPT printed to a listing. */
export function parseListing(text: string, segmentSize?: number): RepoListing {
  const out: RepoListing = { missing: false, cluster: undefined, wal: [], histories: new Map(), backups: [], partials: [], damaged: [], disk: undefined };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '@missing') out.missing = true;
    else if (line.startsWith('@cluster')) out.cluster = line.slice('@cluster'.length).trim() || undefined;
    else if (line.startsWith('@wal ')) {
      const [, file, size, mtime] = line.split(' ');
      if (!file || !file.endsWith('.gz')) continue;
      const name = file.slice(0, -3);
      const segment = parseSegmentName(name, segmentSize);
      out.wal.push({ name, bytes: Number(size), archivedAt: iso(mtime ?? '0'), ...(segment ? { segment } : {}) });
    } else if (line.startsWith('@history ') || line.startsWith('@manifest ')) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== '@end'; i++) body.push(lines[i]!);
      const text = body.join('\n');
      if (line.startsWith('@history ')) {
        const tli = parseHistoryName(line.slice('@history '.length).replace(/\.gz$/, ''));
        if (tli !== undefined) out.histories.set(tli, parseHistory(text));
      } else {
        const m = parseManifest(text);
        if (m) out.backups.push(m);
        else out.damaged.push(line.slice('@manifest '.length));
      }
    } else if (line.startsWith('@partial ')) {
      const [, dir, mtime, busy, ...ownerParts] = line.split(' ');
      let owner: PartialBackup['owner'];
      try {
        const o = JSON.parse(ownerParts.join(' ')) as { host?: unknown; pid?: unknown; startedAt?: unknown };
        if (typeof o.host === 'string' && typeof o.pid === 'number') owner = { host: o.host, pid: o.pid, startedAt: String(o.startedAt ?? '') };
      } catch {
        owner = undefined;
      }
      out.partials.push({ id: (dir ?? '').replace(/\.partial$/, ''), modifiedAt: iso(mtime ?? '0'), busy: busy === 'busy', owner });
    } else if (line.startsWith('@damaged ')) out.damaged.push(line.slice('@damaged '.length));
    else if (line.startsWith('@df ')) {
      const [, total, free] = line.split(' ');
      out.disk = { totalBytes: Number(total), freeBytes: Number(free) };
    }
  }
  out.wal.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  out.backups.sort((a, b) => (a.id < b.id ? -1 : 1));
  return out;
}

/** What the data directory copy leaves out (as Postgres' documentation of the low-level API lists). */
export const EXCLUDED_DIRS = ['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans'];
export const EXCLUDED_FILES = ['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map', 'recovery.signal', 'standby.signal'];

/**
 * Checks the repository before a backup: it exists (made if not), a file can be written, and
 * which cluster it belongs to (written on first use). Prints `@ok <cluster>` or `@fail <why>`.
 * Env: ROOT, SYSID.
 */
export const PREFLIGHT_SCRIPT = `set -u
fail() { echo "@fail $*"; exit 0; }
mkdir -p "$ROOT/base" "$ROOT/wal" 2>/tmp/.baas-pre || fail "$(tail -n 1 /tmp/.baas-pre)"
t="$ROOT/base/.write-test-$$"
( printf 'baas' > "$t" && sync "$t" ) 2>/tmp/.baas-pre || { rm -f "$t"; fail "$(tail -n 1 /tmp/.baas-pre)"; }
rm -f "$t"
if [ ! -s "$ROOT/cluster" ]; then printf '%s\\n' "$SYSID" > "$ROOT/cluster" 2>/tmp/.baas-pre || fail "$(tail -n 1 /tmp/.baas-pre)"; fi
echo "@ok $(cat "$ROOT/cluster")"
df -Pk "$ROOT" | tail -n 1 | awk '{ print "@df", $2 * 1024, $4 * 1024 }'
`;

/**
 * Everything before the copy in one exec (each costs ~0.2 s): the preflight, the listing, the
 * backup's `<id>.partial` directory with its owner, and whether the data directory can be cloned
 * into the repository (same filesystem, reflink support): `@method clone|archive`.
 * Env: ROOT, SYSID, ID, OWNER, PGDATA.
 */
export const PREPARE_SCRIPT = `${PREFLIGHT_SCRIPT}
( ${LIST_SCRIPT} )
P="$ROOT/base/$ID.partial"
mkdir "$P" 2>/tmp/.baas-pre || { echo "@fail $(tail -n 1 /tmp/.baas-pre)"; exit 0; }
printf '%s\\n' "$OWNER" > "$P/.owner"
: > "$P/.lock"
if cp --reflink=always "$PGDATA/PG_VERSION" "$P/.clone-probe" 2>/dev/null; then echo "@method clone"; else echo "@method archive"; fi
rm -f "$P/.clone-probe"
`;

const excludeCase = [...EXCLUDED_DIRS, ...EXCLUDED_FILES].join('|');

/**
 * The copy of the data directory while the backup is in progress. Holds the partial's lock for
 * as long as it runs (it goes on inside the container if baas is killed). Files that vanish
 * while being copied (a dropped table, a temporary file) are fine: the WAL replay recreates or
 * removes them. Env: ROOT, ID, PGDATA, METHOD (clone|archive).
 */
export const COPY_SCRIPT = `set -u
P="$ROOT/base/$ID.partial"
exec 9>"$P/.lock"
flock -n 9 || { echo "another copy holds $P" >&2; exit 3; }
cd "$PGDATA" || exit 4
if [ "$METHOD" = clone ]; then
  mkdir -m 700 "$P/data" || exit 4
  : > "$P/.errors"
  for e in * .[!.]*; do
    [ -e "$e" ] || continue
    case "$e" in
      ${excludeCase}) [ -d "$e" ] && mkdir -m 700 "$P/data/$e"; continue;;
    esac
    cp -a --reflink=always "$e" "$P/data/" 2>>"$P/.errors"
  done
  mkdir -p "$P/data/pg_wal/archive_status" "$P/data/pg_wal/summaries"
  find "$P/data" \\( -name 'pgsql_tmp*' -o -name pg_internal.init \\) -prune -exec rm -rf {} + 2>/dev/null
  if grep -v 'No such file or directory' "$P/.errors" | grep -q .; then grep -v 'No such file or directory' "$P/.errors" | tail -n 5 >&2; exit 1; fi
  rm -f "$P/.errors"
else
  tar -C "$PGDATA" -cf - --numeric-owner --ignore-failed-read \\
    --warning=no-file-changed --warning=no-file-removed --warning=no-file-shrank \\
    ${[...EXCLUDED_FILES.map((f) => `--exclude=./${f}`), ...EXCLUDED_DIRS.map((d) => `--exclude='./${d}/*'`), "--exclude='pgsql_tmp*'", '--exclude=pg_internal.init'].join(' ')} \\
    --checkpoint=1000 --checkpoint-action="exec=echo \\$TAR_CHECKPOINT > $P/.progress" \\
    . | gzip -1 > "$P/data.tar.gz"
  rc=("\${PIPESTATUS[@]}")
  # tar exits 1 when a file changed while it was read: expected during a hot backup.
  if [ "\${rc[0]}" -gt 1 ] || [ "\${rc[1]}" -ne 0 ]; then exit 1; fi
  sync "$P/data.tar.gz"
fi
# Sizes: the data copied, and what it takes in the repository (a clone takes nothing new until the data changes).
if [ "$METHOD" = archive ]; then
  echo "@sizes $(du -sb --apparent-size --exclude=pg_wal "$PGDATA" 2>/dev/null | cut -f1) $(stat -c %s "$P/data.tar.gz")"
fi
`;

/** Bytes read so far by the copy (TAR_CHECKPOINT counts tar's 10 KiB records; the action runs every 1000). Env: ROOT, ID. */
export const PROGRESS_SCRIPT = `P="$ROOT/base/$ID.partial"; c=$(cat "$P/.progress" 2>/dev/null || echo 0); echo $(( c * 10240 ))`;

/**
 * Finishes a backup: waits (up to WAIT tenths of a second) for the last WAL segment it needs to be
 * archived (exit 10 if it is not), writes backup_label (and tablespace_map), then the manifest,
 * then renames the directory; prints the repository's listing for retention.
 * Env: ROOT, ID, WAL, WAIT, LABEL_FILE, SPCMAP_FILE, MANIFEST.
 */
export const FINISH_SCRIPT = `set -eu
P="$ROOT/base/$ID.partial"
F="$ROOT/base/$ID"
i=0
while [ ! -f "$ROOT/wal/$WAL.gz" ]; do
  i=$((i + 1)); [ "$i" -gt "$WAIT" ] && exit 10
  sleep 0.1
done
printf '%s' "$LABEL_FILE" > "$P/backup_label"
if [ -n "$SPCMAP_FILE" ]; then printf '%s' "$SPCMAP_FILE" > "$P/tablespace_map"; fi
rm -f "$P/.progress" "$P/.lock" "$P/.owner"
printf '%s\\n' "$MANIFEST" > "$P/manifest.json.tmp"
sync "$P/manifest.json.tmp" "$P/backup_label"
mv "$P/manifest.json.tmp" "$P/manifest.json"
mv "$P" "$F"
sync "$ROOT/base"
( ${LIST_SCRIPT} )
`;

/** Removes directories under base/ and files under wal/. Env: ROOT, DIRS and FILES (space separated, validated names). */
export const REMOVE_SCRIPT = `set -u
cd "$ROOT" || exit 0
for d in $DIRS; do rm -rf "base/$d"; done
for f in $FILES; do rm -f "wal/$f.gz"; done
`;

/**
 * Lays a base backup out as a data directory ready for archive recovery: copied (a clone where
 * the filesystem allows) or unpacked into DATA.restore, backup_label beside it, recovery.signal,
 * owned by postgres; then the old directory is moved to KEEP (or removed) and the new one takes
 * its place. Env: ROOT, ID, METHOD, DATA, KEEP.
 */
export const EXTRACT_SCRIPT = `set -euo pipefail
B="$ROOT/base/$ID"
T="$DATA.restore"
rm -rf "$T"
mkdir -p "$T"
if [ "$METHOD" = clone ]; then
  cp -a --reflink=auto "$B/data/." "$T/"
else
  gzip -dc "$B/data.tar.gz" | tar -C "$T" --numeric-owner -xf -
fi
cp "$B/backup_label" "$T/backup_label"
if [ -f "$B/tablespace_map" ]; then cp "$B/tablespace_map" "$T/tablespace_map"; fi
mkdir -p "$T/pg_wal/archive_status" "$T/pg_wal/summaries"
rm -f "$T/postmaster.pid" "$T/standby.signal"
: > "$T/recovery.signal"
chown -R postgres:postgres "$T"
chmod 700 "$T"
if [ -e "$DATA" ]; then
  if [ -n "$KEEP" ]; then mv "$DATA" "$KEEP"; else rm -rf "$DATA"; fi
fi
mv "$T" "$DATA"
sync
`;

/** A name the scripts may use unquoted in a list: only what baas itself generates. */
export const isSafeName = (s: string): boolean => /^[A-Za-z0-9._-]+$/.test(s) && !s.startsWith('.');
