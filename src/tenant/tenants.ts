import { ExitCode, ExternalError, UserError, messageOf } from '../errors.js';
import { isPgError, type Sql } from '../pg/sql.js';

export const TENANT_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  createdAt: string;
  members: number;
}

export function validateSlug(slug: string): string {
  if (!TENANT_SLUG.test(slug)) {
    throw new UserError(`'${slug}' is not a valid tenant slug.`, { hint: 'Use 1-63 lowercase letters, digits and -, starting with a letter or digit, e.g. acme-corp.' });
  }
  return slug;
}

function translate(e: unknown, what: string): never {
  if (isPgError(e) && (e.code === '3F000' || e.code === '42P01')) {
    throw new UserError('The baas platform schema is not installed in this database.', { exitCode: ExitCode.conflict, hint: 'Run `baas migrate up` first.' });
  }
  throw new ExternalError(`${what} failed: ${messageOf(e)}.`, { cause: e });
}

export async function createTenant(c: Sql, input: { slug: string; name?: string }): Promise<Tenant> {
  const slug = validateSlug(input.slug);
  try {
    const r = await c.query<{ id: string; slug: string; name: string; created_at: Date }>(
      'insert into baas_platform.organisations (slug, name) values ($1, $2) returning id, slug, name, created_at',
      [slug, input.name?.trim() || slug],
    );
    const row = r[0]!;
    return { id: row.id, slug: row.slug, name: row.name, createdAt: new Date(row.created_at).toISOString(), members: 0 };
  } catch (e) {
    if (isPgError(e) && e.code === '23505') {
      throw new UserError(`A tenant with the slug '${slug}' already exists.`, { exitCode: ExitCode.conflict, hint: '`baas tenant list` shows the existing tenants.' });
    }
    return translate(e, `Creating tenant '${slug}'`);
  }
}

export async function listTenants(c: Sql): Promise<Tenant[]> {
  try {
    const r = await c.query<{ id: string; slug: string; name: string; created_at: Date; members: string }>(
      `select o.id, o.slug, o.name, o.created_at, (select count(*) from baas_platform.members m where m.org_id = o.id) as members
         from baas_platform.organisations o order by o.slug`,
    );
    return r.map((x) => ({ id: x.id, slug: x.slug, name: x.name, createdAt: new Date(x.created_at).toISOString(), members: Number(x.members) }));
  } catch (e) {
    return translate(e, 'Listing tenants');
  }
}

/** Deletes the organisation; rows of tenant tables whose org_id references it with ON DELETE CASCADE go with it. */
export async function deleteTenant(c: Sql, slug: string): Promise<Tenant> {
  validateSlug(slug);
  try {
    const r = await c.query<{ id: string; slug: string; name: string; created_at: Date }>(
      'delete from baas_platform.organisations where slug = $1 returning id, slug, name, created_at',
      [slug],
    );
    const row = r[0];
    if (!row) throw new UserError(`No tenant with the slug '${slug}'.`, { hint: '`baas tenant list` shows the existing tenants.' });
    return { id: row.id, slug: row.slug, name: row.name, createdAt: new Date(row.created_at).toISOString(), members: 0 };
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (isPgError(e) && e.code === '23503') {
      throw new UserError(`Tenant '${slug}' still owns rows in a table whose foreign key does not cascade: ${e.message}.`, {
        exitCode: ExitCode.conflict,
        hint: 'Delete those rows first, or declare the foreign key with ON DELETE CASCADE.',
      });
    }
    return translate(e, `Deleting tenant '${slug}'`);
  }
}
