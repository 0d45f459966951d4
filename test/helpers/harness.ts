import { beforeEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../../src/cli/io.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { LABEL } from '../../src/model/labels.js';
import { fileFailed } from './failures.js';

/** Every test stack carries this label, so a crashed run's leftovers can be removed by label. */
export const TEST_LABEL = 'baas.test=1';

export interface TestProject {
  name: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  run(argv: string[], extraEnv?: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }>;
  runJson<T = unknown>(argv: string[]): Promise<T>;
  writeConfig(yaml: string): void;
  /** Removes the stack by label; on a failure first saves its diagnostics, also from `engines` (a swarm's nodes: call it before they go). */
  cleanup(engines?: DiagnosedEngine[]): Promise<void>;
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
    async cleanup(engines: DiagnosedEngine[] = []) {
      // The evidence goes before the stack: on a failure, CI keeps each container's log and state.
      if (fileFailed()) await saveDiagnostics(name, CI_LOG_DIR, engines).catch((e: unknown) => console.error(`could not save diagnostics of ${name}: ${String(e)}`));
      await removeByLabel(`${LABEL.project}=${name}`);
      // The backup repository volume (backups are on in the server profile) has no project label: `down --volumes` keeps it.
      await removeByLabel(`baas.backups=${name}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Another Docker engine whose containers belong to the test (a swarm node), and whether it manages the swarm. */
export interface DiagnosedEngine {
  name: string;
  dockerHost: string;
  manager?: boolean;
  /** The engine's own log (a fixture's dockerd), kept beside its containers'. */
  log?: string;
}

/**
 * For tests that share one stack which a later test changes (or takes down): saves the stack's
 * diagnostics at the moment a test fails, from the host and `engines` (a swarm's nodes).
 */
export function saveDiagnosticsWhenATestFails(project: () => string, engines: () => DiagnosedEngine[] = () => []): void {
  beforeEach(({ onTestFailed }) => onTestFailed(async () => void (await saveDiagnostics(project(), CI_LOG_DIR, engines())), 120_000));
}

/** Where CI keeps its logs (.ci/run prints the path); diagnostics of failed test stacks go under it. */
export const CI_LOG_DIR = process.env['BAAS_CI_LOG_DIR'] || '/tmp/baas-ci';

/**
 * Saves, for every container of a project: its full log and `docker inspect`, plus the
 * project's network and volumes and the host's listening sockets and docker-proxy processes
 * (to tell a port or proxy problem from a server that never started).
 */
export async function saveDiagnostics(project: string, dir = CI_LOG_DIR, engines: DiagnosedEngine[] = []): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  const { mkdirSync } = await import('node:fs');
  const out = path.join(dir, 'failed-stacks', `${new Date().toISOString().replace(/[:.]/g, '-')}-${project}`);
  mkdirSync(out, { recursive: true });
  const sh = (args: string[]): string => {
    try {
      return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      return `${err.stdout ?? ''}${err.stderr ?? ''}\n(${args.join(' ')} failed: ${err.message})\n`;
    }
  };
  const containers = (docker: string[], prefix: string): void => {
    const ids = sh([...docker, 'ps', '-aq', '--filter', `label=${LABEL.project}=${project}`]).split('\n').filter((x) => /^[0-9a-f]+$/.test(x));
    for (const id of ids) {
      const name = sh([...docker, 'inspect', '-f', '{{.Name}}', id]).trim().replace(/^\//, '') || id;
      writeFileSync(path.join(out, `${prefix}${name}.inspect.json`), sh([...docker, 'inspect', id]));
      writeFileSync(path.join(out, `${prefix}${name}.log`), sh([...docker, 'logs', '--timestamps', id]));
    }
  };
  containers(['docker'], '');
  // A swarm's containers live on its nodes' engines; its manager knows where each task went and why.
  for (const e of engines) {
    const docker = ['docker', '-H', e.dockerHost];
    containers(docker, `${e.name}.`);
    if (e.log) writeFileSync(path.join(out, `${e.name}.dockerd.log`), sh(['cat', e.log]));
    if (e.manager) {
      writeFileSync(path.join(out, `${e.name}.swarm.txt`), [
        '# docker node ls', sh([...docker, 'node', 'ls']),
        '# docker service ps (the project, every task)', sh([...docker, 'service', 'ps', '--no-trunc', ...sh([...docker, 'service', 'ls', '-q', '--filter', `label=${LABEL.project}=${project}`]).split('\n').filter(Boolean)]),
      ].join('\n'));
    }
  }
  writeFileSync(path.join(out, 'network.inspect.json'), sh(['docker', 'network', 'inspect', `baas-${project}`]));
  writeFileSync(path.join(out, 'volumes.txt'), sh(['docker', 'volume', 'ls', '--filter', `label=${LABEL.project}=${project}`]));
  writeFileSync(path.join(out, 'host.txt'), [
    '# docker ps -a (all projects)', sh(['docker', 'ps', '-a', '--format', '{{.Names}}\t{{.Status}}\t{{.Ports}}']),
    '# listening TCP sockets', sh(['ss', '-ltnp']),
    '# docker-proxy processes', sh(['sh', '-c', 'ps -eo pid,etimes,args | grep [d]ocker-proxy || true']),
    '# networks', sh(['docker', 'network', 'ls']),
  ].join('\n'));
  console.error(`saved the diagnostics of test stack ${project} in ${out}`);
  return out;
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
