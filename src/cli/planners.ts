import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { METRIC_INFO } from '../planners/metrics.js';
import type { App } from './app.js';
import type { Io } from './io.js';

/**
 * `baas advise`, `baas cost` and `baas plan migration`: parse flags, call the pure planners in
 * src/planners, print a table, Markdown or JSON. Planner modules load lazily inside actions.
 */

const list = (v: string | undefined): string[] | undefined =>
  v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);

function num(v: string | undefined, flag: string, opts: { int?: boolean } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/_/g, ''));
  if (v.trim() === '' || !Number.isFinite(n)) {
    throw new UserError(`${flag} needs a number (got "${v}").`, { hint: `Example: ${flag} ${opts.int ? '5' : '1000'}` });
  }
  if (n < 0) throw new UserError(`${flag} cannot be negative (got ${v}).`, { hint: `Give zero or more, e.g. ${flag} ${opts.int ? '5' : '1000'}.` });
  if (opts.int && !Number.isInteger(n)) throw new UserError(`${flag} needs a whole number (got ${v}).`, { hint: `Example: ${flag} 5` });
  return n;
}

async function choice<T extends string>(v: string | undefined, options: readonly T[], flag: string): Promise<T | undefined> {
  if (v === undefined) return undefined;
  if ((options as readonly string[]).includes(v)) return v as T;
  const { closest } = await import('../planners/suggest.js');
  const guess = closest(v, options);
  throw new UserError(`${flag} "${v}" is not one of ${options.join(', ')}${guess ? ` (did you mean ${guess}?)` : ''}.`, {
    hint: `Run with --help to see every accepted value.`,
  });
}

function parseGrowth(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isFinite(n) || n <= -100 || n > 1000) {
    throw new UserError(`--growth "${v}" is not a monthly growth rate between -99% and 1000%.`, { hint: 'Example: --growth 15% (usage grows 15% a month).' });
  }
  return n / 100;
}

function out(io: Io, json: boolean, data: unknown, text: () => string): void {
  if (json) io.stdout(`${JSON.stringify(data, null, 2)}\n`);
  else io.stdout(text());
}

// ---------------------------------------------------------------- advise

interface AdviseFlags {
  file?: string;
  stage?: string;
  team?: string;
  kind?: string;
  frontend?: string;
  commercial?: boolean;
  dataModel?: string;
  dataGb?: string;
  filesGb?: string;
  realtime?: boolean | string;
  offline?: boolean | string;
  vector?: boolean | string;
  branching?: boolean | string;
  scaleToZero?: boolean | string;
  cache?: boolean | string;
  cacheHa?: boolean | string;
  containers?: boolean | string;
  functions?: boolean | string;
  edge?: boolean | string;
  fileStorage?: boolean | string;
  api?: string;
  auth?: boolean;
  mau?: string;
  sso?: boolean;
  orgs?: boolean;
  requests?: string;
  egress?: string;
  selfHost?: string;
  budget?: string;
  compliance?: string;
  regions?: string;
  lockIn?: string;
  ecosystem?: string;
  vmPrice?: string;
  current?: string;
  only?: string;
  leaving?: string | boolean;
  because?: string;
  tenants?: string;
  tenantIsolation?: string;
  top?: string;
  explain?: string;
  json?: boolean;
  markdown?: boolean;
}

/** `--realtime` alone is `some`; `--realtime core` says the product rests on it. */
async function levelOf(v: boolean | string | undefined, flag: string): Promise<string | undefined> {
  if (v === undefined) return undefined;
  if (v === true) return 'some';
  const R = await import('../planners/requirements.js');
  return choice(String(v), R.LEVELS, flag);
}

