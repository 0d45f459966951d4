import type { Platform } from './catalog.js';
import type { PgInspection } from './inspect.js';

/**
 * `baas plan migration`: a phased plan from a source (a catalog platform or an inspected
 * Postgres) to a target platform. Pure: the inspection is done before and passed in.
 */

export type Level = 'low' | 'medium' | 'high';

export interface Risk {
  id: string;
  title: string;
  likelihood: Level;
  impact: Level;
  mitigation: string;
  /** The gap between source and target that raises it. */
  because: string;
}

export interface Phase {
  id: 'assessment' | 'parallel-setup' | 'data-migration' | 'cutover' | 'cleanup';
  name: string;
  days: { low: number; high: number };
  activities: string[];
}

export interface MigrationPlan {
  from: { kind: 'platform' | 'postgres'; id: string; name: string };
  to: { id: string; name: string; selfHosted: boolean };
  dataGb: number | null;
  inspection?: PgInspection;
  summary: string[];
  effort: { days: { low: number; high: number }; drivers: string[] };
  phases: Phase[];
  risks: Risk[];
  rollback: string[];
  checklist: string[];
  assumptions: string[];
}

export type MigrationSource = { kind: 'platform'; platform: Platform } | { kind: 'postgres'; inspection: PgInspection };

export interface MigrationInput {
  from: MigrationSource;
  to: Platform;
  /** Data size when the source was not inspected. */
  dataGb?: number;
}

interface SourceTraits {
  id: string;
  name: string;
  model: 'relational' | 'document' | 'mixed';
  postgres: boolean;
  /** The database engine (catalog `provides.database.engine`), and whether the app reaches it in SQL. */
  engine: string | null;
  sql: boolean;
  auth: boolean;
  realtime: boolean;
  offline: boolean;
  storage: boolean;
  functions: boolean;
  rls: boolean;
  authPolicies: number;
}

function traits(src: MigrationSource): SourceTraits {
  if (src.kind === 'platform') {
    const p = src.platform.provides;
    return {
      id: src.platform.id,
      name: src.platform.name,
      model: p.database?.model ?? 'relational',
      postgres: Boolean(p.database?.engine.includes('postgres')),
      engine: p.database?.engine ?? null,
      sql: p.api.includes('sql'),
      auth: p.auth !== false,
      realtime: p.realtime !== false,
      offline: p.offline_sync !== false,
      storage: p.storage !== false,
      functions: p.functions !== false,
      rls: src.platform.id === 'supabase',
      authPolicies: 0,
    };
  }
  const i = src.inspection;
  // A Supabase-shaped database carries its auth and storage schemas along.
  const hasAuth = i.schemas.includes('auth') && i.tables.some((t) => t.schema === 'auth' && t.name === 'users');
  return {
    id: 'postgres',
    name: `Postgres ${i.serverVersion} (${i.database})`,
    model: 'relational',
    postgres: true,
    engine: 'postgres',
    sql: true,
    auth: hasAuth,
    realtime: i.schemas.includes('realtime'),
    offline: false,
    storage: i.schemas.includes('storage'),
    functions: false,
    rls: i.tables.some((t) => t.rls),
    authPolicies: i.policies.filter((p) => p.usesAuthFunctions).length,
  };
}

const DEFAULT_EXTENSIONS = new Set(['plpgsql']);

function sizeFactor(gb: number | null): { factor: number; label: string } {
  if (gb === null) return { factor: 1.3, label: 'unknown size (assumed a few GB)' };
  if (gb < 1) return { factor: 1, label: 'under 1 GB' };
  if (gb < 10) return { factor: 1.3, label: 'under 10 GB' };
  if (gb < 100) return { factor: 1.8, label: '10-100 GB' };
  if (gb < 1000) return { factor: 2.5, label: '100 GB-1 TB' };
  return { factor: 3.5, label: 'over 1 TB' };
}

const fmtGb = (gb: number): string => (gb < 1 ? `${Math.round(gb * 1024)} MB` : `${Math.round(gb * 10) / 10} GB`);

