import { afterAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { testProject, type TestProject } from '../../helpers/harness.js';

/**
 * No MongoDB server or image can be obtained on the project's machines (no registry, not in
 * Debian), so this runs only where BAAS_TEST_MONGO_IMAGE names a usable image (for example
 * `mongo:7` on a machine that can pull it). The container spec and readiness logic are
 * unit-tested in test/unit/services. Never faked.
 */
const image = process.env['BAAS_TEST_MONGO_IMAGE'];
const reason = 'skipped: set BAAS_TEST_MONGO_IMAGE to a MongoDB image (e.g. mongo:7) to run the MongoDB container tests';

describe.skipIf(!image)(`MongoDB single-node replica set with auth${image ? '' : ` (${reason})`}`, () => {
  let p: TestProject;
  afterAll(async () => {
    await p?.cleanup();
  });

  it('comes up as the primary of rs0 with auth and a keyfile, and is idempotent', async () => {
    p = testProject('mongo', `images: local
services:
  postgres:
    enabled: false
  redis:
    enabled: false
  mongo:
    image: ${image}
    port: auto
`);
    const r = await p.run(['up', 'mongo', '--json']);
    expect(r.code, r.err).toBe(0);
    const env = (await p.runJson<{ env: Record<string, string> }>(['connect', 'mongo', '--show-secrets'])).env;
    const client = new MongoClient(env['MONGO_URL']!);
    await client.connect();
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello['setName']).toBe('rs0');
    expect(hello['isWritablePrimary']).toBe(true);
    await client.close();
    const unauth = new MongoClient(env['MONGO_URL']!.replace(/\/\/root:[^@]+@/, '//'));
    await unauth.connect();
    await expect(unauth.db('admin').command({ listDatabases: 1 })).rejects.toThrow(/auth|Unauthorized|requires authentication/i);
    await unauth.close();
    const again = await p.runJson<{ changed: boolean }>(['up', 'mongo']);
    expect(again.changed).toBe(false);
  });
});