async function adviseFlagsToInput(o: AdviseFlags, cmd: Command): Promise<Record<string, unknown>> {
  const R = await import('../planners/requirements.js');
  const compliance = list(o.compliance);
  if (compliance) for (const c of compliance) await choice(c.toLowerCase(), R.COMPLIANCE_NAMES, '--compliance');
  const only = list(o.only)?.map((x) => x.toLowerCase());
  if (only) for (const role of only) await choice(role, R.DECIDE_ROLES, '--only');
  return {
    stage: await choice(o.stage, R.STAGES, '--stage'),
    team_size: num(o.team, '--team', { int: true }),
    app: {
      kind: await choice(o.kind, R.APP_KINDS, '--kind'),
      frontend: await choice(o.frontend, R.FRONTENDS, '--frontend'),
      commercial: cmd.getOptionValueSource('commercial') === 'cli' ? o.commercial : undefined,
    },
    data: { model: await choice(o.dataModel, R.DATA_MODELS, '--data-model'), size_gb: num(o.dataGb, '--data-gb'), files_gb: num(o.filesGb, '--files-gb') },
    features: {
      realtime: await levelOf(o.realtime, '--realtime'),
      offline_sync: await levelOf(o.offline, '--offline'),
      vector_search: await levelOf(o.vector, '--vector'),
      branching: await levelOf(o.branching, '--branching'),
      scale_to_zero: await levelOf(o.scaleToZero, '--scale-to-zero'),
      cache: await levelOf(o.cache, '--cache'),
      cache_ha: await levelOf(o.cacheHa, '--cache-ha'),
      containers: await levelOf(o.containers, '--containers'),
      functions: await levelOf(o.functions, '--functions'),
      edge: await levelOf(o.edge, '--edge'),
      file_storage: await levelOf(o.fileStorage, '--file-storage'),
      api_style: await choice(o.api, R.API_STYLES, '--api'),
    },
    auth: {
      needed: cmd.getOptionValueSource('auth') === 'cli' ? o.auth : undefined,
      mau: num(o.mau, '--mau'),
      enterprise_sso: o.sso,
      organizations: o.orgs,
    },
    current: currentOf(o.current),
    decide: only,
    leaving: await leavingOf(o.leaving, o.because),
    tenants: tenantsOf(o),
    traffic: { requests_per_month: num(o.requests, '--requests'), egress_gb: num(o.egress, '--egress') },
    constraints: {
      self_hosting: await choice(o.selfHost, R.SELF_HOSTING, '--self-host'),
      budget_monthly: num(o.budget, '--budget'),
      compliance: compliance?.map((c) => c.toLowerCase()),
      regions: list(o.regions),
      lock_in_tolerance: await choice(o.lockIn, R.LOCK_IN, '--lock-in'),
      ecosystem: list(o.ecosystem),
      vm_price: num(o.vmPrice, '--vm-price'),
    },
  };
}

const CURRENT_ROLES = ['database', 'auth', 'compute', 'cache'] as const;

/** `--leaving` (every --current platform) or `--leaving supabase`, with `--because cost,limits`. */
async function leavingOf(v: string | boolean | undefined, because: string | undefined): Promise<Record<string, unknown> | undefined> {
  const R = await import('../planners/requirements.js');
  const reasons = list(because)?.map((x) => x.toLowerCase().replaceAll('-', '_'));
  if (reasons) for (const reason of reasons) await choice(reason, R.LEAVE_REASONS, '--because');
  if (v === undefined) {
    if (reasons) throw new UserError('--because: give --leaving as well (the platform you are moving off).', { hint: 'Example: --current supabase --leaving supabase --because cost,limits' });
    return undefined;
  }
  const platforms = typeof v === 'string' ? list(v)?.map((x) => x.toLowerCase()) : undefined;
  return { ...(platforms ? { platforms } : {}), because: reasons ?? [] };
}

/** `--current firebase` or `--current auth=auth0,database=supabase`. */
function currentOf(v: string | undefined): string[] | Record<string, string> | undefined {
  const parts = list(v);
  if (!parts) return undefined;
  if (!parts.some((p) => p.includes('='))) return parts.map((p) => p.toLowerCase());
  const byRole: Record<string, string> = {};
  for (const p of parts) {
    const [role, id] = p.split('=').map((x) => x.trim().toLowerCase());
    if (!role || !id || !(CURRENT_ROLES as readonly string[]).includes(role)) {
      throw new UserError(`--current: "${p}" is not a platform id or role=id.`, { hint: `Give ids (--current firebase) or roles ${CURRENT_ROLES.join(', ')} (--current auth=auth0,database=supabase).` });
    }
    byRole[role] = id;
  }
  return byRole;
}

