import { databaseFor, isTempDatabase } from './names.js';
import type { BranchDeps } from './types.js';

export type RegistrySync = { registry: 'synced'; rows: number } | { registry: 'absent' };

/**
 * Keeps the platform schema's database registry (baas_platform.databases, in the main database,
 * created by `baas migrate up`) in step with the branches. The metadata stored with each
 * database stays the source of truth; the registry is a queryable copy for apps and SQL.
 * Without the platform schema there is nothing to do.
 */
export async function syncRegistry(deps: BranchDeps): Promise<RegistrySync> {
  const main = await deps.connect(deps.mainDatabase);
  try {
    const found = await main.query<{ t: string | null }>("select to_regclass('baas_platform.databases')::text as t");
    if (!found[0]?.t) return { registry: 'absent' };
    const stored = await deps.store.list();
    const branches = stored.filter((s) => s.meta.kind === 'branch' && !isTempDatabase(s.database));
    // main's protection lives in its own metadata too (`branch protect main`); unprotected without it.
    const mainProtected = stored.some((s) => s.database === deps.mainDatabase && s.meta.kind === 'main' && s.meta.protected);
    await main.query('begin');
    try {
      await main.query('delete from baas_platform.databases where parent is not null and not (name = any($1::text[]))', [branches.map((b) => b.database)]);
      for (const b of branches) {
        await main.query(
          `insert into baas_platform.databases (name, parent, created_at, created_by, expires_at, protected)
           values ($1, $2, coalesce($3::timestamptz, now()), coalesce($4, session_user), $5, $6)
           on conflict (name) do update set parent = excluded.parent, expires_at = excluded.expires_at, protected = excluded.protected`,
          [b.database, databaseFor(b.meta.parent ?? 'main', deps.mainDatabase), b.meta.createdAt, b.meta.creator, b.meta.expiresAt, b.meta.protected],
        );
      }
      await main.query(
        `insert into baas_platform.databases (name, parent, protected) values ($1, null, $2)
         on conflict (name) do update set protected = excluded.protected`,
        [deps.mainDatabase, mainProtected],
      );
      await main.query('commit');
    } catch (e) {
      await main.query('rollback').catch(() => {});
      throw e;
    }
    return { registry: 'synced', rows: branches.length };
  } finally {
    await main.end();
  }
}