export function planMigration(input: MigrationInput): MigrationPlan {
  const src = traits(input.from);
  const to = input.to;
  const tp = to.provides;
  const toSelf = to.self_hosting.available === 'only';
  const inspection = input.from.kind === 'postgres' ? input.from.inspection : undefined;
  const dataGb = inspection ? inspection.sizeBytes / 1024 ** 3 : (input.dataGb ?? null);
  const targetModel = tp.database?.model ?? null;
  const targetPg = Boolean(tp.database?.engine.includes('postgres'));
  const risks: Risk[] = [];
  const drivers: string[] = [];
  const summary: string[] = [];
  const assumptions: string[] = [];
  let effort = 1;

  const size = sizeFactor(dataGb);
  effort *= size.factor;
  drivers.push(`data: ${dataGb === null ? size.label : fmtGb(dataGb)}`);
  if (dataGb === null) assumptions.push('data size unknown: give --data-gb for a better estimate');

  // --- gaps -----------------------------------------------------------------
  const modelChange = targetModel && src.model !== targetModel && targetModel !== 'mixed' ? `${src.model}→${targetModel}` : null;
  if (modelChange === 'document→relational') {
    effort *= 1.6;
    drivers.push('document data becomes tables');
    risks.push({
      id: 'document-to-relational',
      title: 'Documents do not map one-to-one onto tables',
      likelihood: 'high',
      impact: 'high',
      mitigation:
        'Export each collection to JSON, flatten it into one table (JSONB for irregular fields), split nested arrays into child tables by hand, and validate counts per collection before cutover.',
      because: `${src.name} stores documents; ${to.name} is relational`,
    });
  } else if (modelChange === 'relational→document') {
    effort *= 1.5;
    drivers.push('tables become documents');
    risks.push({
      id: 'relational-to-document',
      title: 'Joins, constraints and transactions must be redesigned as documents',
      likelihood: 'high',
      impact: 'high',
      mitigation: 'Denormalise along read paths, move foreign-key checks into application code, and keep the relational export as the reference during testing.',
      because: `${src.name} is relational; ${to.name} stores documents`,
    });
  }
  // Between two Postgres servers the data moves with pg_dump and the queries stay; to another
  // engine the schema and every query are ported (a SQL dialect), or rewritten (a query API).
  const sameEngine = (src.postgres && targetPg) || src.engine === tp.database?.engine;
  let engineWork: { low: number; high: number; what: string } | null = null;
  if (tp.database && src.engine && !sameEngine) {
    const port = src.sql && tp.api.includes('sql');
    // A change of data model already counted the reshaping of the data.
    if (modelChange !== 'document→relational' && modelChange !== 'relational→document') effort *= port ? 1.3 : 1.5;
    // The code that reads and writes the data changes too: a week or two to port SQL, two to four to rewrite it for an API.
    engineWork = port ? { low: 5, high: 10, what: `Port the schema and every query to ${to.name}'s SQL dialect` } : { low: 10, high: 20, what: `Rewrite the data-access code for ${to.name}'s API` };
    drivers.push(`the database engine changes (${src.engine} → ${tp.database.engine}): ${port ? 'schema and queries are ported to another SQL dialect' : 'queries are rewritten for another API'}`);
    risks.push({
      id: 'engine-change',
      title: port ? 'Schema and queries must be ported to another SQL dialect' : `Every query is rewritten for ${to.name}'s API`,
      likelihood: 'high',
      impact: port ? 'medium' : 'high',
      mitigation: port
        ? `Port the schema first and run the app's test suite against ${to.name}: check types, JSON, full-text search, upserts, triggers, extensions and row-level security, which differ between engines.`
        : `Rewrite the data-access layer against ${to.name}'s API behind the same interface, and run both side by side on shadow traffic before cutover.`,
      because: `${src.name} runs ${src.engine}; ${to.name} runs ${tp.database.engine}`,
    });
  }
  if (!tp.database) {
    risks.push({
      id: 'no-database',
      title: `${to.name} has no database`,
      likelihood: 'high',
      impact: 'high',
      mitigation: 'Choose a database target as well (run `baas advise`), and migrate data there.',
      because: `${to.name} only covers ${Object.entries(tp).filter(([k, v]) => v === true && k !== 'database').map(([k]) => k).slice(0, 3).join(', ')}`,
    });
  }

  if (src.auth) {
    effort *= 1.2;
    drivers.push('user accounts move');
    if (tp.auth === false) {
      risks.push({
        id: 'no-auth-on-target',
        title: `${to.name} has no auth: users need a new home`,
        likelihood: 'high',
        impact: 'high',
        mitigation: `Pick an auth provider for ${to.name} (e.g. Keycloak next to baas, or Clerk/Auth0), and import users there with their password hashes.`,
        because: `${src.name} manages users; ${to.name} does not`,
      });
    }
    const hashNote =
      src.id === 'firebase'
        ? 'Export users with their SCRYPT hash parameters (firebase auth:export) and import them with those parameters; passwords keep working, with optional re-hash on first login.'
        : src.id === 'supabase' || (src.id === 'postgres' && src.auth)
          ? 'Copy auth.users with encrypted_password (bcrypt) and import into an auth system that accepts bcrypt hashes.'
          : 'Ask the source for a password-hash export with its algorithm and parameters; if the target cannot verify that algorithm, plan a re-hash on first login or a password reset.';
    risks.push({
      id: 'password-hashes',
      title: 'Password hashes may not be exportable or importable as-is',
      likelihood: src.id === 'firebase' || src.id === 'supabase' ? 'medium' : 'high',
      impact: 'high',
      mitigation: `${hashNote} Keep the old auth as a fallback during cutover.`,
      because: `users sign in with ${src.name} today`,
    });
  }
  if (src.realtime && tp.realtime === false) {
    risks.push({
      id: 'realtime-loss',
      title: 'Realtime subscriptions stop working',
      likelihood: 'high',
      impact: 'high',
      mitigation: 'Replace subscriptions with polling, LISTEN/NOTIFY behind a websocket server, or a realtime service before cutover; test every live screen.',
      because: `${src.name} pushes changes to clients; ${to.name} has no realtime`,
    });
  }
  if (src.offline && tp.offline_sync === false) {
    risks.push({
      id: 'offline-loss',
      title: 'Offline sync is lost on mobile clients',
      likelihood: 'high',
      impact: 'high',
      mitigation: 'Add a client-side store with sync (local database + sync endpoint) and conflict rules before cutover; ship the app update first and keep old clients working.',
      because: `${src.name} syncs offline writes; ${to.name} does not`,
    });
  }
  if (src.storage) {
    effort *= 1.1;
    drivers.push('files move');
    risks.push({
      id: 'storage-copy',
      title: tp.storage === false ? `${to.name} has no file storage` : 'Files must be copied and their access rules rebuilt',
      likelihood: 'medium',
      impact: 'medium',
      mitigation:
        tp.storage === false
          ? 'Move files to an object store (S3-compatible, R2) and rewrite upload/download URLs.'
          : 'Download and re-upload every object; buckets come out private, so re-create public buckets and access policies, and compare object counts and checksums.',
      because: `${src.name} stores files`,
    });
  }
  if (src.functions) {
    effort *= 1.15;
    drivers.push('server functions are rewritten');
    risks.push({
      id: 'functions-rewrite',
      title: 'Server functions need a new runtime',
      likelihood: 'medium',
      impact: 'medium',
      mitigation: tp.functions === false ? `Host them elsewhere (containers or a functions platform); ${to.name} runs none.` : `Port each function to ${to.name}'s runtime and run both in parallel on shadow traffic.`,
      because: `${src.name} runs your functions`,
    });
  }
  if (src.postgres && targetPg) {
    risks.push({
      id: 'pooler-dump',
      title: 'pg_dump through a connection pooler fails or hangs',
      likelihood: inspection?.pooled ? 'high' : 'low',
      impact: 'medium',
      mitigation: 'Dump and restore over direct connections (not PgBouncer/Supavisor, not a -pooler host, not port 6543).',
      because: inspection?.pooled ? 'the source URL points at a pooler' : 'managed Postgres hands out pooled URLs by default',
    });
    const major = inspection?.serverMajor;
    risks.push({
      id: 'version-mismatch',
      title: 'Postgres major versions differ between source, target and pg_dump',
      likelihood: major !== undefined && major >= 17 ? 'medium' : 'low',
      impact: 'medium',
      mitigation: `Use pg_dump/pg_restore from the newer major of the two${major !== undefined ? ` (source is ${major})` : ''}; check the target's major is not older than the source's; restore with --no-owner; skip tablespaces; do a full test restore first.`,
      because: major !== undefined ? `the source runs Postgres ${inspection?.serverVersion}` : 'the versions were not inspected',
    });
  }
  if (inspection) {
    const ext = inspection.extensions.filter((e) => !DEFAULT_EXTENSIONS.has(e.name));
    if (ext.length > 0) {
      risks.push({
        id: 'extensions',
        title: `Extensions must exist on ${to.name}: ${ext.map((e) => e.name).join(', ')}`,
        likelihood: toSelf ? 'low' : 'medium',
        impact: 'high',
        mitigation: toSelf ? 'Add them to your Postgres image before the test restore.' : `Check each against ${to.name}'s supported extension list; replace the missing ones before cutover.`,
        because: `the source uses ${ext.length} extension${ext.length === 1 ? '' : 's'}`,
      });
    }
    const rlsTables = inspection.tables.filter((t) => t.rls);
    if (rlsTables.length > 0) {
      const authPol = inspection.policies.filter((p) => p.usesAuthFunctions).length;
      risks.push({
        id: 'rls-policies',
        title: `Row-level security on ${rlsTables.length} table${rlsTables.length === 1 ? '' : 's'} (${inspection.policies.length} polic${inspection.policies.length === 1 ? 'y' : 'ies'})`,
        likelihood: authPol > 0 && to.id !== 'supabase' ? 'high' : 'medium',
        impact: 'high',
        mitigation:
          authPol > 0 && to.id !== 'supabase'
            ? `${authPol} polic${authPol === 1 ? 'y calls' : 'ies call'} auth.uid()/auth.jwt(): provide equivalent functions (or a session GUC) on ${to.name} and re-test each policy with per-tenant fixtures.`
            : 'Policies come over with the schema, but the roles they name must exist first; test as each application role, not as a superuser.',
        because: 'RLS decides who sees which rows: a silent gap leaks data',
      });
    }
    const custom = inspection.roles.filter((r) => !['postgres'].includes(r.name));
    if (custom.length > 0) {
      risks.push({
        id: 'roles',
        title: `${custom.length} role${custom.length === 1 ? ' is' : 's are'} not part of pg_dump`,
        likelihood: 'high',
        impact: 'medium',
        mitigation: `Re-create roles on the target first (pg_dumpall --roles-only, then edit: managed targets refuse SUPERUSER/REPLICATION)${custom.some((r) => r.superuser) ? '; superusers on the source become ordinary roles' : ''}; restore with --no-owner and re-grant.`,
        because: `roles found: ${custom.slice(0, 8).map((r) => r.name).join(', ')}${custom.length > 8 ? ', ...' : ''}`,
      });
    }
  }
  if (dataGb !== null && dataGb >= 100) {
    risks.push({
      id: 'large-dump',
      title: 'A dump/restore this large takes hours and needs a write freeze',
      likelihood: 'high',
      impact: 'high',
      mitigation: 'Use pg_dump -Fc and pg_restore -j N (never a pipe for big databases), or logical replication to cut the freeze to minutes; rehearse and time it.',
      because: `${fmtGb(dataGb)} of data`,
    });
  }
  if (toSelf) {
    risks.push({
      id: 'operations',
      title: 'You now run the servers',
      likelihood: 'medium',
      impact: 'high',
      mitigation: 'Set up backups with a tested restore, monitoring and alerts (`baas health`), and an on-call owner before cutover.',
      because: `${to.name} runs on your machines`,
    });
  }
  if (src.id === to.id) summary.push(`Source and target are both ${to.name}: this is a move between projects or accounts.`);

  // --- phases ---------------------------------------------------------------
  const gradual = (dataGb ?? 5) >= 10 || src.auth || risks.some((r) => r.impact === 'high' && r.likelihood === 'high');
  const days = (low: number, high: number, f = 1): { low: number; high: number } => ({ low: Math.max(1, Math.round(low * f)), high: Math.max(1, Math.round(high * f)) });
  // The port of the app's queries (an engine change) is its own work, not scaled with the data.
  const addDays = (d: { low: number; high: number }, extra: { low: number; high: number } | null): { low: number; high: number } => (extra ? { low: d.low + extra.low, high: d.high + extra.high } : d);
  const dumpCmd = src.postgres && targetPg ? 'pg_dump -Fc (direct connection) then pg_restore --no-owner -j 4' : `export from ${src.name} and load into ${to.name}`;
  const phases: Phase[] = [
    {
      id: 'assessment',
      name: 'Assessment',
      days: days(2, 5, Math.sqrt(effort)),
      activities: [
        inspection ? `Review the inspection: ${inspection.tables.length} table${inspection.tables.length === 1 ? '' : 's'}, ${fmtGb(dataGb ?? 0)}, ${inspection.extensions.length} extensions, ${inspection.roles.length} roles` : `Inventory what ${src.name} holds: data size, users, files, functions`,
        'Record a baseline: row counts per table, p95 latency, error rate',
        'List every client and job that connects, and where its credentials live',
        ...risks.filter((r) => r.likelihood === 'high').map((r) => `Decide how to handle: ${r.title.toLowerCase()}`),
      ],
    },
    {
      id: 'parallel-setup',
      name: 'Parallel setup',
      days: addDays(days(5, 10, Math.sqrt(effort)), engineWork),
      activities: [
        ...(engineWork ? [engineWork.what] : []),
        toSelf ? `Bring up ${to.name} on your servers (baas up) with backups and monitoring` : `Create the ${to.name} project/plan and its environments`,
        ...(inspection && inspection.roles.length > 1 ? ['Re-create roles and grants before any restore'] : []),
        `Test migration: ${dumpCmd}; compare row counts and checksums`,
        ...(src.auth ? ['Import a copy of the users and sign in with test accounts'] : []),
        'Point a staging build of the app at the target and run the test suite',
      ],
    },
    {
      id: 'data-migration',
      name: 'Data migration',
      days: days(1, 3, effort),
      activities: [
        `${gradual ? 'Start dual-writes or replication, then backfill' : 'Freeze writes and copy'}: ${dumpCmd}`,
        ...(modelChange ? ['Run the collection-to-table (or table-to-document) transforms and validate per collection'] : []),
        ...(src.storage ? ['Copy files and re-create bucket access rules'] : []),
        'Verify counts and checksums; fix and re-run until they match',
      ],
    },
    {
      id: 'cutover',
      name: 'Cutover',
      days: gradual ? days(10, 20) : days(1, 2),
      activities: gradual
        ? ['Move reads then writes: 10% → 50% → 100% of traffic', ...(src.auth ? ['Keep the old auth as a fallback for sign-in'] : []), 'Watch error rate and latency against the baseline at each step']
        : ['Short maintenance window: stop writes, final sync, switch connection strings, smoke test'],
    },
    {
      id: 'cleanup',
      name: 'Cleanup',
      days: days(3, 5),
      activities: [
        'Keep the source read-only for the 24-48 h rollback window, then take a final backup',
        'Remove dual-writes, old credentials and feature flags',
        `Cancel ${src.name} resources once nothing connects (check its connection logs)`,
      ],
    },
  ];
  const total = phases.reduce((s, p) => ({ low: s.low + p.days.low, high: s.high + p.days.high }), { low: 0, high: 0 });

  summary.unshift(
    `Move ${src.name} to ${to.name}: ${risks.length} risks (${risks.filter((r) => r.impact === 'high').length} high impact), about ${total.low}-${total.high} working days, ${gradual ? 'gradual' : 'single-window'} cutover.`,
  );

  return {
    from: { kind: input.from.kind, id: src.id, name: src.name },
    to: { id: to.id, name: to.name, selfHosted: toSelf },
    dataGb: dataGb === null ? null : Math.round(dataGb * 1000) / 1000,
    ...(inspection ? { inspection } : {}),
    summary,
    effort: { days: total, drivers },
    phases,
    risks: risks.sort((a, b) => score(b) - score(a) || a.id.localeCompare(b.id)),
    rollback: [
      'Keep the source running and read-only (not deleted) until the rollback window closes (24-48 h after 100%).',
      gradual ? 'Route traffic back with the same switch used for the 10%/50%/100% steps.' : 'Switch connection strings back to the source.',
      'Replay writes made on the target since cutover (from dual-write logs or the target\'s WAL/audit table) onto the source.',
      ...(src.auth ? ['Re-enable the old auth for sign-in; users created on the target are re-created on the source.'] : []),
      'Decide in advance who calls the rollback and on which signal (error rate, data mismatch).',
    ],
    checklist: [
      'Baseline recorded (row counts, latency, error rate)',
      'Test migration restored and verified',
      'Roles, grants and extensions present on the target',
      ...(inspection?.tables.some((t) => t.rls) ? ['RLS policies tested as each application role'] : []),
      ...(src.auth ? ['Users imported; test accounts sign in with their old passwords'] : []),
      ...(src.storage ? ['File counts and checksums match'] : []),
      'Dump/restore over a direct (non-pooled) connection',
      'Row counts and checksums match after the final sync',
      'Rollback plan written, owner named, rollback rehearsed',
      'Monitoring and alerts on the target',
      'Source kept read-only for 24-48 h after cutover',
    ],
    assumptions,
  };
}

const LEVEL = { low: 1, medium: 2, high: 3 } as const;
const score = (r: Risk): number => LEVEL[r.likelihood] * LEVEL[r.impact];
