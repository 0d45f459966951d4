import { mkdtempSync, rmSync, statfsSync, writeFileSync, existsSync } from 'node:fs';
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
 * Tries a real copy-on-write clone (cp --reflink=always) in `dir`. Only a working clone counts:
 * Postgres' file_copy_method=clone silently falls back to a full copy elsewhere.
 */
export async function probeReflink(dir: string): Promise<ReflinkProbe> {
  const filesystem = filesystemOf(dir);
  if (!existsSync(dir)) return { path: dir, filesystem, reflink: false, detail: `${dir} does not exist yet` };
  let tmp: string | undefined;
  try {
    tmp = mkdtempSync(path.join(dir, '.baas-reflink-'));
    const src = path.join(tmp, 'a');
    writeFileSync(src, Buffer.alloc(64 * 1024, 1));
    const { execa } = await import('execa');
    const r = await execa('cp', ['--reflink=always', src, path.join(tmp, 'b')], { reject: false });
    const ok = r.exitCode === 0;
    return {
      path: dir,
      filesystem,
      reflink: ok,
      detail: ok ? `${filesystem} supports reflink clones` : `${filesystem} cannot clone files (${(r.stderr || '').split('\n')[0]?.replace(/^cp: /, '') || 'cp failed'})`,
    };
  } catch (e) {
    return { path: dir, filesystem, reflink: false, detail: `could not test: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