function tenantsOf(o: AdviseFlags): { count: number; isolation?: string } | undefined {
  const count = num(o.tenants, '--tenants', { int: true });
  if (count === undefined) {
    if (o.tenantIsolation !== undefined) throw new UserError('--tenant-isolation needs --tenants.', { hint: 'Example: --tenants 500 --tenant-isolation database.' });
    return undefined;
  }
  if (count < 1) throw new UserError(`--tenants must be 1 or more (got ${count}).`, { hint: 'Give the number of tenants, e.g. --tenants 500.' });
  if (o.tenantIsolation !== undefined && !['shared', 'database'].includes(o.tenantIsolation)) {
    throw new UserError(`--tenant-isolation must be shared or database (got "${o.tenantIsolation}").`, { hint: 'shared = one database for all tenants; database = a database (project) each.' });
  }
  return { count, ...(o.tenantIsolation ? { isolation: o.tenantIsolation } : {}) };
}

function hasAny(v: unknown): boolean {
  if (v === undefined) return false;
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.values(v).some(hasAny);
  return true;
}

/** Minimal readline questionnaire for a terminal; every answer has a default. */
async function askRequirements(io: Io): Promise<Record<string, unknown>> {
  const { createInterface } = await import('node:readline/promises');
  const R = await import('../planners/requirements.js');
  if (!io.stdin) return {};
  const rl = createInterface({ input: io.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (q: string, def: string): Promise<string> => {
    io.stdout(`${q} [${def}]: `);
    const next = await lines.next();
    const a = next.done ? '' : String(next.value).trim();
    return a === '' ? def : a;
  };
  const pickOne = async <T extends string>(q: string, options: readonly T[], def: T): Promise<T> => {
    for (;;) {
      const a = await ask(`${q} (${options.join('/')})`, def);
      if ((options as readonly string[]).includes(a)) return a as T;
      io.stdout(`  please answer one of: ${options.join(', ')}\n`);
    }
  };
  const yes = async (q: string): Promise<boolean> => /^y/i.test(await ask(`${q} (y/n)`, 'n'));
  const number = async (q: string, def: string): Promise<number> => {
    for (;;) {
      const n = Number(await ask(q, def));
      if (Number.isFinite(n) && n >= 0) return n;
      io.stdout('  please answer with a number of zero or more\n');
    }
  };
  try {
    io.stdout('Answer a few questions (Enter keeps the default).\n');
    const stage = await pickOne('Stage', R.STAGES, 'mvp');
    const team = await number('Team size', '1');
    const kind = await pickOne('Kind of app', R.APP_KINDS, 'web');
    // No default frontend: a web app to host is a part of the stack, so it is asked, not assumed.
    const frontend = await pickOne('Frontend to host (none = nothing to host)', R.FRONTENDS, 'none');
    const model = await pickOne('Data model', R.DATA_MODELS, 'relational');
    const size = model === 'none' ? 0 : await number('Database size in GB', '1');
    const feats = (await ask('Features, comma-separated (realtime, offline_sync, vector_search, branching, scale_to_zero, cache, cache_ha, containers, functions, edge, file_storage)', '')).split(',').map((s) => s.trim()).filter(Boolean);
    const features: Record<string, string> = {};
    for (const f of feats) {
      if (!(R.FEATURES as readonly string[]).includes(f)) {
        io.stdout(`  "${f}" is not a feature advise knows; skipped\n`);
        continue;
      }
      // core = the product rests on it (a multiplayer editor's realtime); some = a part of it.
      features[f] = await pickOne(`How central is ${f.replace(/_/g, ' ')}`, ['some', 'core'] as const, 'some');
    }
    const needed = !/^n/i.test(await ask('Do users sign in? (y/n)', 'y'));
    const mau = needed ? await number('Monthly active users', '1000') : 0;
    const sso = needed ? await yes('Enterprise SSO (SAML/OIDC)?') : false;
    const orgs = needed ? await yes('Organisations / teams of users?') : false;
    const self = await pickOne('Self-hosting', R.SELF_HOSTING, 'any');
    const budget = await ask('Monthly budget in USD (empty = none)', '');
    const compliance = (await ask('Compliance, comma-separated (soc2, iso27001, hipaa, gdpr)', '')).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    const lock = await pickOne('Lock-in tolerance', R.LOCK_IN, 'medium');
    // Moving off what runs today costs a migration: asked, never assumed.
    const current = (await ask('Platforms in use today, comma-separated catalog ids (empty = none)', '')).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    return {
      ...(current.length > 0 ? { current } : {}),
      stage,
      team_size: Math.max(1, Math.round(team)),
      app: { kind, frontend },
      data: { model, size_gb: size },
      features,
      auth: { needed, mau, enterprise_sso: sso, organizations: orgs },
      constraints: { self_hosting: self, ...(budget ? { budget_monthly: Number(budget) } : {}), compliance, lock_in_tolerance: lock },
    };
  } finally {
    rl.close();
  }
}

function registerAdvise(program: Command, app: App): void {
  program
    .command('advise')
    .description('Rank platform stacks (database + auth + hosting) for your requirements, with scores, reasons and monthly cost.')
    .option('-f, --file <requirements.yaml>', 'read requirements from a YAML file (flags override it)')
    .option('--stage <stage>', 'mvp | growth | scale')
    .option('--team <n>', 'team size')
    .option('--kind <kind>', 'web | mobile | saas | b2b-saas | api | internal | ecommerce | ai | game | iot | content')
    .option('--frontend <fw>', 'nextjs | react | vue | svelte | angular | static | react-native | flutter | mobile-native | none | other')
    .option('--commercial', 'a commercial project (the default, except with --budget 0)')
    .option('--no-commercial', 'a non-commercial project (allows hobby plans such as Vercel Hobby)')
    .option('--data-model <model>', 'relational | document | mixed | none')
    .option('--data-gb <gb>', 'database size in GB')
    .option('--files-gb <gb>', 'file storage in GB')
    .option('--realtime [level]', 'needs realtime updates to clients (some, or core when the product rests on it)')
    .option('--offline [level]', 'needs offline sync on clients (some, or core when the product rests on it)')
    .option('--vector [level]', 'needs vector search (some, or core when the product rests on it)')
    .option('--branching [level]', 'needs database branches / preview environments (some, or core when the product rests on it)')
    .option('--scale-to-zero [level]', 'variable load: prefer services that scale to zero (some, or core when the product rests on it)')
    .option('--cache [level]', 'needs a cache (Redis) (some, or core when the product rests on it)')
    .option('--cache-ha [level]', 'needs a highly available cache (some, or core when the product rests on it)')
    .option('--containers [level]', 'runs containers (some, or core when the product rests on it)')
    .option('--functions [level]', 'needs server functions (some, or core when the product rests on it)')
    .option('--edge [level]', 'needs edge functions (some, or core when the product rests on it)')
    .option('--file-storage [level]', 'needs file storage (some, or core when the product rests on it)')
    .option('--api <style>', 'rest | graphql | rpc | sql | any')
    .option('--no-auth', 'the app has no user sign-in')
    .option('--mau <n>', 'monthly active users')
    .option('--sso', 'enterprise SSO (SAML/OIDC)')
    .option('--orgs', 'organisations / teams of users')
    .option('--requests <n>', 'requests per month')
    .option('--egress <gb>', 'egress GB per month')
    .option('--self-host <mode>', 'required | preferred | any | no')
    .option('--budget <usd>', 'monthly budget in USD (a hard limit)')
    .option('--compliance <list>', 'comma-separated: soc2,iso27001,hipaa,gdpr (hard constraints; an unknown vendor fact is a warning)')
    .option('--regions <list>', 'comma-separated regions, e.g. eu,us')
    .option('--lock-in <level>', 'lock-in tolerance: low | medium | high (low also makes lock-in weigh double)')
    .option('--ecosystem <list>', 'comma-separated, e.g. google,cloudflare,typescript')
    .option('--vm-price <usd>', 'price of one self-hosted server per month (default: sized to the workload, $5-$160, a labelled assumption)')
    .option('--current <ids>', 'what runs today: platform ids (firebase) or role=id pairs (auth=auth0,database=supabase), :self for a copy you run (database=supabase:self); moving off it costs the migration estimate')
    .option('--leaving [ids]', 'moving off these --current platforms (all of them when no id is given): they are not offered again for the roles they hold (leaving Clerk or Auth0 leaves out the other too)')
    .option('--because <reasons>', 'why you are leaving: cost,lock-in,reliability,complexity,performance,limits,features,support,compliance (the matching criteria weigh more)')
    .option('--only <roles>', 'decide only these roles (database,auth,compute,cache); the others stay on --current, or are left out')
    .option('--tenants <n>', 'number of tenants the product serves')
    .option('--tenant-isolation <mode>', 'shared (one database for all, the default) | database (a database or project each: per-project prices multiply)')
    .option('--top <n>', 'how many stacks to show', '5')
    .option('--explain <rank>', "one stack's full breakdown: breaches, warnings, every criterion with its weight and points, cost lines")
    .option('--json', 'machine-readable output')
    .option('--markdown', 'a Markdown report')
    .addHelpText(
      'after',
      `
Stacks are ranked by least breach, then score: a compliance or self-hosting breach is worse than
a missing required capability, which is worse than any budget overrun (the smaller overrun
first). The first pick never breaks a hard constraint while a stack exists that breaks none; when
nothing meets them all, advise says which ones conflict and by how much each pick breaks them.
A compliance fact no vendor page confirms is shown as unconfirmed (a warning), never as a pass.
Capabilities take a level: --realtime (some) or --realtime core (the product rests on it).
Nothing is assumed silently: every default is listed under "Assumptions" (no frontend given =
no web hosting added). Without --file or flags, in a terminal, advise asks a few questions.
Weights: templates/catalog/advisor-weights.yaml.

Examples:
  $ baas advise --stage mvp --team 1 --frontend nextjs --realtime core --mau 2000 --budget 50
  $ baas advise --file requirements.yaml --markdown > advice.md
  $ baas advise --file requirements.yaml --explain 2
  $ baas advise --stage growth --kind mobile --frontend flutter --mau 20000 --current firebase
  $ baas advise --only auth --current database=supabase --mau 50000 --sso --orgs
  $ baas advise --data-model relational --current supabase --leaving --because cost,limits
  $ baas advise --kind content --data-model relational --tenants 500 --tenant-isolation database
  $ baas advise --stage scale --team 25 --self-host required --compliance hipaa --cache-ha --json`,
    )
    .action(async (o: AdviseFlags, cmd: Command) => {
      const { loadCatalog } = await import('../planners/catalog.js');
      const { advise } = await import('../planners/advise.js');
      const R = await import('../planners/requirements.js');
      const render = await import('../planners/render.js');
      const flags = await adviseFlagsToInput(o, cmd);
      let fromFile: unknown = {};
      if (o.file) {
        const { resolve } = await import('node:path');
        fromFile = R.loadRequirementsFile(resolve(app.io.cwd, o.file));
      } else if (!hasAny(flags) && app.io.isTTY && app.io.stdin?.isTTY && !o.json) {
        fromFile = await askRequirements(app.io);
      }
      const requirements = R.resolveRequirements(fromFile, flags);
      const top = num(o.top, '--top', { int: true }) ?? 5;
      const explain = num(o.explain, '--explain', { int: true });
      if (explain === 0) throw new UserError('--explain needs a rank of 1 or more.', { hint: 'Example: --explain 1 (the first pick).' });
      const advice = advise(loadCatalog(), requirements, { top: Math.max(1, top), ...(explain !== undefined ? { explain } : {}) });
      if (explain !== undefined) {
        const stack = advice.stacks.find((s) => s.rank === explain);
        if (!stack) {
          throw new UserError(`--explain ${explain}: only ${advice.considered} stacks were ranked.`, { hint: `Give a rank from 1 to ${advice.considered}.` });
        }
        out(app.io, Boolean(o.json), { requirements: advice.requirements, assumptions: advice.assumptions, considered: advice.considered, stack }, () => render.explainText(advice, stack));
        return;
      }
      for (const s of advice.stacks) delete s.cost.members;
      if (o.markdown && !o.json) app.io.stdout(render.adviceMarkdown(advice));
      else out(app.io, Boolean(o.json), advice, () => render.adviceText(advice));
    });
}

// ---------------------------------------------------------------- cost

const METRIC_FLAGS = {
  mau: '--mau',
  sso_mau: '--sso-mau',
  db_gb: '--db-gb',
  storage_gb: '--storage-gb',
  egress_gb: '--egress-gb',
  function_invocations: '--invocations',
  compute_hours: '--compute-hours',
  active_hours: '--active-hours',
  realtime_messages: '--realtime-messages',
  requests: '--requests',
  db_reads: '--db-reads',
  db_writes: '--db-writes',
  cpu_ms: '--cpu-ms',
  db_io_gb: '--db-io-gb',
  action_gb_hours: '--function-gb-hours',
  branches: '--branches',
  projects: '--projects',
  seats: '--seats',
  servers: '--servers',
} as const;

const camel = (flag: string): string => flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function registerCost(program: Command, app: App): void {
  const cmd = program
    .command('cost')
    .description('Monthly cost of a usage profile per platform or stack: plan, allowances, overage lines (Infracost-style).')
    .option('-p, --platform <names>', 'one or more platforms, comma-separated (default: every platform)')
    .option('-s, --stack <names>', 'a stack costed together, e.g. neon,clerk,vercel (append :self for self-hosted, e.g. supabase:self)')
    .option('-f, --file <usage.yaml>', 'usage quantities from a YAML file (flags override it)');
  for (const [metric, flag] of Object.entries(METRIC_FLAGS)) {
    const { label, unit } = METRIC_INFO[metric as keyof typeof METRIC_FLAGS];
    cmd.option(`${flag} <n>`, label.includes(unit) ? label : `${label} (${unit})`);
  }
  cmd
    .option('--months <n>', 'project month by month')
    .option('--growth <rate>', 'monthly usage growth for the projection, e.g. 15%')
    .option('--production', 'exclude plans that forbid commercial use or pause idle projects')
    .option('--require <features>', 'plan features that must be included, e.g. soc2,hipaa')
    .option('--vm-price <usd>', 'price of one self-hosted server per month (default: the catalog assumption)')
    .option('--sources', 'list every catalog price with its source and date instead')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Prices come from templates/catalog/platforms.yaml, each with its source and date. A price the
catalog does not know is shown as "unknown" and left out of totals, with a warning.

Examples:
  $ baas cost --mau 20000 --db-gb 5 --egress-gb 50
  $ baas cost --platform supabase --mau 120000 --db-gb 12 --storage-gb 40
  $ baas cost --stack neon,clerk,vercel --mau 60000 --db-gb 20 --compute-hours 730 --json
  $ baas cost --platform supabase --mau 30000 --db-gb 0.3 --months 12 --growth 15%`,
    )
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const { loadCatalog, findPlatform, priceRecords } = await import('../planners/catalog.js');
      const C = await import('../planners/cost.js');
      const U = await import('../planners/usage.js');
      const render = await import('../planners/render.js');
      const { table } = await import('./format.js');
      const catalog = loadCatalog();
      const json = Boolean(o.json);
      const str = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

      if (o.sources) {
        const recs = priceRecords(catalog);
        out(app.io, json, recs, () =>
          table(['Platform', 'Price', 'USD', 'Source', 'As of'], recs.map((r) => [r.platform, r.what, String(r.usd), r.source, `${r.as_of}${r.date_kind !== 'published' ? ` (${r.date_kind})` : ''}`])),
        );
        return;
      }

      let input: Record<string, number | undefined> = {};
      if (str('file')) {
        const { resolve } = await import('node:path');
        const { readYamlFile } = await import('../planners/yaml-file.js');
        input = readYamlFile(U.usageFileSchema, resolve(app.io.cwd, str('file') ?? ''), '--file');
      }
      for (const [metric, flag] of Object.entries(METRIC_FLAGS)) {
        const v = num(str(camel(flag)), flag);
        if (v !== undefined) input[metric] = v;
      }
      U.checkUsage(input, (m) => METRIC_FLAGS[m]);
      const { usage, assumptions } = U.deriveUsage(input);
      const opts: import('../planners/cost.js').CostOptions = {
        ...(o.production ? { commercial: true, alwaysOn: true } : {}),
        ...(str('require') ? { features: list(str('require'))?.map((f) => f.toLowerCase()) ?? [] } : {}),
        ...(str('vmPrice') ? { vmPrice: num(str('vmPrice'), '--vm-price') ?? 0 } : {}),
      };
      const growth = parseGrowth(str('growth'));
      const months = num(str('months'), '--months', { int: true }) ?? (growth !== undefined ? 12 : undefined);
      if (months !== undefined && (months < 1 || months > 120)) throw new UserError(`--months ${months} is outside 1-120.`, { hint: 'Example: --months 12 --growth 15%' });
      if (str('platform') && str('stack')) throw new UserError('Give --platform or --stack, not both.', { hint: '--stack costs several platforms together; --platform compares them side by side.' });

      const parsePart = (name: string): { platform: import('../planners/catalog.js').Platform; mode: 'cloud' | 'self-hosted' } => {
        const [id = '', suffix] = name.split(':');
        const platform = findPlatform(catalog, id, '--stack platform');
        const self = suffix === 'self' || platform.self_hosting.available === 'only';
        if (suffix !== undefined && suffix !== 'self') throw new UserError(`"${name}": only the ":self" suffix is understood.`, { hint: 'Example: --stack supabase:self,baas' });
        if (self && platform.self_hosting.available !== 'only' && platform.self_hosting.available !== true) {
          throw new UserError(`${platform.name} cannot be self-hosted.`, { hint: 'Drop the :self suffix.' });
        }
        return { platform, mode: self ? 'self-hosted' : 'cloud' };
      };

      if (str('stack')) {
        const names = list(str('stack')) ?? [];
        if (names.length === 0) throw new UserError('--stack needs at least one platform.', { hint: 'Example: --stack neon,clerk,vercel' });
        const members = C.assignRoles(names.map(parsePart));
        const costOf = (u: import('../planners/usage.js').Usage): import('../planners/cost.js').StackCost => C.costStack(catalog, members, u, opts);
        const now = costOf(usage);
        const projection = months !== undefined ? C.project(months, growth ?? 0, usage, costOf) : undefined;
        const roles = members.map((m) => ({ platform: m.platform.id, mode: m.mode, roles: m.roles }));
        const warnings = [...now.warnings, ...C.stalePrices(now.members, new Date())];
        out(app.io, json, { usage, assumptions, stack: { roles, ...now, warnings }, ...(projection ? { projection } : {}) }, () =>
          [
            `Usage: ${usageLine(usage)}`,
            `Roles: ${roles.map((r) => `${r.platform}${r.mode === 'self-hosted' ? ' (self-hosted)' : ''} = ${r.roles.join(', ') || 'no role'}`).join('; ')}`,
            '',
            render.stackCostText(now),
            ...(warnings.length ? ['Warnings:', ...warnings.map((w) => `  ! ${w}`), ''] : []),
            ...(projection ? [render.projectionText(projection)] : []),
            ...(assumptions.length ? [`Assumptions: ${assumptions.join('; ')}`, ''] : []),
          ].join('\n'),
        );
        return;
      }

      const platforms = str('platform') ? (list(str('platform')) ?? []).map((n) => findPlatform(catalog, n, '--platform')) : catalog.platforms;
      const costs = platforms.map((p) => C.costPlatform(catalog, p, usage, opts));
      const detailed = platforms.length <= 3;
      const projections =
        months !== undefined
          ? platforms.map((p) => ({
              platform: p.id,
              projection: C.project(months, growth ?? 0, usage, (u) => {
                const c = C.costPlatform(catalog, p, u, opts);
                return { members: [c], knownTotal: c.knownTotal, hasUnknown: c.hasUnknown, warnings: [] };
              }),
            }))
          : undefined;
      const warnings = [...C.costWarnings(costs), ...C.stalePrices(costs, new Date())];
      out(app.io, json, { usage, assumptions, platforms: costs, warnings, ...(projections ? { projections } : {}) }, () =>
        [
          `Usage: ${usageLine(usage)}`,
          '',
          detailed ? costs.map(render.platformCostText).join('\n') : render.costSummaryText(costs),
          ...(warnings.length ? ['Warnings:', ...warnings.map((w) => `  ! ${w}`), ''] : []),
          ...(projections ? projections.map((p) => `${p.platform}:\n${render.projectionText(p.projection)}`) : []),
          ...(assumptions.length ? [`Assumptions: ${assumptions.join('; ')}`] : []),
          detailed ? '' : 'Run with --platform <name> for the line-by-line breakdown.\n',
        ].join('\n'),
      );
    });
}

function usageLine(u: import('../planners/usage.js').Usage): string {
  const parts = Object.entries(u)
    .filter(([k, v]) => v > 0 && k !== 'seats' && k !== 'servers')
    .map(([k, v]) => `${k}=${v >= 1000 ? Math.round(v).toLocaleString('en-US') : Math.round(v * 1000) / 1000}`);
  return parts.length ? parts.join(', ') : 'nothing (every quantity is 0; pass --mau, --db-gb, ... or --file)';
}

// ---------------------------------------------------------------- plan migration

function registerPlanMigration(program: Command, app: App): void {
  // `plan` may be shared with other command groups: reuse it when it exists.
  const plan = program.commands.find((c) => c.name() === 'plan') ?? program.command('plan').description('Plan changes before making them.');
  plan
    .command('migration')
    .description('Phased migration plan between platforms, or from a live Postgres (inspected read-only) to a platform.')
    .requiredOption('--from <platform|postgres-url>', 'source: a catalog platform, or a postgres:// URL to inspect')
    .requiredOption('--to <platform>', 'target platform, e.g. supabase, neon or baas')
    .option('--data-gb <gb>', 'data size when the source is a platform (not inspected)')
    .option('--json', 'machine-readable output')
    .option('--markdown', 'a Markdown report')
    .addHelpText(
      'after',
      `
With a postgres:// URL, baas connects read-only and reads size, tables with row estimates,
extensions, RLS policies, roles and server version; the password is never printed.

Examples:
  $ baas plan migration --from firebase --to supabase --data-gb 12
  $ baas plan migration --from "postgres://app:secret@db.example.com:5432/app" --to baas --markdown
  $ baas plan migration --from supabase --to neon --json`,
    )
    .action(async (o: { from: string; to: string; dataGb?: string; json?: boolean; markdown?: boolean }) => {
      const { loadCatalog, findPlatform } = await import('../planners/catalog.js');
      const { planMigration } = await import('../planners/migration.js');
      const { isPostgresUrl, SqlInspector } = await import('../planners/inspect.js');
      const render = await import('../planners/render.js');
      const catalog = loadCatalog();
      if (isPostgresUrl(o.to)) {
        throw new UserError('--to must be a platform name, not a URL.', { hint: 'Example: --to supabase, --to neon or --to baas (self-hosted).' });
      }
      const to = findPlatform(catalog, o.to, '--to platform');
      const dataGb = num(o.dataGb, '--data-gb');
      let from: import('../planners/migration.js').MigrationSource;
      if (isPostgresUrl(o.from)) {
        const logger = await app.logger();
        const { redactUrl } = await import('../log.js');
        logger.info({ source: redactUrl(o.from) }, 'inspecting source database');
        const { connectPg } = await import('../pg/client.js');
        const inspector = new SqlInspector((url) =>
          connectPg(url, {
            applicationName: 'baas plan migration',
            connectTimeoutMs: 10_000,
            statementTimeoutMs: 30_000,
            hint: 'Check host, port, user and password, and that the server accepts connections from here (pg_hba.conf, firewall).',
          }),
        );
        from = { kind: 'postgres', inspection: await inspector.inspect(o.from) };
      } else if (/^[a-z]+:\/\//i.test(o.from)) {
        throw new UserError('--from accepts postgres:// or postgresql:// URLs only.', { hint: 'For other sources give a platform name, e.g. --from firebase.' });
      } else {
        from = { kind: 'platform', platform: findPlatform(catalog, o.from, '--from platform') };
      }
      const result = planMigration({ from, to, ...(dataGb !== undefined ? { dataGb } : {}) });
      if (o.markdown && !o.json) app.io.stdout(render.migrationMarkdown(result));
      else out(app.io, Boolean(o.json), result, () => render.migrationText(result));
    });
}

export function registerPlanners(program: Command, app: App): void {
  registerAdvise(program, app);
  registerCost(program, app);
  registerPlanMigration(program, app);
}
