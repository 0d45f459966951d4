import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { ensurePrivateDir, writePrivateFile } from '../private-files.js';
import path from 'node:path';
import { ExternalError, messageOf } from '../errors.js';

/** The one thing tenant code needs from MongoDB: run a command against a database. */
export interface MongoAdmin {
  command(db: string, command: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface MongoCommand {
  db: string;
  command: Record<string, unknown>;
  /** Error codes that mean "already done" (idempotent re-runs). */
  ignoreCodes?: number[];
}

export interface MongoTenantPlan {
  database: string;
  user: string;
  create: MongoCommand[];
  drop: MongoCommand[];
}

/** Pure: a tenant's own database, and a user whose roles reach that database only. */
export function mongoTenantPlan(slug: string, password: string): MongoTenantPlan {
  const database = `tenant_${slug.replace(/-/g, '_')}`;
  const user = `tenant_${slug.replace(/-/g, '_')}`;
  return {
    database,
    user,
    create: [
      // A database exists once it holds a collection.
      { db: database, command: { create: '_baas_tenant' }, ignoreCodes: [48] },
      {
        db: database,
        command: { createUser: user, pwd: password, roles: [{ role: 'readWrite', db: database }, { role: 'dbAdmin', db: database }] },
        ignoreCodes: [51003],
      },
    ],
    drop: [
      { db: database, command: { dropUser: user }, ignoreCodes: [11] },
      { db: database, command: { dropDatabase: 1 } },
    ],
  };
}

async function runAll(admin: MongoAdmin, commands: MongoCommand[]): Promise<void> {
  for (const c of commands) {
    try {
      await admin.command(c.db, c.command);
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code !== undefined && c.ignoreCodes?.includes(code)) continue;
      throw new ExternalError(`MongoDB refused ${Object.keys(c.command)[0]} on ${c.db}: ${messageOf(e)}.`, { cause: e });
    }
  }
}

export async function createMongoTenant(admin: MongoAdmin, slug: string, password = randomBytes(18).toString('base64url')): Promise<{ database: string; user: string; password: string }> {
  const plan = mongoTenantPlan(slug, password);
  await runAll(admin, plan.create);
  return { database: plan.database, user: plan.user, password };
}

export async function deleteMongoTenant(admin: MongoAdmin, slug: string): Promise<{ database: string; user: string }> {
  const plan = mongoTenantPlan(slug, '');
  await runAll(admin, plan.drop);
  return { database: plan.database, user: plan.user };
}

/** Stores a tenant's Mongo credentials next to the stack's secrets (0600, git-ignored .baas/). */
export function saveTenantSecret(stateDir: string, slug: string, secret: { database: string; user: string; password: string }): string {
  const dir = path.join(stateDir, 'tenants');
  ensurePrivateDir(stateDir);
  ensurePrivateDir(dir);
  const file = path.join(dir, `${slug}.mongo.json`);
  writePrivateFile(file, JSON.stringify(secret, null, 2));
  return file;
}

export function removeTenantSecret(stateDir: string, slug: string): void {
  rmSync(path.join(stateDir, 'tenants', `${slug}.mongo.json`), { force: true });
}

/** The real adapter: the mongodb driver, loaded only when a tenant command needs it. */
export async function mongoAdminFromUrl(url: string): Promise<MongoAdmin> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
  } catch (e) {
    const { redactUrl } = await import('../log.js');
    throw new ExternalError(`Cannot connect to MongoDB at ${redactUrl(url)}: ${messageOf(e)}.`, { cause: e, hint: 'Check `baas health mongo`.' });
  }
  return {
    command: (db, command) => client.db(db).command(command) as Promise<Record<string, unknown>>,
    close: () => client.close(),
  };
}
