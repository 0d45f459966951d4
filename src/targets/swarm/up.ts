import type { LoadedConfig } from '../../config/load.js';
import { TimeoutError, UnhealthyError, messageOf } from '../../errors.js';
import type { HealthReport } from '../../services/types.js';
import { bootstrapPostgres } from '../../services/postgres.js';
import { probeService } from '../../stack/health.js';
import { LABEL, projectLabels } from '../../model/labels.js';
import { waves } from '../../stack/reconcile.js';
import { loadOrCreateSecrets } from '../../stack/secrets.js';
import { realClock, waitFor } from '../../wait.js';
import type { SwarmNodeInfo } from './engine.js';
import { clusterContext, clusterDefs } from '../common.js';
import { checkTlsInputs, ensureCertificates, serviceFiles, type PreparedFiles } from '../../security/service-files.js';
import { withIds, SWARM_TARGET_LABEL, type DesiredSwarmService } from './spec.js';
import { assertNoConflict, desiredSwarmServices, nodeName, planSwarm, probeTask, projectFilter, requireManager, type SwarmAction, type SwarmDeps } from './stack.js';

export interface SwarmUpEvent {
  service: string;
  phase: 'plan' | 'create' | 'update' | 'unchanged' | 'remove' | 'waiting' | 'healthy' | 'failed';
  elapsedMs: number;
  detail?: string;
}

export interface SwarmUpOptions {
  timeoutMs?: number;
  onEvent?: (e: SwarmUpEvent) => void;
}

export interface SwarmUpResult {
  project: string;
  target: 'swarm';
  manager: string;
  network: string;
  secretsCreated: boolean;
  durationMs: number;
  placementNotes: string[];
  /** TLS certificates issued now (with why), and those an older baas kept in .baas/tls/ and still fit, copied to .baas/tls/swarm/. */
  certificates: Pick<PreparedFiles, 'issued' | 'adopted'>;
  services: { service: string; action: 'create' | 'update' | 'keep'; node: string; health: HealthReport }[];
  removed: string[];
  changed: boolean;
}

/**
 * Converges a Swarm to the configuration through its manager: one service per node role,
 * placed by planPlacement, credentials as Swarm secrets, start scripts as Swarm configs. Like
 * the single-host `up`, everything is found by label and a second run changes nothing.
 * Every refusal (not a manager, too few nodes, no Postgres node) comes before anything is made.
 */
