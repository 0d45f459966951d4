/**
 * The few error types baas throws. Every one carries the exit code the CLI returns and,
 * where the user can act, a hint. Core code throws these; only src/cli/main.ts turns them
 * into output and an exit code.
 */

export const ExitCode = {
  ok: 0,
  /** A bug or an unexpected failure: the message says so and the log has the stack. */
  internal: 1,
  /** Bad input on the command line: unknown option, bad name, unknown service. */
  usage: 2,
  /** platform.config.yaml (or a requirements file) is invalid. */
  config: 3,
  /** Docker is not installed, not running, or its socket cannot be reached. */
  dockerUnavailable: 4,
  /** Something is in the way: a port is taken, a name exists, a branch is protected. */
  conflict: 5,
  /** A service did not become healthy, or `health`/`check` found a problem. */
  unhealthy: 6,
  /** Postgres, Redis, Mongo or Docker refused an operation. */
  external: 7,
  /** A wait ran out of time (a lock, a readiness probe with nothing else to say). */
  timeout: 8,
  /** Interrupted by Ctrl-C or SIGTERM. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface BaasErrorOptions {
  hint?: string;
  /**
   * A stable, machine-readable kind for scripts (`--json` prints it), more precise than the
   * exit code: `disk_full`, `port_in_use`, `migration_out_of_order`... Defaults to the kind
   * the exit code stands for.
   */
  code?: string;
  cause?: unknown;
  /** Extra lines shown under the message (for example a container's last log lines). */
  details?: string[];
  /** The same call may succeed later (a server still starting): waits keep polling instead of giving up. */
  retryable?: boolean;
}

export class BaasError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  readonly details: string[];
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, exitCode: ExitCodeValue, options: BaasErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.code = options.code ?? CODE_OF_EXIT[exitCode];
    this.retryable = options.retryable ?? false;
  }
}

/** The kind each exit code stands for: the default `code` of an error. Stable: scripts match on it. */
const CODE_OF_EXIT: Record<ExitCodeValue, string> = {
  0: 'ok',
  1: 'internal',
  2: 'usage',
  3: 'config_invalid',
  4: 'docker_unavailable',
  5: 'conflict',
  6: 'unhealthy',
  7: 'external',
  8: 'timeout',
  130: 'interrupted',
};

/** The machine-readable code of anything thrown (`internal` for what baas did not expect). */
export function errorCode(e: unknown): string {
  return e instanceof BaasError ? e.code : 'internal';
}

/** What `--json` prints on failure (stdout), beside the human lines on stderr. */
export interface JsonError {
  error: { code: string; exitCode: number; message: string; hint: string | null; details?: string[] };
}

export function jsonError(e: { code: string; exitCode: number; message: string; hint?: string | undefined; details?: string[] }): JsonError {
  return {
    error: {
      code: e.code,
      exitCode: e.exitCode,
      message: e.message,
      hint: e.hint ?? null,
      ...(e.details && e.details.length > 0 ? { details: e.details } : {}),
    },
  };
}

/** The user can fix it: shown as one sentence and a hint, without a stack. */
export class UserError extends BaasError {
  constructor(message: string, options: BaasErrorOptions & { exitCode?: ExitCodeValue } = {}) {
    super(message, options.exitCode ?? ExitCode.usage, options);
  }
}

export interface ConfigIssue {
  /** Dotted key path, e.g. `services.redis.replicas`. */
  path: string;
  message: string;
  line?: number;
}

/** Every problem in a config or requirements file, reported together. */
export class ConfigError extends BaasError {
  readonly issues: ConfigIssue[];
  readonly file: string | undefined;

  constructor(file: string | undefined, issues: ConfigIssue[], options: BaasErrorOptions = {}) {
    const where = file ?? 'the configuration';
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`${where} has ${count}.`, ExitCode.config, {
      hint: options.hint ?? 'Fix the keys listed above; `baas config show` prints the effective configuration.',
      ...options,
      details: issues.map((i) => `${i.path || '(root)'}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`),
    });
    this.issues = issues;
    this.file = file;
  }
}

