import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Secrets reach containers as files, never as environment variables, labels or command-line
 * arguments: each service gets its own directory under .baas/secrets/ (0700, files 0400),
 * bind-mounted read-only at /run/secrets. The container's start script (running as root)
 * copies them to /etc/baas/run owned by the service's user, since the engines run unprivileged
 * and the host files belong to whoever runs baas.
 */
export const SECRETS_MOUNT = '/run/secrets';
/** Where the start scripts put the service user's copies. */
export const SECRETS_DIR = '/etc/baas/run';

export const serviceSecretsDir = (stateDir: string, service: string): string => path.join(stateDir, 'secrets', service);

/** Sets a directory to 0700 when group or others have any access; true when it changed something. */
export function tightenDir(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return false;
  chmodSync(dir, mode & 0o700);
  return true;
}

/**
 * Writes a service's secret files (name → content), each 0400, replacing changed ones by
 * rename (so a container reading during the write sees the old or the new file, never half)
 * and removing files no longer wanted. Returns whether anything changed.
 */
export function writeSecretFiles(dir: string, files: Record<string, string>): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tightenDir(path.dirname(dir));
  tightenDir(dir);
  let changed = false;
  for (const [name, content] of Object.entries(files)) {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`not a secret file name: ${name}`);
    const target = path.join(dir, name);
    if (existsSync(target) && readIfPossible(target) === content) {
      chmodSync(target, 0o400);
      continue;
    }
    const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, content, { mode: 0o400 });
    chmodSync(tmp, 0o400);
    renameSync(tmp, target);
    changed = true;
  }
  for (const name of readdirSync(dir)) {
    if (!(name in files)) {
      rmSync(path.join(dir, name), { force: true });
      changed = true;
    }
  }
  return changed;
}

function readIfPossible(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The start-script snippet that copies /run/secrets/* to /etc/baas/run for the service's
 * user (0400), so unprivileged engines can read them. Also used by `baas certs rotate`.
 */
export function syncSecretsScript(user: string): string {
  return `install -d -m 0700 -o ${user} -g ${user} ${SECRETS_DIR}
for f in ${SECRETS_MOUNT}/*; do [ -f "$f" ] && install -m 0400 -o ${user} -g ${user} "$f" ${SECRETS_DIR}/; done
true`;
}
