import { connectionCounts, databaseSizes, databases } from './catalog.js';
import { repairLeftovers } from './copy.js';
import { isExpired, type BranchMeta } from './meta.js';
import { MAIN, branchOfDatabase } from './names.js';
import type { StoredBranch } from './store.js';
import type { BranchDeps } from './types.js';

export interface BranchRow {
  name: string;
  database: string;
  parent: string | null;
  /** Depth in the tree (main is 0). */
  depth: number;
  /** Tree prefix for display, e.g. `│  └─ `. */
  prefix: string;
  createdAt: string | null;
  creator: string | null;
  expiresAt: string | null;
  expired: boolean;
  protected: boolean;
  sizeBytes: number | null;
  connections: number;
  /** Parent recorded but no longer there. */
  orphan: boolean;
  allowConnections: boolean;
}

export interface ListResult {
  branches: BranchRow[];
  repaired: string[];
}

interface Node {
  name: string;
  database: string;
  meta: BranchMeta | undefined;
}

/** Pure: the branch forest in display order (children sorted by creation), with tree prefixes. */
export function buildTree(main: Node, branches: Node[]): { node: Node; depth: number; prefix: string; orphan: boolean }[] {
  const names = new Set([MAIN, ...branches.map((b) => b.name)]);
  const byParent = new Map<string, Node[]>();
  const orphans: Node[] = [];
  for (const b of branches) {
    const parent = b.meta?.parent ?? MAIN;
    if (!names.has(parent) || parent === b.name) orphans.push(b);
    else byParent.set(parent, [...(byParent.get(parent) ?? []), b]);
  }
  const order = (a: Node, b: Node): number => (a.meta?.createdAt ?? '').localeCompare(b.meta?.createdAt ?? '') || a.name.localeCompare(b.name);
  const out: { node: Node; depth: number; prefix: string; orphan: boolean }[] = [];
  const seen = new Set<string>();
  const walk = (n: Node, depth: number, lead: string, last: boolean, orphan: boolean): void => {
    if (seen.has(n.name)) return; // a cycle in hand-edited metadata
    seen.add(n.name);
    out.push({ node: n, depth, prefix: depth === 0 ? '' : `${lead}${last ? '└─ ' : '├─ '}`, orphan });
    const kids = (byParent.get(n.name) ?? []).sort(order);
    kids.forEach((k, i) => walk(k, depth + 1, depth === 0 ? '' : `${lead}${last ? '   ' : '│  '}`, i === kids.length - 1, false));
  };
  walk(main, 0, '', true, false);
  for (const o of orphans.sort(order)) walk(o, 0, '', true, true);
  for (const b of branches.filter((x) => !seen.has(x.name)).sort(order)) walk(b, 0, '', true, true);
  return out;
}

export async function listBranches(deps: BranchDeps): Promise<ListResult> {
  const repaired = await repairLeftovers(deps);
  const [stored, dbs, conns] = await Promise.all([deps.store.list(), databases(deps.sql), connectionCounts(deps.sql)]);
  const now = deps.now();
  const present = new Set(dbs.map((d) => d.name));
  const branches: Node[] = stored
    .filter((s: StoredBranch) => s.meta.kind === 'branch' && branchOfDatabase(s.database) !== undefined)
    .map((s) => ({ name: branchOfDatabase(s.database)!, database: s.database, meta: s.meta }));
  const mainMeta = stored.find((s) => s.database === deps.mainDatabase)?.meta;
  const main: Node = { name: MAIN, database: deps.mainDatabase, meta: mainMeta };
  const sizes = await databaseSizes(deps.sql, [main.database, ...branches.map((b) => b.database)].filter((d) => present.has(d)));
  const rows = buildTree(main, branches).map(({ node, depth, prefix, orphan }) => {
    const m = node.meta;
    return {
      name: node.name,
      database: node.database,
      parent: node.name === MAIN ? null : (m?.parent ?? null),
      depth,
      prefix,
      createdAt: m?.createdAt ?? null,
      creator: m?.creator ?? null,
      expiresAt: m?.expiresAt ?? null,
      expired: m ? isExpired(m, now) : false,
      protected: m?.protected ?? false,
      sizeBytes: sizes.get(node.database) ?? null,
      connections: conns.get(node.database) ?? 0,
      orphan,
      allowConnections: dbs.find((d) => d.name === node.database)?.allowConnections ?? false,
    } satisfies BranchRow;
  });
  return { branches: rows, repaired };
}
