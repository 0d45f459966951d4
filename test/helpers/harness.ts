import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../../src/cli/io.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { LABEL } from '../../src/model/labels.js';

/** Every test stack carries this label, so a crashed run's leftovers can be removed by label. */
export const TEST_LABEL = 'baas.test=1';

export interface TestProject {
  name: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  run(argv: string[], extraEnv?: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }>;
  runJson<T = unknown>(argv: string[]): Promise<T>;
  writeConfig(yaml: string): void;
  cleanup(): Promise<void>;
}

/**
 * A throwaway project directory with its own project name (so its containers, network and
 * volumes never collide with another test's) and automatic host ports.
 */
export function testProject(slug: string, configBody = ''): TestProject {
  const name = `t-${slug}-${randomBytes(3).toString('hex')}`.slice(0, 40);
  const dir = mkdtempSync(path.join(os.tmpdir(), `baas-${slug}-`));
  const env = { ...process.env, BAAS_LABELS: TEST_LABEL };
  const writeConfig = (body: string): void => writeFileSync(path.join(dir, 'platform.config.yaml'), `project: ${name}\n${body}`);
  writeConfig(configBody || defaultTestConfig());
  const run = async (argv: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const io = captureIo({ cwd: dir, env: { ...env, ...extraEnv } });
    const code = await main(argv, io);
    return { code, out: io.out(), err: io.err() };
  };
  return {
    name,
    dir,
    env,
    run,
    async runJson<T>(argv: string[]): Promise<T> {
      const r = await run([...argv, '--json']);
      if (r.code !== 0) throw new Error(`baas ${argv.join(' ')} exited ${r.code}: ${r.err}`);
      return JSON.parse(r.out) as T;
    },
    writeConfig,
    async cleanup() {
      await removeByLabel(`${LABEL.project}=${name}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The test stacks use the locally built images; MongoDB only when an image is named. */
export function defaultTestConfig(): string {
  const mongoImage = process.env['BAAS_TEST_MONGO_IMAGE'];
  return `images: local
services:
  postgres:
    port: auto
  redis:
    port: auto
    sentinelPort: auto
    downAfterMilliseconds: 1000
    failoverTimeout: 5000
  mongo:
${mongoImage ? `    image: ${mongoImage}\n    port: auto` : '    enabled: false'}
`;
}

/** Removes containers, networks and volumes carrying a label, whatever state they are in. */
export async function removeByLabel(label: string): Promise<void> {
  const rt = new DockerRuntime();
  const [k, v] = label.split('=') as [string, string];
  const filter = { [k]: v };
  const containers = await rt.listContainers(filter);
  await Promise.all(containers.map((c) => rt.removeContainer(c.id).catch(() => {})));
  for (const n of await rt.listNetworks(filter)) await rt.removeNetwork(n.name).catch(() => {});
  for (const vol of await rt.listVolumes(filter)) await rt.removeVolume(vol.name).catch(() => {});
}

export async function countLabelled(label: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const rt = new DockerRuntime();
  const [k, v] = label.split('=') as [string, string];
  const filter = { [k]: v };
  return {
    containers: (await rt.listContainers(filter)).length,
    networks: (await rt.listNetworks(filter)).length,
    volumes: (await rt.listVolumes(filter)).length,
  };
}

/** A Postgres-only stack (Redis and Mongo off): the quickest real stack for tests that need just a database. */
export function postgresOnlyConfig(postgres: { port?: number | 'auto'; image?: string; extra?: string } = {}): string {
  return `${postgres.image ? '' : 'images: local\n'}services:
  postgres:
    port: ${postgres.port ?? 'auto'}
${postgres.image ? `    image: ${postgres.image}\n` : ''}${postgres.extra ?? ''}  redis:
    enabled: false
  mongo:
    enabled: false
`;
}

/** The sample multi-tenant app's migrations, shipped in templates/. */
export const SAMPLE_APP_MIGRATIONS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../templates/sample-app/migrations');

/**
 * A project whose migrations dir holds the sample app, with its Postgres up; returns the admin
 * and app URLs. Migrations are not applied: the tests decide when.
 */
export async function sampleAppStack(slug: string): Promise<{ p: TestProject; adminUrl: string; appUrl: string }> {
  const { cpSync } = await import('node:fs');
  const p = testProject(slug);
  p.writeConfig(`${defaultTestConfig()}migrations:\n  dir: db/migrations\n`);
  cpSync(SAMPLE_APP_MIGRATIONS, path.join(p.dir, 'db/migrations'), { recursive: true });
  const up = await p.run(['up', 'postgres']);
  if (up.code !== 0) throw new Error(`baas up failed (${up.code}): ${up.err}`);
  const info = await p.runJson<{ env: Record<string, string> }>(['connect', 'postgres', '--show-secrets']);
  return { p, adminUrl: info.env['DATABASE_ADMIN_URL']!, appUrl: info.env['DATABASE_URL']! };
}

/** One query on a fresh connection (tests only: simple, and never leaves a session open). */
export async function pgQuery<T extends object = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T & pg.QueryResultRow>(text, params)).rows;
  } finally {
    await c.end();
  }
}
