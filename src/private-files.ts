import { chmodSync, closeSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * `.baas/` holds passwords and logs: the directories are 0700 and the files 0600 whatever the
 * umask. A mode given to mkdir/open is only an upper bound (the umask takes bits away, and an
 * existing path keeps the mode it has), so every helper sets the mode explicitly afterwards.
 */

/** mkdir -p, then 0700 on the directory itself (also when it already existed with a wider mode). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Writes (or replaces) a file readable by its owner only. */
export function writePrivateFile(file: string, data: string): void {
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Creates the file if missing and makes it 0600, for writers that open it themselves (appending loggers). */
export function touchPrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

/**
 * Replaces a file readable by its owner only in one step (a temporary file renamed over it), so
 * that commands running at the same time never read half of it. For the caches in `.baas/`.
 */
export function replacePrivateFile(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writePrivateFile(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw e;
  }
}
