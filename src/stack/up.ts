import { mkdirSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { ExitCode, UnhealthyError, UserError, ExternalError, TimeoutError, isBaasError, messageOf } from '../errors.js';
import { driverFor } from '../services/drivers.js';
import { currentMaster, sentinelPeersCaughtUp } from '../services/redis.js';
import type { HealthReport, ServiceDef, StackContext } from '../services/types.js';
import { chooseSubnet, freePort, makeContext, projectContainers, projectNetwork, type StackDeps } from './context.js';
import { preflight } from './preflight.js';
import { desiredServices, resolvePorts, selectServices, validateServiceNames } from './desired.js';
import { lastLogLines } from './health.js';
import { gatewayOf } from '../model/addresses.js';
import { LABEL, projectLabels } from '../model/labels.js';
import { configHash, planReconcile, waves, type Action } from './reconcile.js';
import { generateSecrets, loadOrCreateSecrets } from './secrets.js';
import { checkTlsInputs, prepareServiceFiles } from '../security/service-files.js';
import { poll, realClock, type Clock } from '../wait.js';

export type UpPhase = 'check' | 'ready' | 'plan' | 'pull' | 'build' | 'create' | 'recreate' | 'start' | 'unchanged' | 'waiting' | 'healthy' | 'failed' | 'remove';

export interface UpEvent {
  service: string;
  phase: UpPhase;
  /** Milliseconds since `up` started. */
  elapsedMs: number;
  detail?: string;
}

export interface UpOptions {
  services?: string[];
  timeoutMs?: number;
  onEvent?: (e: UpEvent) => void;
  clock?: Clock;
  /** Builds the local images when the config selects them and they are missing. */
  buildImages?: (refs: string[]) => Promise<void>;
  /** Accept starting empty where the configuration moved a service's data location. */
  force?: boolean;
}

export interface UpResult {
  project: string;
  network: string;
  subnet: string;
  secretsCreated: boolean;
  durationMs: number;
  services: { service: string; action: Action['type']; health: HealthReport }[];
  removed: string[];
  changed: boolean;
}

/**
 * Converges Docker to the configuration: creates what is missing, recreates what changed,
 * starts what stopped, leaves the rest, then waits until every selected service answers its
 * own client. Safe to run again after an interruption: everything is found by label.
 */
export async function up(deps: StackDeps, loaded: LoadedConfig, stateDir: string, options: UpOptions = {}): Promise<UpResult> {
  const clock = options.clock ?? realClock;
  const t0 = clock.now();
  const emit = (service: string, phase: UpPhase, detail?: string): void =>
    options.onEvent?.({ service, phase, elapsedMs: clock.now() - t0, ...(detail ? { detail } : {}) });
  const { runtime, logger } = deps;
  const project = loaded.config.project;
  const log = logger.child({ project });

  validateServiceNames(loaded.config, options.services ?? []);
  // The user's TLS files are checked before anything else, so a bad one changes nothing.
  checkTlsInputs(makeContext(loaded, '10.255.255.0/24', generateSecrets(), deps.env));
  emit('docker', 'check', 'connecting to the Docker engine');
  const engine = await runtime.ping();
  emit('docker', 'ready', `Docker ${engine.version}`);
  const { secrets, created: secretsCreated } = loadOrCreateSecrets(stateDir);
  if (secretsCreated) log.info({ stateDir }, 'generated new credentials');

  emit('stack', 'plan', 'reading what exists');
  const existingNet = await projectNetwork(runtime, project);
  const subnet = await chooseSubnet(runtime, loaded, existingNet);
  const ctx = makeContext(loaded, subnet, secrets, deps.env);
  const actual = await projectContainers(runtime, project);

  // Ports recorded on any baas container (even stopped or restarting ones) are not free to hand out.
  const everyContainer = await runtime.listContainers({});
  const allocated = new Set<number>(everyContainer.flatMap((c) => [Number(c.labels[LABEL.hostPort] ?? 0), ...c.ports.map((p) => p.host)]).filter((n) => n > 0));
  const autoPorts = new Map<string, number>();
  for (const [service, port] of resolvePorts(loaded.config, actual, () => 0)) {
    if (port === 0) {
      const p = await freePort(ctx.bindAddress === '0.0.0.0' ? '0.0.0.0' : ctx.bindAddress, allocated);
      allocated.add(p);
      autoPorts.set(service, p);
    }
  }
  const ports = resolvePorts(loaded.config, actual, (s) => autoPorts.get(s) ?? 0);

  // After a failover the master is no longer redis-1: new nodes and sentinels must follow the live one.
  const redisRunning = actual.some((c) => c.labels[LABEL.kind] === 'sentinel' && c.state === 'running');
  const provisional = desiredServices(ctx, ports);
  const master = redisRunning ? await currentMaster(ctx, provisional, ctx.probeHost) : undefined;
  const all = desiredServices(ctx, ports, master);
  const selected = selectServices(all, options.services ?? [], loaded.config);
  const imageIds = await currentImageIds(deps, selected);
  const plan = planReconcile(selected, actual, { partial: (options.services ?? []).length > 0, imageIds });
  log.info({ plan: plan.map((a) => `${a.type}:${'def' in a ? a.def.name : a.container.name}`) }, 'reconcile plan');

  // Certificates and each service's secret files (read-only /run/secrets) before any container changes.
  const files = await prepareServiceFiles(ctx, selected);
  for (const i of files.issued) log.info({ service: i.service, reason: i.reason }, 'issued a TLS certificate');
  // Every port, limit and data location is checked before anything is pulled, built or created.
  emit('stack', 'check', 'ports, limits and data locations');
  const projectVolumes = await runtime.listVolumes({ [LABEL.project]: project });
  const moved = await preflight({
    config: loaded.config,
    configFile: loaded.file,
    engine,
    plan,
    selected,
    facts: { all: everyContainer, actual },
    volumes: projectVolumes,
    force: Boolean(options.force),
  });
  for (const m of moved) log.warn({ service: m.service, from: m.from, to: m.to, startsEmpty: m.startsEmpty }, 'data location changed');
  emit('stack', 'ready', `${plan.filter((a) => a.type !== 'keep').length} change(s) planned`);

  // Images first: a pull that fails must not leave a half-made stack behind.
  await ensureImages(deps, plan, options, emit, loaded.config.images);

  if (!existingNet) {
    emit('network', 'create', `${ctx.network} ${subnet}`);
    await runtime.createNetwork({ name: ctx.network, subnet, gateway: gatewayOf(subnet), labels: projectLabels(project, ctx.extraLabels) });
    log.info({ network: ctx.network, subnet }, 'created network');
    emit('network', 'ready', subnet);
  }

  // Leftovers first, so their ports and addresses are free for what replaces them.
  const removed: string[] = [];
  for (const a of plan) {
    if (a.type !== 'remove') continue;
    emit(a.container.labels[LABEL.service] ?? a.container.name, 'remove', a.reason);
    await runtime.removeContainer(a.container.id);
    removed.push(a.container.name);
  }

  // Docker does not create a missing bind-mount source (unlike `docker run -v`): make data paths here.
  for (const def of selected) for (const m of def.spec.mounts) if (m.type === 'bind' && !m.readOnly) mkdirSync(m.source, { recursive: true });

  const volumes = new Set(projectVolumes.map((v) => v.name));
  for (const def of selected) {
    if (def.volume && !volumes.has(def.volume)) {
      await runtime.createVolume(def.volume, { ...projectLabels(project, ctx.extraLabels), [LABEL.service]: def.name });
    }
  }
  for (const def of selected) {
    // Creating a volume that exists is a no-op in Docker (its labels are kept).
    for (const v of def.extraVolumes ?? []) await runtime.createVolume(v.name, v.labels);
  }

  const results = new Map<string, { action: Action['type']; health: HealthReport }>();
  const failures: { def: ServiceDef; error: string; logs: string[]; fatal?: Error | undefined; keptRunning?: string | undefined }[] = [];
  const timeoutMs = options.timeoutMs ?? 90_000;

  // Each service starts as soon as the services it depends on are healthy (not a whole wave later).
  const ready = new Map<string, Promise<boolean>>();
  // When each Sentinel this run started or recreated came up: wall-clock ms, the time base of
  // the Sentinels' own ping replies that sentinelPeersCaughtUp compares it with.
  const sentinelStarts = new Map<string, number>();
  const startService = async (def: ServiceDef): Promise<boolean> => {
    const deps_ = await Promise.all(def.dependsOn.map((n) => ready.get(n) ?? Promise.resolve(true)));
    if (deps_.some((ok) => !ok)) return false;
    const action = plan.find((a) => 'def' in a && a.def.name === def.name) as Exclude<Action, { type: 'remove' }>;
    try {
      const id = await apply(deps, ctx, action, emit);
      if (def.kind === 'sentinel' && action.type !== 'keep') sentinelStarts.set(def.name, Date.now());
      emit(def.name, 'waiting');
      const health = await becomeReady(deps, ctx, def, id, { timeoutMs, clock, ...(master ? { liveMasterIp: master } : {}) });
      results.set(def.name, { action: action.type, health });
      emit(def.name, 'healthy', health.detail);
      return true;
    } catch (e) {
      const id = 'container' in action ? action.container.id : undefined;
      const cid = id ?? (await projectContainers(runtime, project)).find((c) => c.labels[LABEL.service] === def.name)?.id;
      const logs = cid ? await lastLogLines(runtime, cid) : [];
      // A crash-looping container only churns the host (and its published port): stop it, keep it for `baas logs`.
      // Not when its server is fine and only something inside it is not (a database refusing connections).
      const keptRunning = driverFor(def.kind).keepRunningAfter?.(e);
      if (cid && !keptRunning) await runtime.stopContainer(cid, 5).catch(() => {});
      const error = messageOf(e);
      failures.push({ def, error, logs, keptRunning, fatal: isBaasError(e) && e.exitCode !== ExitCode.timeout && e.exitCode !== ExitCode.unhealthy && e.exitCode !== ExitCode.external ? e : undefined });
      emit(def.name, 'failed', error);
      log.error({ service: def.name, error }, 'service did not become healthy');
      return false;
    }
  };
  // waves() orders dependencies first, so every dependency's promise exists before it is awaited.
  for (const def of waves(selected).flat()) ready.set(def.name, startService(def));
  await Promise.all(ready.values());
  const fatal = failures.find((f) => f.fatal)?.fatal;
  if (fatal) throw fatal;

  if (failures.length > 0) {
    const names = failures.map((f) => f.def.name).join(', ');
    const kept = failures.filter((f) => f.keptRunning);
    const what = kept.length === 0
      ? `${failures.length === 1 ? 'was' : 'were'} stopped; the other services were left running.`
      : kept.length === failures.length
        ? `${failures.length === 1 ? 'was' : 'were'} left running: ${kept.map((f) => f.keptRunning).join('; ')}.`
        : `${failures.filter((f) => !f.keptRunning).map((f) => f.def.name).join(', ')} stopped; ${kept.map((f) => `${f.def.name} left running (${f.keptRunning})`).join(', ')}.`;
    throw new UnhealthyError(`${names} did not become healthy and ${what}`, {
      details: failures.flatMap((f) => [`${f.def.name}: ${f.error}`, ...(f.logs.length ? [`last log lines of ${f.def.name}:`, ...f.logs.map((l) => `  ${l}`)] : [])]),
      hint: `Read the full log with \`baas logs ${failures[0]!.def.name}\`, fix the cause, and run \`baas up\` again.`,
    });
  }

  await sentinelPeersSettled(ctx, selected, sentinelStarts, { clock, warn: (detail) => log.warn({ detail }, 'a Sentinel that kept running still counts a restarted one down') });

  const services = selected.map((d) => ({ service: d.name, ...results.get(d.name)! }));
  return {
    project,
    network: ctx.network,
    subnet,
    secretsCreated,
    durationMs: clock.now() - t0,
    services,
    removed,
    changed: removed.length > 0 || services.some((s) => s.action !== 'keep'),
  };
}

async function apply(
  deps: StackDeps,
  ctx: StackContext,
  action: Exclude<Action, { type: 'remove' }>,
  emit: (service: string, phase: UpPhase, detail?: string) => void,
): Promise<string> {
  const { runtime } = deps;
  const def = action.def;
  const labels = { ...def.spec.labels, [LABEL.configHash]: configHash(def), [LABEL.hostPort]: String(def.hostPort) };
  switch (action.type) {
    case 'keep':
      emit(def.name, 'unchanged');
      return action.container.id;
    case 'start':
      emit(def.name, 'start');
      await runtime.startContainer(action.container.id);
      return action.container.id;
    case 'recreate':
      emit(def.name, 'recreate', action.reason);
      await runtime.stopContainer(action.container.id, def.spec.stopTimeoutSeconds ?? 10);
      await runtime.removeContainer(action.container.id);
      break;
    case 'create':
      emit(def.name, 'create');
      break;
  }
  const id = await runtime.createContainer({ ...def.spec, labels });
  emit(def.name, 'start');
  await runtime.startContainer(id);
  return id;
}

/**
 * A Sentinel started beside peers that kept running counts as down for them until one of their
 * pings reaches the new process (`certs rotate` waits for the same). Each service reported
 * healthy from where it stands; this waits, up to 20 s, until the peers agree, so that `baas
 * health` right after `up` does not catch one that still counts the other down. A peer that
 * never does is said in the log, not an error: every service is healthy.
 */
async function sentinelPeersSettled(ctx: StackContext, selected: ServiceDef[], starts: Map<string, number>, options: { clock: Clock; warn: (detail: string) => void }): Promise<void> {
  const sentinels = selected.filter((d) => d.kind === 'sentinel');
  const restarted = sentinels.filter((d) => starts.has(d.name));
  if (restarted.length === 0 || restarted.length === sentinels.length) return;
  const probe = async () => {
    for (const d of restarted) {
      const waiting = await sentinelPeersCaughtUp(ctx, sentinels, d, starts.get(d.name)!);
      if (waiting) return { ok: false, detail: waiting };
    }
    return { ok: true, detail: 'every Sentinel has heard from the restarted ones' };
  };
  await poll('the other Sentinels to hear from the restarted ones', probe, { timeoutMs: 20_000 })
    .waitUntilReady({ clock: options.clock })
    .catch((e: unknown) => options.warn(messageOf(e)));
}

/** Waits for the service's own readiness (its driver's strategy), doing its one-time set-up on the way. */
async function becomeReady(
  deps: StackDeps,
  ctx: StackContext,
  def: ServiceDef,
  containerId: string,
  options: { timeoutMs: number; clock: Clock; liveMasterIp?: string },
): Promise<HealthReport> {
  const { runtime } = deps;
  let lastStateCheck = 0;
  let refusedSince: number | undefined;
  let remapped = false;
  const assertRunning = async (failure?: unknown): Promise<void> => {
    const now = options.clock.now();
    // While a container runs, Docker's proxy listens on its published port (a server still starting
    // answers with a closed connection, not a refusal): refused connections mean the mapping is gone.
    const refused = isRefused(failure);
    refusedSince = refused ? (refusedSince ?? now) : undefined;
    if (now - lastStateCheck < 2000) return;
    lastStateCheck = now;
    const c = (await runtime.listContainers({ [LABEL.project]: ctx.project, [LABEL.service]: def.name }))[0];
    if (!c) throw new UnhealthyError(`${def.name}'s container disappeared during start-up (something else removed it)`);
    if (c.state === 'exited' || c.state === 'dead' || c.state === 'restarting') {
      throw new UnhealthyError(`${def.name} keeps exiting during start-up (${c.status})`);
    }
    if (refused && c.state === 'running' && refusedSince !== undefined && now - refusedSince >= 3000) {
      const where = `${ctx.probeHost}:${def.hostPort}`;
      if (remapped) {
        throw new UnhealthyError(`${def.name} runs, but nothing accepts connections on its published port ${where}, even after a restart: Docker's port mapping for it is missing`);
      }
      // Seen in CI: the container runs, its docker-proxy does not. A stop and start makes Docker map the port again.
      remapped = true;
      refusedSince = undefined;
      deps.logger.warn({ service: def.name, port: def.hostPort }, 'published port refuses connections while the container runs; restarting it to restore the port mapping');
      await runtime.stopContainer(c.id, def.spec.stopTimeoutSeconds ?? 10);
      await runtime.startContainer(c.id);
    }
  };
  const strategy = driverFor(def.kind).readiness(def, {
    ctx,
    runtime,
    containerId,
    assertRunning,
    ...(options.liveMasterIp ? { liveMasterIp: options.liveMasterIp } : {}),
  });
  const out = await strategy
    .withTimeout(options.timeoutMs)
    .waitUntilReady({ clock: options.clock })
    .catch((e: unknown) => {
      if (e instanceof TimeoutError) throw new UnhealthyError(e.message, { cause: e.cause });
      throw e;
    });
  return out.value!;
}

/** A connection refused (ECONNREFUSED), however the driver and baas's own translation wrapped it. */
function isRefused(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const f = cur as { code?: unknown; reason?: unknown; message?: unknown };
    if (f.code === 'ECONNREFUSED' || f.reason === 'refused' || /ECONNREFUSED|connection refused/.test(String(f.message ?? ''))) return true;
  }
  return false;
}

