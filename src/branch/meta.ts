/**
 * Branch metadata, stored with the database it describes (today: as the database's comment).
 * Pure: encoding and decoding only.
 */

export interface BranchMeta {
  /** Always 'branch' for a branch; 'main' for the optional record on the main database (protection only). */
  kind: 'branch' | 'main';
  /** The name this database holds (a temporary copy carries the name it will be renamed to). */
  branch: string;
  /** Parent branch name (`main` for the configured database). */
  parent: string | null;
  createdAt: string | null;
  creator: string | null;
  expiresAt: string | null;
  protected: boolean;
  /** When the branch was last re-created from its parent. */
  resetAt?: string;
}

interface StoredDoc {
  baas: {
    kind?: string;
    branch?: string;
    parent?: string | null;
    created_at?: string | null;
    creator?: string | null;
    expires_at?: string | null;
    protected?: boolean;
    reset_at?: string;
  };
}

export function encodeMeta(m: BranchMeta): string {
  const doc: StoredDoc = {
    baas: {
      kind: m.kind,
      branch: m.branch,
      parent: m.parent,
      created_at: m.createdAt,
      creator: m.creator,
      expires_at: m.expiresAt,
      protected: m.protected,
      ...(m.resetAt ? { reset_at: m.resetAt } : {}),
    },
  };
  return JSON.stringify(doc);
}

/** Undefined for comments that are not baas metadata (a user's own comment, or none). */
export function decodeMeta(comment: string | null | undefined): BranchMeta | undefined {
  if (!comment || !comment.trimStart().startsWith('{')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(comment);
  } catch {
    return undefined;
  }
  const b = (doc as Partial<StoredDoc> | null)?.baas;
  if (!b || typeof b !== 'object' || typeof b.branch !== 'string') return undefined;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    kind: b.kind === 'main' ? 'main' : 'branch',
    branch: b.branch,
    parent: str(b.parent),
    createdAt: str(b.created_at),
    creator: str(b.creator),
    expiresAt: str(b.expires_at),
    protected: b.protected === true,
    ...(typeof b.reset_at === 'string' ? { resetAt: b.reset_at } : {}),
  };
}

export function isExpired(m: Pick<BranchMeta, 'expiresAt'>, now: Date): boolean {
  return m.expiresAt !== null && Date.parse(m.expiresAt) <= now.getTime();
}
