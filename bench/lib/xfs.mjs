// An XFS file system with reflink=1 on a loop file, for the benches that need real clones (root).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

const sh = (cmd, argv) => execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/**
 * Makes `img` (`size`, e.g. '8G'), formats it with reflink=1 and mounts it at `mnt`. The undo steps
 * go onto `cleanup` in the order the benches run them: remove the file, then unmount (retrying
 * while a container still lets go of it) and remove the mount point.
 */
export function mountXfs(img, mnt, size, cleanup) {
  sh('truncate', ['-s', size, img]);
  cleanup.push(() => rmSync(img, { force: true }));
  sh('mkfs.xfs', ['-q', '-m', 'reflink=1', img]);
  mkdirSync(mnt, { recursive: true });
  sh('mount', ['-o', 'loop', img, mnt]);
  cleanup.push(() => {
    for (let i = 0; i < 20; i++) {
      try {
        sh('umount', [mnt]);
        break;
      } catch {
        spawnSync('sleep', ['0.5']);
      }
    }
    rmSync(mnt, { recursive: true, force: true });
  });
}
