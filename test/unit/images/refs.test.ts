import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { listImages } from '../../../src/images/list.js';
import { LOCAL_POSTGRES_IMAGE, LOCAL_REDIS_IMAGE, localImageFor, selectImage } from '../../../src/images/refs.js';

describe('localImageFor', () => {
  it('has Postgres 18 and Redis, and no MongoDB', () => {
    expect(localImageFor('postgres', 18)).toBe(LOCAL_POSTGRES_IMAGE);
    expect(localImageFor('postgres', 16)).toBeUndefined();
    expect(localImageFor('redis', 18)).toBe(LOCAL_REDIS_IMAGE);
    expect(localImageFor('mongo', 18)).toBeUndefined();
  });
});

describe('selectImage', () => {
  it('uses the local images when images: local, falling back to official for mongo', () => {
    const config = configSchema.parse({ images: 'local' });
    expect(selectImage(config, 'postgres')).toMatchObject({ ref: LOCAL_POSTGRES_IMAGE, source: 'local' });
    expect(selectImage(config, 'redis')).toMatchObject({ ref: LOCAL_REDIS_IMAGE, source: 'local' });
    expect(selectImage(config, 'mongo')).toMatchObject({ source: 'official', note: expect.stringContaining('MongoDB') });
  });

  it('lets a service image: override win', () => {
    const config = configSchema.parse({ images: 'local', services: { redis: { image: 'my/redis:7' } } });
    expect(selectImage(config, 'redis')).toEqual({ service: 'redis', ref: 'my/redis:7', source: 'config' });
  });

  it('uses official images by default', () => {
    expect(selectImage(configSchema.parse({}), 'postgres')).toMatchObject({ ref: 'postgres:18', source: 'official' });
  });
});

describe('listImages', () => {
  it('reports presence and size from the runtime', async () => {
    const runtime = {
      inspectImage: async (ref: string) => (ref === LOCAL_POSTGRES_IMAGE ? { id: 'sha256:1', sizeBytes: 147_000_000, created: '' } : undefined),
    };
    const rows = await listImages({ runtime }, configSchema.parse({ images: 'local' }));
    expect(rows.map((r) => [r.service, r.present, r.sizeBytes])).toEqual([
      ['postgres', true, 147_000_000],
      ['redis', false, undefined],
      ['mongo', false, undefined],
    ]);
  });
});
