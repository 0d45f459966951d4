import { terminalSafe } from '../terminal-text.js';

/** Where a command writes. Tests pass a capturing Io; bin/baas.js uses the process's streams. */
export interface Io {
  /** Text for people or programs: control characters are stripped on the way (see terminalSafe). */
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * baas's own terminal control (cursor moves of the live progress, the dashboard's alternate
   * screen), written as is. Only text baas itself made goes here, already passed through
   * terminalSafe where it carries anything user-supplied.
   */
  control?(stream: 'stdout' | 'stderr', sequence: string): void;
  /** True when stdout is an interactive terminal (live views, colours, prompts). */
  isTTY: boolean;
  columns: number;
  rows: number;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin?: NodeJS.ReadStream;
}

export function processIo(): Io {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY),
    columns: process.stdout.columns || 80,
    rows: process.stdout.rows || 24,
    env: process.env,
    cwd: process.cwd(),
    // Read on use: creating process.stdin (a pipe or TTY stream) costs start-up time most commands never need.
    get stdin() {
      return process.stdin;
    },
  };
}

/**
 * The Io commands get: every write passes through terminalSafe, so no user-supplied text can
 * reach the terminal with escape sequences in it; `control` writes baas's own sequences raw.
 */
export function safeIo(io: Io): Io {
  return withIo(io, {
    stdout: (t) => io.stdout(terminalSafe(t)),
    stderr: (t) => io.stderr(terminalSafe(t)),
    control: (stream, sequence) => (stream === 'stdout' ? io.stdout(sequence) : io.stderr(sequence)),
  });
}

/**
 * `io` with some members replaced. Copied by property descriptor, not spread: a spread would read
 * processIo's `stdin` getter and so create the stdin stream for every command.
 */
export function withIo(io: Io, changes: Partial<Io>): Io {
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(io));
  return Object.defineProperties(copy, Object.getOwnPropertyDescriptors(changes)) as Io;
}

/** An Io that records everything, for in-process CLI tests. */
export function captureIo(overrides: Partial<Io> = {}): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    isTTY: false,
    columns: 100,
    rows: 30,
    env: { ...process.env },
    cwd: process.cwd(),
    ...overrides,
    out: () => out,
    err: () => err,
  };
}
