/** Where a command writes. Tests pass a capturing Io; bin/baas.js uses the process's streams. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
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