/** What each image reference points at now: a container made from an older id is recreated. */
async function currentImageIds(deps: StackDeps, defs: ServiceDef[]): Promise<Map<string, string>> {
  const refs = [...new Set(defs.map((d) => d.spec.image))];
  const ids = await Promise.all(refs.map((r) => deps.runtime.inspectImage(r).catch(() => undefined)));
  return new Map(refs.flatMap((r, i) => (ids[i] ? [[r, ids[i]!.id] as [string, string]] : [])));
}

async function ensureImages(
  deps: StackDeps,
  plan: Action[],
  options: UpOptions,
  emit: (service: string, phase: UpPhase, detail?: string) => void,
  images: 'official' | 'local',
): Promise<void> {
  const needed = new Map<string, string[]>();
  for (const a of plan) if (a.type === 'create' || a.type === 'recreate') needed.set(a.def.spec.image, [...(needed.get(a.def.spec.image) ?? []), a.def.name]);
  if (needed.size === 0) return;
  emit('images', 'check', [...needed.keys()].join(', '));
  const missing: string[] = [];
  for (const image of needed.keys()) if (!(await deps.runtime.imageExists(image))) missing.push(image);
  if (missing.length === 0) {
    emit('images', 'ready', `${needed.size} present`);
    return;
  }
  const local = missing.filter((m) => m.startsWith('baas-local/'));
  if (local.length > 0) {
    if (!options.buildImages) {
      throw new UserError(`The local image ${local.join(', ')} has not been built.`, { hint: 'Run `baas images build` first.' });
    }
    for (const img of local) emit(needed.get(img)![0]!, 'build', img);
    await options.buildImages(local);
  }
  for (const image of missing.filter((m) => !m.startsWith('baas-local/'))) {
    const services = needed.get(image)!;
    emit(services[0]!, 'pull', image);
    try {
      await deps.runtime.pullImage(image);
    } catch (e) {
      const group = services[0]!.replace(/-\d+$/, '').replace('sentinel', 'redis');
      throw new ExternalError(`Pulling the image ${image} failed: ${messageOf(e).replace(/^Docker refused pulling image [^:]+:[^:]*: /, '')}`, {
        hint: pullHint(group, images),
        cause: e,
      });
    }
  }
}

/** What to do when an image cannot be pulled: depends on whether baas can build one. */
export function pullHint(group: string, images: 'official' | 'local'): string {
  if (group === 'mongo') {
    return images === 'local'
      ? 'No local MongoDB image can be built (`baas images build` makes Postgres and Redis only): set services.mongo.enabled: false in platform.config.yaml, or point services.mongo.image at a MongoDB image you have (`docker images`).'
      : 'Without registry access no MongoDB image can be had here: set services.mongo.enabled: false in platform.config.yaml, or point services.mongo.image at a MongoDB image you have (`docker images`).';
  }
  return images === 'local'
    ? `Point services.${group}.image at an image you have (\`docker images\`), or remove it to use the one \`baas images build\` makes.`
    : `Without registry access, run \`baas images build\` and set \`images: local\` in platform.config.yaml (or services.${group}.image to an image you have).`;
}