/** Docker, Postgres, Redis or Mongo said no. Keeps the driver's error as `cause`. */
export class ExternalError extends BaasError {
  constructor(message: string, options: BaasErrorOptions & { exitCode?: ExitCodeValue } = {}) {
    super(message, options.exitCode ?? ExitCode.external, options);
  }
}

export class DockerUnavailableError extends BaasError {
  constructor(message: string, options: BaasErrorOptions = {}) {
    super(message, ExitCode.dockerUnavailable, {
      hint:
        options.hint ??
        'Start the Docker daemon (`sudo systemctl start docker`, or `sudo dockerd &` where there is no systemd) or set DOCKER_HOST to its socket, then run `baas doctor`.',
      ...options,
    });
  }
}

export class UnhealthyError extends BaasError {
  constructor(message: string, options: BaasErrorOptions = {}) {
    super(message, ExitCode.unhealthy, options);
  }
}

export class TimeoutError extends BaasError {
  constructor(message: string, options: BaasErrorOptions = {}) {
    super(message, ExitCode.timeout, options);
  }
}

export class InterruptedError extends BaasError {
  constructor(message = 'Interrupted.') {
    super(message, ExitCode.interrupted, { hint: 'Run the same command again: baas picks up where it stopped.' });
  }
}

export function isBaasError(e: unknown): e is BaasError {
  return e instanceof BaasError;
}

/** Best-effort readable text of anything thrown, for wrapping driver errors. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Where a failure happened, as far as the caller knows: the words the translation puts in its sentence. */
export interface FailureContext {
  /** The engine whose data is meant: postgres, redis, mongo (guessed from the error when absent). */
  service?: string;
  /** Where that engine keeps its data, in the user's terms: a host path or "the Docker volume x". */
  dataLocation?: (service: string) => string | undefined;
  /** The container memory limit and the key it comes from, for an OOM kill. */
  memoryLimit?: (service: string) => string | undefined;
}

interface ErrorFields {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  severity?: unknown;
  name?: unknown;
  path?: unknown;
  cause?: unknown;
}

/** The error and the causes it wraps, outermost first (at most 5 deep). */
function chain(e: unknown): ErrorFields[] {
  const out: ErrorFields[] = [];
  let cur: unknown = e;
  while (cur && typeof cur === 'object' && out.length < 5) {
    out.push(cur as ErrorFields);
    cur = (cur as ErrorFields).cause;
  }
  return out;
}

const text = (f: ErrorFields): string => (typeof f.message === 'string' ? f.message : '');
const isPg = (f: ErrorFields): boolean => typeof f.severity === 'string' && typeof f.code === 'string' && /^[0-9A-Z]{5}$/.test(f.code);
const isRedisReply = (f: ErrorFields): boolean => f.name === 'ReplyError' || /^(MISCONF|OOM|ERR max number of clients)/.test(text(f));

/**
 * Turns the common ways servers and Docker fail into one sentence that says what happened and
 * where, instead of "baas hit an unexpected problem": a full disk (naming the data location),
 * permission denied on a path, a port in use, a container killed for memory, too many
 * connections. Returns undefined for anything else. Adapters call it where they catch a
 * driver's error; the CLI calls it once more on whatever reaches it unexplained.
 */
