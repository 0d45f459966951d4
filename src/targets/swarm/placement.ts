import { ExitCode, UserError } from '../../errors.js';
import type { ServiceDef } from '../../services/types.js';
import type { SwarmNodeInfo } from './engine.js';

/** The node label that pins Postgres (its volume lives on that node). */
export const POSTGRES_NODE_LABEL = 'baas.postgres';

export interface Placement {
  service: string;
  /** Swarm placement constraints. */
  constraints: string[];
  /** The node it goes to, when baas picks one (Postgres follows the label instead). */
  nodeId?: string;
  /** Host name of that node (for people). */
  node: string;
}

export interface PlacementPlan {
  placements: Placement[];
  /** What the plan does differently from the ideal, in words (shared nodes). */
  notes: string[];
}

const usable = (n: SwarmNodeInfo): boolean => n.availability === 'active' && n.state === 'ready';

/** The node a service is pinned to today, from its `node.id==...` constraint. */
export function pinnedNode(constraints: string[]): string | undefined {
  for (const c of constraints) {
    const m = /^node\.id\s*==\s*(\S+)$/.exec(c);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Pure: where each service runs.
 * - Postgres: on the one node labelled baas.postgres=true, by that label, so its volume stays
 *   with it. None or several labelled is an error that says how to fix it.
 * - Sentinels: each on a different node, or a refusal: two sentinels on one machine would let
 *   that machine's loss take the quorum with it.
 * - Redis nodes: spread, one per node while there are nodes; with fewer nodes than Redis nodes
 *   some share, and the notes say which. The first node (the initial master) avoids the
 *   Postgres node when it can, so one machine's loss never takes both primaries.
 * A service that already runs pinned to a node stays there (its data volume is there), as long
 * as that node is still in the swarm and the rules still hold.
 */
export function planPlacement(nodes: SwarmNodeInfo[], defs: ServiceDef[], current: Map<string, string>): PlacementPlan {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const hostname = (id: string): string => byId.get(id)?.hostname ?? id;
  const placements: Placement[] = [];
  const notes: string[] = [];
  const sorted = [...nodes].sort((a, b) => a.hostname.localeCompare(b.hostname));
  const candidates = sorted.filter(usable);
  const nodeList = sorted.map((n) => `${n.hostname} (${n.state}, ${n.availability})`).join(', ');

  let pgNode: SwarmNodeInfo | undefined;
  if (defs.some((d) => d.kind === 'postgres')) {
    const labelled = nodes.filter((n) => n.labels[POSTGRES_NODE_LABEL] === 'true');
    if (labelled.length === 0) {
      throw new UserError('No swarm node is labelled for Postgres, so baas cannot tell where its data should live.', {
        hint: `Pick the node that keeps the Postgres volume and run \`baas nodes label <node> postgres\` (nodes: ${nodeList}).`,
      });
    }
    if (labelled.length > 1) {
      throw new UserError(`${labelled.length} nodes are labelled ${POSTGRES_NODE_LABEL}=true (${labelled.map((n) => n.hostname).join(', ')}); Postgres needs exactly one.`, {
        exitCode: ExitCode.conflict,
        hint: `Keep the label on the node that holds the data: \`baas nodes label <node> postgres\` moves it there and removes it from the others.`,
      });
    }
    pgNode = labelled[0]!;
    if (!usable(pgNode)) notes.push(`the Postgres node ${pgNode.hostname} is ${pgNode.state}/${pgNode.availability}: Postgres waits for it`);
    placements.push({ service: 'postgres', constraints: [`node.labels.${POSTGRES_NODE_LABEL}==true`], node: pgNode.hostname });
  }

  // Redis nodes: the Postgres node last, so redis-1 (the first master) lands elsewhere when it can.
  const redisOrder = [...candidates.filter((n) => n.id !== pgNode?.id), ...candidates.filter((n) => n.id === pgNode?.id)];
  const spread = (names: string[], order: SwarmNodeInfo[], distinct: boolean, what: string): void => {
    const use = new Map<string, string[]>();
    const chosen = new Map<string, string>();
    // Keep where they are, first come first kept.
    for (const name of names) {
      const id = current.get(name);
      if (!id || !byId.has(id)) continue;
      if (distinct && use.has(id)) continue;
      chosen.set(name, id);
      use.set(id, [...(use.get(id) ?? []), name]);
    }
    for (const name of names) {
      if (chosen.has(name)) continue;
      const free = order.filter((n) => !use.has(n.id));
      if (free.length === 0 && distinct) {
        throw new UserError(`${names.length} ${what} need ${names.length} different usable swarm nodes; the swarm has ${candidates.length} (${nodeList}).`, {
          exitCode: ExitCode.conflict,
          hint: `Add nodes (\`docker swarm join\` on more machines), make drained nodes active again, or set services.redis.sentinels to ${Math.max(1, candidates.length)} or fewer (and quorum at most that) in platform.config.yaml.`,
        });
      }
      if (order.length === 0) {
        throw new UserError(`No swarm node is ready and active to run ${name} (${nodeList}).`, { exitCode: ExitCode.conflict, hint: 'Bring a node back (`docker node ls` shows their state) and run `baas up --target swarm` again.' });
      }
      // The least used node, in order.
      const pick = free[0] ?? [...order].sort((a, b) => (use.get(a.id)?.length ?? 0) - (use.get(b.id)?.length ?? 0))[0]!;
      chosen.set(name, pick.id);
      use.set(pick.id, [...(use.get(pick.id) ?? []), name]);
    }
    for (const name of names) {
      const id = chosen.get(name)!;
      placements.push({ service: name, constraints: [`node.id==${id}`], nodeId: id, node: hostname(id) });
    }
    for (const [id, on] of use) if (on.length > 1) notes.push(`${on.join(' and ')} share ${hostname(id)} (${names.length} ${what}, ${candidates.length} usable nodes)`);
  };
  const redis = defs.filter((d) => d.kind === 'redis').map((d) => d.name);
  const sentinels = defs.filter((d) => d.kind === 'sentinel').map((d) => d.name);
  if (redis.length) spread(redis, redisOrder, false, 'Redis nodes');
  if (sentinels.length) spread(sentinels, candidates, true, 'Sentinels');
  return { placements, notes };
}
