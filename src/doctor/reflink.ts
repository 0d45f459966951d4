import { constants, copyFileSync, existsSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FS_NAMES: Record<number, string> = {
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0xef53: 'ext4',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
};

export function filesystemOf(dir: string): string {
  try {
    const s = statfsSync(dir);
    return FS_NAMES[Number(s.type)] ?? `0x${Number(s.type).toString(16)}`;
  } catch {
    return 'unknown';
  }
}

export interface ReflinkProbe {
  path: string;
  filesystem: string;
  reflink: boolean;
  detail: string;
}

/**
 * Does a real copy-on-write clone work in `dir`? Answered in-process with the FICLONE ioctl
 * (copyFile with COPYFILE_FICLONE_FORCE, ~1 ms) rather than by spawning `cp --reflink=always`.
 * Only a working clone counts: Postgres' file_copy_method=clone silently falls back to a full
 * copy elsewhere.
 */
export function probeReflink(dir: string): ReflinkProbe {
  const filesystem = filesystemOf(dir);
  if (!existsSync(dir)) return { path: dir, filesystem, reflink: false, detail: `${dir} does not exist yet` };
  let tmp: string | undefined;
  try {
    tmp = mkdtempSync(path.join(dir, '.baas-reflink-'));
    const src = path.join(tmp, 'a');
    writeFileSync(src, Buffer.alloc(64 * 1024, 1));
    copyFileSync(src, path.join(tmp, 'b'), constants.COPYFILE_FICLONE_FORCE);
    return { path: dir, filesystem, reflink: true, detail: `${filesystem} supports reflink clones` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? `cannot write a test file in ${dir} (${code})`
        : code === 'EOPNOTSUPP' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EXDEV' || code === 'EINVAL'
          ? `${filesystem} cannot clone files`
          : `could not test: ${(e as Error).message}`;
    return { path: dir, filesystem, reflink: false, detail: why };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
