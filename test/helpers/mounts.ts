import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Unmounts a test's scratch mount (tmpfs or XFS loop) and removes the mount point, retrying while
 * a container that just stopped still holds it.
 */
export async function unmountScratch(mnt: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    try {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  rmSync(mnt, { recursive: true, force: true });
}