export async function swarmUp(deps: SwarmDeps, loaded: LoadedConfig, stateDir: string, options: SwarmUpOptions = {}): Promise<SwarmUpResult> {
  const clock = deps.clock ?? realClock;
  const t0 = clock.now();
  const emit = (service: string, phase: SwarmUpEvent['phase'], detail?: string): void => options.onEvent?.({ service, phase, elapsedMs: clock.now() - t0, ...(detail ? { detail } : {}) });
  const { engine } = deps;
  const project = loaded.config.project;
  const log = deps.logger.child({ project, target: 'swarm' });

  await requireManager(engine);
  const [nodes, existing, everything] = await Promise.all([engine.nodes(), engine.services(projectFilter(project)), engine.services({})]);
  const { secrets, created: secretsCreated } = loadOrCreateSecrets(stateDir);
  // Certificates cover the names on the overlay network and every node's address (a service's
  // task may be rescheduled onto any node, and clients outside reach it at <node address>:<port>).
  const ctx = clusterContext(loaded, secrets, deps.env, [...new Set(nodes.map((n) => n.addr).filter(Boolean))]);
  const defs = clusterDefs(ctx);
  checkTlsInputs(ctx);
  // Throws (no Postgres node, too few nodes for the sentinels) before anything exists on the swarm.
  desiredSwarmServices(ctx, defs, nodes, existing);
  const certificates = await ensureCertificates(ctx, defs);
  for (const i of certificates.issued) log.info({ service: i.service, reason: i.reason }, 'issued certificate');
  for (const a of certificates.adopted) log.info({ service: a.service, from: a.from, to: a.to }, 'kept certificate, copied to the swarm directory');
  const { services: desired, placement } = desiredSwarmServices(ctx, defs, nodes, existing, (d) => serviceFiles(ctx, d));
  assertNoConflict(everything.filter((s) => !existing.some((e) => e.id === s.id)), desired.map((d) => d.spec.Name));
  for (const note of placement.notes) emit('placement', 'plan', note);
  const plan = planSwarm(desired, existing);
  log.info({ plan: plan.map((a) => `${a.type}:${'desired' in a ? a.desired.service : a.existing.name}`), notes: placement.notes }, 'swarm plan');

  const labels = { ...projectLabels(project, ctx.extraLabels), [SWARM_TARGET_LABEL]: 'swarm' };
  const networks = await engine.networks(projectFilter(project));
  if (!networks.some((n) => n.name === ctx.network)) {
    const subnet = loaded.config.network.subnet;
    await engine.createNetwork({ name: ctx.network, labels, ...(subnet !== 'auto' ? { subnet } : {}) });
    log.info({ network: ctx.network }, 'created overlay network');
  }

  // Secrets and configs are immutable and named by content: create the missing ones.
  const ids = new Map<string, string>();
  const [haveSecrets, haveConfigs] = await Promise.all([engine.secrets(projectFilter(project)), engine.configs(projectFilter(project))]);
  for (const s of haveSecrets) ids.set(s.name, s.id);
  for (const c of haveConfigs) ids.set(c.name, c.id);
  const changing = plan.filter((a): a is Extract<SwarmAction, { type: 'create' | 'update' }> => a.type === 'create' || a.type === 'update');
  for (const a of changing) {
    for (const s of a.desired.secrets) if (!ids.has(s.name)) ids.set(s.name, await engine.createSecret(s.name, s.data, { ...labels, 'baas.secret': s.key ?? '' }));
    const c = a.desired.config;
    if (!ids.has(c.name)) ids.set(c.name, await engine.createConfig(c.name, c.data, labels));
  }

  const removed: string[] = [];
  for (const a of plan) {
    if (a.type !== 'remove') continue;
    emit(a.existing.labels[LABEL.service] ?? a.existing.name, 'remove', a.reason);
    await engine.removeService(a.existing.id);
    removed.push(a.existing.name);
  }

  const timeoutMs = options.timeoutMs ?? 120_000;
  const results = new Map<string, SwarmUpResult['services'][number]>();
  const failures: { service: string; error: string }[] = [];
  const byName = new Map(plan.filter((a): a is Exclude<SwarmAction, { type: 'remove' }> => a.type !== 'remove').map((a) => [a.desired.service, a]));
  const ready = new Map<string, Promise<boolean>>();
  const start = async (name: string): Promise<boolean> => {
    const action = byName.get(name)!;
    const d = action.desired;
    const depsOk = await Promise.all(d.def.dependsOn.map((n) => ready.get(n) ?? Promise.resolve(true)));
    if (depsOk.some((ok) => !ok)) return false;
    try {
      let serviceId: string;
      if (action.type === 'create') {
        emit(name, 'create', `on ${d.placement.node}`);
        serviceId = await engine.createService(withIds(d.spec, ids));
      } else if (action.type === 'update') {
        emit(name, 'update', action.reason);
        await engine.updateService(action.existing.id, action.existing.version, withIds(d.spec, ids));
        serviceId = action.existing.id;
      } else {
        emit(name, 'unchanged');
        serviceId = action.existing.id;
      }
      emit(name, 'waiting');
      const { health, node } = await becomeReady(deps, ctx, d, serviceId, nodes, { timeoutMs, clock });
      results.set(name, { service: name, action: action.type, node, health });
      emit(name, 'healthy', health.detail);
      return true;
    } catch (e) {
      failures.push({ service: name, error: messageOf(e) });
      emit(name, 'failed', messageOf(e));
      log.error({ service: name, error: messageOf(e) }, 'service did not become healthy');
      return false;
    }
  };
  for (const def of waves(defs).flat()) ready.set(def.name, start(def.name));
  await Promise.all(ready.values());

  // Credentials and scripts no service refers to any more (a changed password, an older script).
  const used = new Set(desired.flatMap((d) => [...d.secrets.map((s) => s.name), d.config.name]));
  for (const s of await engine.secrets(projectFilter(project))) if (!used.has(s.name)) await engine.removeSecret(s.id).catch(() => {});
  for (const c of await engine.configs(projectFilter(project))) if (!used.has(c.name)) await engine.removeConfig(c.id).catch(() => {});

  if (failures.length > 0) {
    throw new UnhealthyError(`${failures.map((f) => f.service).join(', ')} did not become healthy on the swarm; the other services were left running.`, {
      details: failures.map((f) => `${f.service}: ${f.error}`),
      hint: `\`baas status --target swarm\` shows each service's node and task state; \`docker service logs ${desired[0]?.spec.Name ?? ''}\` on the manager shows a service's log.`,
    });
  }
  const services = desired.map((d) => results.get(d.service)!);
  return {
    project,
    target: 'swarm',
    manager: engine.endpoint,
    network: ctx.network,
    secretsCreated,
    durationMs: clock.now() - t0,
    placementNotes: placement.notes,
    certificates,
    services,
    removed,
    changed: removed.length > 0 || services.some((s) => s.action !== 'keep'),
  };
}

/** Waits until the task made from this spec runs and the service answers its own client. */
async function becomeReady(
  deps: SwarmDeps,
  ctx: Parameters<typeof probeService>[0],
  d: DesiredSwarmService,
  serviceId: string,
  nodes: SwarmNodeInfo[],
  o: { timeoutMs: number; clock: typeof realClock },
): Promise<{ health: HealthReport; node: string }> {
  let bootstrapped = false;
  try {
    const out = await waitFor(
      d.service,
      async () => {
        const tasks = (await deps.engine.tasks([serviceId])).filter((t) => t.hash === d.hash).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
        const task = tasks.find((t) => t.desiredState === 'running') ?? tasks[0];
        if (!task) return { ok: false, detail: 'no task scheduled yet' };
        const node = nodes.find((n) => n.id === task.nodeId);
        const port = task.ports[0]?.published;
        if (d.def.kind === 'postgres' && !bootstrapped && task.state === 'running' && node && port) {
          await bootstrapPostgres(ctx, node.addr, port);
          bootstrapped = true;
        }
        const h = await probeTask(ctx, d.def, task, nodes, probeService);
        return { ok: h.status === 'healthy', detail: `${h.detail}${node ? ` (on ${node.hostname})` : ''}`, value: { health: h, node: nodeName(nodes, task.nodeId) } };
      },
      { timeoutMs: o.timeoutMs, intervalMs: 500, clock: o.clock },
    );
    return out.value!;
  } catch (e) {
    if (e instanceof TimeoutError) throw new UnhealthyError(e.message);
    throw e;
  }
}
