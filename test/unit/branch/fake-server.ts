import type { Sql } from '../../../src/pg/sql.js';
import type { BranchDeps } from '../../../src/branch/types.js';
import { CommentBranchStore } from '../../../src/branch/store.js';
import type { Session } from '../../../src/branch/catalog.js';
import { silentLogger } from '../../../src/log.js';

interface Db {
  allow: boolean;
  comment: string | null;
  owner: string;
  size: number;
}

const ident = '"((?:[^"]|"")+)"';
const un = (s: string): string => s.replace(/""/g, '"');
const pgError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/**
 * A small in-memory stand-in for the statements branch code sends (a fake at our own Sql
 * seam, not a pg mock). It keeps databases, their comments and connection flags, sessions and
 * advisory locks, and can be told to fail a statement.
 */
export class FakeServer {
  dbs = new Map<string, Db>();
  sessions = new Map<string, Session[]>();
  locks = new Set<string>();
  log: string[] = [];
  /** Statements matching this throw (once per match, as a server error). */
  failOn: { pattern: RegExp; code?: string; message?: string } | undefined;
  versionNum = 180004;

  constructor(databases: string[] = ['postgres', 'app']) {
    for (const d of databases) this.dbs.set(d, { allow: true, comment: null, owner: 'postgres', size: 8 * 1024 * 1024 });
  }

  session(db: string, pid = 4242): Session {
    const s: Session = { pid, user: 'app', application: 'my-app', client: '10.0.0.9', since: '2026-01-01T00:00:00.000Z', state: 'idle' };
    this.sessions.set(db, [...(this.sessions.get(db) ?? []), s]);
    return s;
  }

  sql(pid = 1): Sql {
    return { pid, query: async <R extends object>(text: string, params: unknown[] = []) => (await this.query(text, params)) as R[], end: async () => {} };
  }

  deps(overrides: Partial<BranchDeps> = {}): BranchDeps {
    const sql = this.sql();
    return {
      sql,
      connect: async () => this.sql(2),
      maintenanceDatabase: 'postgres',
      store: new CommentBranchStore(sql),
      mainDatabase: 'app',
      cloneSupport: async () => ({ reflink: true, detail: 'xfs with reflink (fake)' }),
      now: () => new Date('2026-06-01T12:00:00Z'),
      user: 'tester',
      logger: silentLogger,
      ...overrides,
    };
  }

  private async query(text: string, params: unknown[]): Promise<object[]> {
    const t = text.trim();
    this.log.push(t);
    if (this.failOn && this.failOn.pattern.test(t)) {
      const f = this.failOn;
      this.failOn = undefined;
      throw pgError(f.code ?? 'XX000', f.message ?? 'injected failure');
    }
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^ALTER DATABASE ${ident} ALLOW_CONNECTIONS (true|false)$`).exec(t))) {
      this.db(un(m[1]!)).allow = m[2] === 'true';
      return [];
    }
    if ((m = new RegExp(`^CREATE DATABASE ${ident} TEMPLATE ${ident}`).exec(t))) {
      const [target, tmpl] = [un(m[1]!), un(m[2]!)];
      if (this.dbs.has(target)) throw pgError('42P04', `database "${target}" already exists`);
      const src = this.db(tmpl);
      if ((this.sessions.get(tmpl) ?? []).length > 0) throw pgError('55006', `source database "${tmpl}" is being accessed by other users`);
      this.dbs.set(target, { allow: true, comment: null, owner: 'postgres', size: src.size });
      return [];
    }
    if ((m = new RegExp(`^COMMENT ON DATABASE ${ident} IS '((?:[^']|'')*)'$`).exec(t))) {
      this.db(un(m[1]!)).comment = m[2]!.replace(/''/g, "'");
      return [];
    }
    if ((m = new RegExp(`^ALTER DATABASE ${ident} RENAME TO ${ident}$`).exec(t))) {
      const [from, to] = [un(m[1]!), un(m[2]!)];
      if (this.dbs.has(to)) throw pgError('42P04', `database "${to}" already exists`);
      this.dbs.set(to, this.db(from));
      this.dbs.delete(from);
      return [];
    }
    if ((m = new RegExp(`^DROP DATABASE IF EXISTS ${ident} WITH \\(FORCE\\)$`).exec(t))) {
      this.dbs.delete(un(m[1]!));
      this.sessions.delete(un(m[1]!));
      return [];
    }
    if (/pg_terminate_backend/.test(t)) {
      this.sessions.delete(String(params[0]));
      return [];
    }
    if (/^select datname, shobj_description/.test(t)) return [...this.dbs].map(([datname, d]) => ({ datname, comment: d.comment }));
    if (/^select shobj_description\(oid, 'pg_database'\) as c(omment)? from pg_database where datname = \$1/.test(t)) {
      const c = this.dbs.get(String(params[0]))?.comment ?? null;
      return this.dbs.has(String(params[0])) ? [{ comment: c, c }] : [];
    }
    if (/^select 1 from pg_database where datname = \$1/.test(t)) return this.dbs.has(String(params[0])) ? [{ '?column?': 1 }] : [];
    if (/datallowconn as allow from pg_database where datname = \$1/.test(t)) return [{ allow: this.db(String(params[0])).allow }];
    if (/^select d\.datname as name, d\.oid::int/.test(t)) return [...this.dbs].map(([name, d], i) => ({ name, oid: 16000 + i, owner: d.owner, allow: d.allow, tmpl: false }));
    if (/pg_database_size/.test(t)) return [...this.dbs].filter(([n]) => (params[0] as string[]).includes(n)).map(([name, d]) => ({ name, size: String(d.size) }));
    if (/from pg_stat_activity where datname = \$1/.test(t)) {
      return (this.sessions.get(String(params[0])) ?? []).map((s) => ({ pid: s.pid, usename: s.user, app: s.application, client: s.client, since: s.since ? new Date(s.since) : null, state: s.state }));
    }
    if (/count\(\*\)::int as n from pg_stat_activity/.test(t)) return [...this.sessions].map(([name, s]) => ({ name, n: s.length }));
    if (/pg_prepared_xacts/.test(t)) return [{ n: 0 }];
    if (/server_version_num/.test(t)) return [{ v: String(this.versionNum) }];
    if (/pg_try_advisory_lock/.test(t)) {
      const k = String(params[1]);
      if (this.locks.has(k)) return [{ ok: false }];
      this.locks.add(k);
      return [{ ok: true }];
    }
    if (/pg_advisory_lock\(/.test(t)) {
      this.locks.add(String(params[1]));
      return [{}];
    }
    if (/pg_advisory_unlock/.test(t)) {
      this.locks.delete(String(params[1]));
      return [{}];
    }
    if (/aclexplode|pg_roles|pg_db_role_setting|pg_locks|pg_cancel_backend/.test(t)) return [];
    if (/^(set|reset|SET|RESET|GRANT|REVOKE|CHECKPOINT|ALTER DATABASE .* SET )/.test(t)) return [];
    throw new Error(`FakeServer: unexpected SQL: ${t}`);
  }

  private db(name: string): Db {
    const d = this.dbs.get(name);
    if (!d) throw pgError('3D000', `database "${name}" does not exist`);
    return d;
  }
}

export { silentLogger };
