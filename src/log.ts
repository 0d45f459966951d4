import { ensurePrivateDir, touchPrivateFile } from './private-files.js';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type pino from 'pino';

/** The narrow logger core code takes. Context goes in fields, never secrets. */
export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Keys whose values are replaced by [redacted] wherever they appear (two levels deep). */
export const REDACT_PATHS = [
  'password',
  'pass',
  'secret',
  'secrets',
  'token',
  'url',
  'uri',
  'connectionString',
  'env',
  '*.password',
  '*.pass',
  '*.secret',
  '*.secrets',
  '*.token',
  '*.url',
  '*.uri',
  '*.connectionString',
  '*.env',
  '*.*.password',
  '*.*.url',
  '*.*.env',
];

export interface LoggerOptions {
  /**
   * The project's private directory (`.baas/`): baas.log goes to its `logs/`, and both are kept
   * 0700. Only these two are touched, never the directory above them.
   */
  stateDir?: string;
  /** Also write log lines to stderr. */
  verbose?: boolean;
  /** Write log lines (info and up, debug too with verbose) to stdout: a foreground service's structured log. */
  stdout?: boolean;
  runId?: string;
}

/**
 * The run's logger. pino (about 30 ms of start-up) is loaded, and the log file opened, on the
 * first line actually logged: most commands log nothing and should not pay for it.
 */
export function createLogger(options: LoggerOptions = {}): { logger: Logger; runId: string } {
  const runId = options.runId ?? randomUUID().slice(0, 8);
  if (!options.stateDir && !options.verbose) return { logger: silentLogger, runId };
  let opened: Logger | undefined;
  return { logger: deferred(() => (opened ??= openLogger({ ...options, runId }).logger)), runId };
}

/** A Logger that asks `target` for the real one at its first call (children too). */
function deferred(target: () => Logger): Logger {
  return {
    debug: (fields, msg) => target().debug(fields, msg),
    info: (fields, msg) => target().info(fields, msg),
    warn: (fields, msg) => target().warn(fields, msg),
    error: (fields, msg) => target().error(fields, msg),
    child(fields) {
      let child: Logger | undefined;
      return deferred(() => (child ??= target().child(fields)));
    },
  };
}

function loadPino(): typeof pino {
  return createRequire(import.meta.url)('pino') as typeof pino;
}

function openLogger(options: LoggerOptions & { runId: string }): { logger: Logger; runId: string } {
  const runId = options.runId;
  const pino = loadPino();
  const streams: pino.StreamEntry[] = [];
  if (options.stateDir) {
    try {
      const dir = path.join(options.stateDir, 'logs');
      ensurePrivateDir(options.stateDir);
      ensurePrivateDir(dir);
      const file = path.join(dir, 'baas.log');
      touchPrivateFile(file);
      streams.push({ level: 'debug', stream: pino.destination({ dest: file, sync: true }) });
    } catch {
      // A read-only working directory must not stop the command; logging is best effort.
    }
  }
  if (options.stdout) streams.push({ level: options.verbose ? 'debug' : 'info', stream: pino.destination({ dest: 1, sync: true }) });
  else if (options.verbose) streams.push({ level: 'debug', stream: pino.destination({ dest: 2, sync: true }) });
  if (streams.length === 0) return { logger: silentLogger, runId };
  const base = pino(
    { level: 'debug', base: { runId }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.multistream(streams),
  );
  return { logger: base as unknown as Logger, runId };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** Removes the password from a connection URL so it can be shown or logged. */
export { redactUrl } from './pg/url.js';
