import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Sql } from '../pg/sql.js';

/**
 * Signed tenant claims (security.tenantClaims: signed; migrations/0005_signed_claims.sql): the
 * auth layer signs `<org>.<user>.<expires>` with the key only the admin role can read, and the
 * app sets the claim per transaction; the database verifies it on every query.
 */
export interface OrgClaim {
  orgId: string;
  userId: string;
  /** Unix seconds. */
  expiresAt: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function signOrgClaim(keyHex: string, claim: OrgClaim): string {
  if (!UUID.test(claim.orgId)) throw new Error(`not an organisation id: ${claim.orgId}`);
  if (!/^[^.]{1,255}$/.test(claim.userId)) throw new Error('a user id is 1-255 characters without dots');
  const payload = `${claim.orgId}.${claim.userId}.${Math.floor(claim.expiresAt)}`;
  return `${payload}.${createHmac('sha256', Buffer.from(keyHex, 'hex')).update(payload, 'utf8').digest('hex')}`;
}

/** The same checks the database makes, minus membership (for auth layers and tests). */
export function verifyOrgClaim(keyHex: string, token: string, nowSeconds = Date.now() / 1000): OrgClaim | undefined {
  const m = /^([0-9a-f-]{36})\.([^.]{1,255})\.(\d{1,12})\.([0-9a-f]{64})$/.exec(token);
  if (!m) return undefined;
  const expected = createHmac('sha256', Buffer.from(keyHex, 'hex')).update(`${m[1]}.${m[2]}.${m[3]}`, 'utf8').digest();
  if (!timingSafeEqual(expected, Buffer.from(m[4]!, 'hex'))) return undefined;
  if (Number(m[3]) < nowSeconds) return undefined;
  return { orgId: m[1]!, userId: m[2]!, expiresAt: Number(m[3]) };
}

/** The signing key, as the admin role reads it (hex). */
export async function readClaimKey(sql: Sql): Promise<string> {
  const [row] = await sql.query<{ key: string }>("select encode(key, 'hex') as key from baas_platform.claim_key");
  if (!row) throw new Error('no claim key: run `baas migrate up` first');
  return row.key;
}
