import { describe, expect, it } from 'vitest';
import { diffSchemas, isEmptyDiff } from '../../../src/branch/diff.js';
import { buildTree } from '../../../src/branch/list.js';
import type { BranchMeta } from '../../../src/branch/meta.js';

describe('diffSchemas', () => {
  it('reports added, removed and changed objects by kind and name', () => {
    const a = [
      { kind: 'table', key: 'public.users', detail: '' },
      { kind: 'column', key: 'public.users.name', detail: 'text' },
      { kind: 'column', key: 'public.users.age', detail: 'integer' },
    ];
    const b = [
      { kind: 'table', key: 'public.users', detail: '' },
      { kind: 'column', key: 'public.users.name', detail: 'character varying(50)' },
      { kind: 'table', key: 'public.orders', detail: '' },
    ];
    const d = diffSchemas(a, b);
    expect(d.added).toEqual([{ kind: 'table', key: 'public.orders', detail: '' }]);
    expect(d.removed).toEqual([{ kind: 'column', key: 'public.users.age', detail: 'integer' }]);
    expect(d.changed).toEqual([{ kind: 'column', key: 'public.users.name', before: 'text', after: 'character varying(50)' }]);
    expect(isEmptyDiff(diffSchemas(a, a))).toBe(true);
  });

  it('keeps objects of different kinds with the same name apart', () => {
    const d = diffSchemas([{ kind: 'index', key: 'public.x', detail: 'i' }], [{ kind: 'table', key: 'public.x', detail: '' }]);
    expect(d.added).toHaveLength(1);
    expect(d.removed).toHaveLength(1);
  });
});

describe('buildTree', () => {
  const m = (parent: string, createdAt: string): BranchMeta => ({ kind: 'branch', branch: '', parent, createdAt, creator: null, expiresAt: null, protected: false });
  it('nests branches under their parents in creation order, orphans last', () => {
    const main = { name: 'main', database: 'app', meta: undefined };
    const rows = buildTree(main, [
      { name: 'b', database: 'br_b', meta: m('main', '2026-01-02') },
      { name: 'a', database: 'br_a', meta: m('main', '2026-01-01') },
      { name: 'a1', database: 'br_a1', meta: m('a', '2026-01-03') },
      { name: 'lost', database: 'br_lost', meta: m('gone', '2026-01-01') },
    ]);
    expect(rows.map((r) => `${r.prefix}${r.node.name}`)).toEqual(['main', '├─ a', '│  └─ a1', '└─ b', 'lost']);
    expect(rows.find((r) => r.node.name === 'lost')?.orphan).toBe(true);
  });
});
