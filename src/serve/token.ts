/** The API's bearer token: generated on the first start, kept in .baas/serve-token (0600), never logged. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ensurePrivateDir } from '../private-files.js';
import path from 'node:path';

export const TOKEN_FILE = 'serve-token';

export function tokenPath(stateDir: string): string {
  return path.join(stateDir, TOKEN_FILE);
}

/** Reads the token, or creates one (32 random bytes, base64url) on first use. */
export function ensureToken(stateDir: string): { token: string; created: boolean; file: string } {
  const file = tokenPath(stateDir);
  if (existsSync(file)) {
    // Someone may have loosened the mode by hand: the token is a secret, keep it owner-only.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, created: false, file };
  }
  ensurePrivateDir(stateDir);
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, created: true, file };
}

export function readToken(stateDir: string): string | undefined {
  try {
    return readFileSync(tokenPath(stateDir), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Constant-time check of an `Authorization: Bearer …` header. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
