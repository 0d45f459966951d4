import { ExitCode, UserError } from '../../errors.js';
import { LABEL } from '../../model/labels.js';
import type { SwarmEngine, SwarmNodeInfo } from './engine.js';
import { POSTGRES_NODE_LABEL } from './placement.js';
import { requireManager } from './stack.js';
import { SWARM_TARGET_LABEL } from './spec.js';

export interface NodeView {
  id: string;
  hostname: string;
  addr: string;
  role: string;
  leader: boolean;
  state: string;
  availability: string;
  labels: Record<string, string>;
  /** baas services running (or meant to run) there: project/service. */
  runs: string[];
}

/** The swarm's nodes, their labels and what baas runs on each. */
export async function listNodes(engine: SwarmEngine): Promise<NodeView[]> {
  await requireManager(engine);
  const [nodes, services] = await Promise.all([engine.nodes(), engine.services({ [SWARM_TARGET_LABEL]: 'swarm' })]);
  const tasks = await engine.tasks(services.map((s) => s.id));
  return [...nodes]
    .sort((a, b) => a.hostname.localeCompare(b.hostname))
    .map((n) => ({
      id: n.id,
      hostname: n.hostname,
      addr: n.addr,
      role: n.role,
      leader: n.leader,
      state: n.state,
      availability: n.availability,
      labels: n.labels,
      runs: services
        .filter((s) => tasks.some((t) => t.serviceId === s.id && t.nodeId === n.id && t.desiredState === 'running'))
        .map((s) => `${s.labels[LABEL.project]}/${s.labels[LABEL.service]}`)
        .sort(),
    }));
}

export const NODE_ROLES = ['postgres'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

function findNode(nodes: SwarmNodeInfo[], ref: string): SwarmNodeInfo {
  const hit = nodes.filter((n) => n.hostname === ref || n.id === ref || (ref.length >= 4 && n.id.startsWith(ref)));
  if (hit.length === 1) return hit[0]!;
  const names = nodes.map((n) => n.hostname).join(', ');
  if (hit.length > 1) throw new UserError(`'${ref}' matches ${hit.length} nodes.`, { hint: `Use the node ID instead (\`baas nodes\` lists them): ${hit.map((n) => n.id).join(', ')}.` });
  throw new UserError(`No swarm node is called '${ref}'.`, { hint: `Nodes: ${names}.` });
}

export interface LabelResult {
  node: string;
  role: NodeRole;
  label: string;
  /** Nodes the label was taken from (Postgres runs on exactly one). */
  removedFrom: string[];
  changed: boolean;
}

/**
 * `baas nodes label <node> postgres`: puts baas.postgres=true on that node and takes it off any
 * other. Refuses to move it away from a node where a baas Postgres runs (its data is there)
 * unless forced.
 */
export async function labelNode(engine: SwarmEngine, ref: string, role: string, options: { force?: boolean } = {}): Promise<LabelResult> {
  if (!(NODE_ROLES as readonly string[]).includes(role)) {
    throw new UserError(`Unknown node role '${role}'.`, { hint: `Roles: ${NODE_ROLES.join(', ')} (for example \`baas nodes label node-1 postgres\`).` });
  }
  await requireManager(engine);
  const nodes = await engine.nodes();
  const target = findNode(nodes, ref);
  const others = nodes.filter((n) => n.id !== target.id && n.labels[POSTGRES_NODE_LABEL] === 'true');
  if (others.length > 0 && !options.force) {
    const pg = await engine.services({ [LABEL.kind]: 'postgres', [SWARM_TARGET_LABEL]: 'swarm' });
    const tasks = await engine.tasks(pg.map((s) => s.id));
    const holding = others.filter((n) => tasks.some((t) => t.nodeId === n.id && t.desiredState === 'running'));
    if (holding.length > 0) {
      throw new UserError(`Postgres runs on ${holding.map((n) => n.hostname).join(', ')} with its data volume there; moving the label would start an empty Postgres on ${target.hostname}.`, {
        exitCode: ExitCode.conflict,
        hint: 'Move the data first (dump and restore), or add --force if an empty Postgres on the new node is what you want.',
      });
    }
  }
  for (const n of others) {
    const { [POSTGRES_NODE_LABEL]: _drop, ...rest } = n.labels;
    await engine.setNodeLabels(n.id, n.version, rest);
  }
  const changed = target.labels[POSTGRES_NODE_LABEL] !== 'true';
  if (changed) await engine.setNodeLabels(target.id, target.version, { ...target.labels, [POSTGRES_NODE_LABEL]: 'true' });
  return { node: target.hostname, role: 'postgres', label: `${POSTGRES_NODE_LABEL}=true`, removedFrom: others.map((n) => n.hostname), changed: changed || others.length > 0 };
}
