import { ExitCode, ExternalError, UserError, messageOf } from '../errors.js';
import { sqlState, type Sql } from '../pg/sql.js';
import { validateSlug } from './tenants.js';

/** Roles of baas_platform.members (the table's check constraint says the same). */
export const MEMBER_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

export interface Member {
  tenant: string;
  userId: string;
  role: MemberRole;
  createdAt: string;
}

export function validateRole(role: string): MemberRole {
  if (!(MEMBER_ROLES as readonly string[]).includes(role)) {
    throw new UserError(`'${role}' is not a member role.`, { hint: `Use one of ${MEMBER_ROLES.join(', ')}.` });
  }
  return role as MemberRole;
}

/** A user id is the app's own identifier (an auth provider's subject, an email): 1-256 printable characters. */
export function validateUserId(userId: string): string {
  // eslint-disable-next-line no-control-regex
  if (userId.length < 1 || userId.length > 256 || /[\u0000-\u001f\u007f]/.test(userId) || userId.trim() !== userId) {
    throw new UserError(`'${userId.replace(/[^\x20-\x7e]/g, '?')}' is not a usable user id.`, { hint: 'Use the id your app knows the user by (e.g. user-42 or an email): 1-256 printable characters, no surrounding spaces.' });
  }
  return userId;
}

function translate(e: unknown, what: string): never {
  if (e instanceof UserError) throw e;
  if (sqlState(e) === '3F000' || sqlState(e) === '42P01') {
    throw new UserError('The baas platform schema is not installed in this database.', { exitCode: ExitCode.conflict, hint: 'Run `baas migrate up` first.' });
  }
  throw new ExternalError(`${what} failed: ${messageOf(e)}.`, { cause: e });
}

async function tenantId(c: Sql, slug: string): Promise<string> {
  const r = await c.query<{ id: string }>('select id from baas_platform.organisations where slug = $1', [slug]);
  const id = r[0]?.id;
  if (!id) throw new UserError(`No tenant with the slug '${slug}'.`, { hint: '`baas tenant list` shows the existing tenants; `baas tenant create <slug>` makes one.' });
  return id;
}

const toMember = (slug: string, x: { user_id: string; role: string; created_at: Date }): Member => ({
  tenant: slug,
  userId: x.user_id,
  role: x.role as MemberRole,
  createdAt: new Date(x.created_at).toISOString(),
});

/** Adds a user to a tenant with a role; an existing member gets the new role. */
export async function addMember(c: Sql, input: { slug: string; userId: string; role: string }): Promise<Member & { previousRole: MemberRole | null }> {
  const slug = validateSlug(input.slug);
  const userId = validateUserId(input.userId);
  const role = validateRole(input.role);
  try {
    const org = await tenantId(c, slug);
    const before = await c.query<{ role: string }>('select role from baas_platform.members where org_id = $1 and user_id = $2', [org, userId]);
    const r = await c.query<{ user_id: string; role: string; created_at: Date }>(
      `insert into baas_platform.members (org_id, user_id, role) values ($1, $2, $3)
       on conflict (org_id, user_id) do update set role = excluded.role returning user_id, role, created_at`,
      [org, userId, role],
    );
    return { ...toMember(slug, r[0]!), previousRole: (before[0]?.role as MemberRole | undefined) ?? null };
  } catch (e) {
    return translate(e, `Adding ${userId} to '${slug}'`);
  }
}

export async function removeMember(c: Sql, input: { slug: string; userId: string }): Promise<Member> {
  const slug = validateSlug(input.slug);
  const userId = validateUserId(input.userId);
  try {
    const org = await tenantId(c, slug);
    const r = await c.query<{ user_id: string; role: string; created_at: Date }>(
      'delete from baas_platform.members where org_id = $1 and user_id = $2 returning user_id, role, created_at',
      [org, userId],
    );
    const row = r[0];
    if (!row) throw new UserError(`${userId} is not a member of '${slug}'.`, { hint: `\`baas tenant member list ${slug}\` shows its members.` });
    // A user whose chosen organisation this was has no choice any more.
    await c.execute('delete from baas_platform.user_active_org where user_id = $1 and org_id = $2', [userId, org]);
    return toMember(slug, row);
  } catch (e) {
    return translate(e, `Removing ${userId} from '${slug}'`);
  }
}

export async function listMembers(c: Sql, slug: string): Promise<Member[]> {
  validateSlug(slug);
  try {
    const org = await tenantId(c, slug);
    const r = await c.query<{ user_id: string; role: string; created_at: Date }>(
      `select user_id, role, created_at from baas_platform.members where org_id = $1
        order by array_position(array['owner', 'admin', 'member', 'viewer'], role), user_id`,
      [org],
    );
    return r.map((x) => toMember(slug, x));
  } catch (e) {
    return translate(e, `Listing the members of '${slug}'`);
  }
}
