import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProject, type TestProject } from '../../helpers/harness.js';

interface UpJson {
  changed: boolean;
  services: { service: string; action: string; health: { status: string } }[];
}

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

/**
 * `baas images build --force` (or a re-pull) gives a tag a new image id: the next `up` must
 * notice and recreate the containers made from the old one. The test makes its own tag from
 * the local Redis image and "rebuilds" it with `docker commit` (no registry, no rebuild of
 * the shared local images).
 */
describe('up after an image was rebuilt', () => {
  const tag = `baas-test/redis-${randomBytes(3).toString('hex')}:1`;
  let p: TestProject;
  let scratch = '';

  beforeAll(() => {
    docker('tag', 'baas-local/redis:7', tag);
    p = testProject(
      'img',
      `images: local
services:
  postgres:
    enabled: false
  redis:
    image: ${tag}
    port: auto
    replicas: 0
    sentinels: 0
  mongo:
    enabled: false
`,
    );
  });
  afterAll(async () => {
    await p?.cleanup();
    if (scratch) docker('rm', '-f', scratch);
    try {
      docker('rmi', '-f', tag);
    } catch {
      /* already gone */
    }
  });

  it('recreates the containers of the rebuilt image, then leaves them alone', async () => {
    const first = await p.run(['up', '--json']);
    expect(first.code, first.err).toBe(0);
    const before = docker('inspect', '-f', '{{.Image}}', `baas-${p.name}-redis-1`);

    // Same content, new image id under the same tag: what a rebuild does.
    scratch = docker('create', '--label', 'baas.test=1', tag, 'true');
    docker('commit', '--change', 'LABEL rebuilt=1', scratch, tag);
    const rebuilt = docker('image', 'inspect', '-f', '{{.Id}}', tag);
    expect(rebuilt).not.toBe(before);

    const second = await p.run(['up', '--json']);
    expect(second.code, second.err).toBe(0);
    const up = JSON.parse(second.out) as UpJson;
    expect(up.changed).toBe(true);
    expect(up.services.find((s) => s.service === 'redis-1')).toMatchObject({ action: 'recreate', health: { status: 'healthy' } });
    expect(docker('inspect', '-f', '{{.Image}}', `baas-${p.name}-redis-1`)).toBe(rebuilt);

    const third = JSON.parse((await p.run(['up', '--json'])).out) as UpJson;
    expect(third.changed).toBe(false);
  });
});
