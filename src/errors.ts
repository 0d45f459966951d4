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
}

export class BaasError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  readonly details: string[];
  readonly code: string;

  constructor(message: string, exitCode: ExitCodeValue, options: BaasErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.code = options.code ?? CODE_OF_EXIT[exitCode];
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