export function translateFailure(e: unknown, ctx: FailureContext = {}): BaasError | undefined {
  const links = chain(e);
  // The driver's own words: the innermost message (outer ones are baas's sentences around it).
  const original = links.map(text).filter(Boolean).at(-1) ?? String(e);
  const serviceOf = (): string | undefined =>
    ctx.service ?? (links.some(isPg) ? 'postgres' : links.some(isRedisReply) ? 'redis' : undefined);
  const label = (s: string): string => ({ postgres: 'Postgres', redis: 'Redis', mongo: 'MongoDB', sentinel: 'Redis Sentinel' })[s] ?? s;
  const details = [`the server said: ${original.split('\n')[0]}`];

  for (const f of links) {
    const m = text(f);
    const code = typeof f.code === 'string' ? f.code : '';
    // Disk full: Postgres 53100, ENOSPC from Node or Docker, Redis refusing writes it cannot persist.
    if (code === '53100' || code === 'ENOSPC' || /no space left on device/i.test(m) || /^MISCONF/.test(m)) {
      const svc = serviceOf();
      const where = svc ? ctx.dataLocation?.(svc) : undefined;
      const who = svc ? label(svc) : 'The server';
      return new ExternalError(
        `${who} ran out of disk space${where ? ` in ${where}` : ''}: the disk is full (No space left on device).`,
        {
          code: 'disk_full',
          cause: e,
          details,
          hint: `Free space on the disk that holds ${where ?? 'the data'} (\`df -h\`; \`baas doctor\` shows each data location), or move ${svc ? `services.${svc}.data` : 'the data'} to a larger disk; then run the command again.`,
        },
      );
    }
    if (code === '53300' || /too many clients already|remaining connection slots are reserved|max number of clients reached/i.test(m)) {
      const svc = serviceOf();
      return new ExternalError(`${svc ? label(svc) : 'The server'} refused the connection: it already has as many connections as it allows.`, {
        code: 'too_many_connections',
        cause: e,
        details,
        hint:
          svc === 'postgres'
            ? 'Close idle sessions (or use a pooler), or raise services.postgres.settings.max_connections and run `baas up`.'
            : 'Close idle clients, or raise the server\'s client limit.',
      });
    }
    if (code === '53200' || /^OOM command not allowed/.test(m) || /OOMKilled|out of memory/i.test(m)) {
      const svc = serviceOf();
      const limit = svc ? ctx.memoryLimit?.(svc) : undefined;
      return new ExternalError(`${svc ? label(svc) : 'The server'} ran out of memory${limit ? ` (its container limit is ${limit})` : ''}.`, {
        code: 'out_of_memory',
        cause: e,
        details,
        hint: svc === 'redis' ? 'Raise services.redis.maxmemory (and memory), or let Redis evict (services.redis.maxmemoryPolicy).' : `Raise ${svc ? `services.${svc}.memory` : 'the memory limit'} in platform.config.yaml, or lower what the server is asked to hold, then run \`baas up\`.`,
      });
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || /permission denied|read-only file system/i.test(m)) {
      // Docker's own socket is reported by the runtime adapter (exit 4); this is about files.
      if (/docker\.sock/.test(m)) continue;
      const file = typeof f.path === 'string' ? f.path : /(?:"|')(\/[^"']+)(?:"|')/.exec(m)?.[1] ?? /(\/[\w./-]+)/.exec(m)?.[1];
      const svc = serviceOf();
      const where = svc ? ctx.dataLocation?.(svc) : undefined;
      const readOnly = code === 'EROFS' || /read-only file system/i.test(m);
      return new ExternalError(`${readOnly ? 'A read-only file system' : 'Permission denied'}${file ? ` on ${file}` : ''}${where ? ` (${label(svc!)} data: ${where})` : ''}.`, {
        code: 'permission_denied',
        cause: e,
        details,
        hint: readOnly
          ? 'Point the data location at a writable disk (services.<service>.data), or remount it read-write.'
          : `Make ${file ?? 'the path'} writable for the user baas runs as (and for Docker's), or choose another data location in platform.config.yaml.`,
      });
    }
    const port = /(?:Bind for [^ ]*:(\d+) failed: port is already allocated|listen tcp4? [^ ]*:(\d+): bind: address already in use)/.exec(m);
    if (port || code === 'EADDRINUSE') {
      const p = port?.[1] ?? port?.[2];
      return new UserError(`Port ${p ?? '(unknown)'} is already in use.`, {
        exitCode: ExitCode.conflict,
        code: 'port_in_use',
        cause: e,
        hint: `Stop whatever holds port ${p ?? 'it'} (\`baas doctor\` shows it) or set a different port (or 'auto') in platform.config.yaml.`,
      });
    }
  }
  return undefined;
}
