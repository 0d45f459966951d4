import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AptSourceFile } from './mirror.js';

/**
 * The host seams the image build goes through: running a command and reading apt's config.
 * Unit tests pass fakes; these are the real ones.
 */

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. Resolves whatever the exit code; rejects only when it cannot start. */
export type Exec = (cmd: string, args: string[], options?: ExecOptions) => Promise<ExecResult>;

/** Thrown by an Exec when the program is not installed. */
export class CommandNotFoundError extends Error {
  constructor(readonly command: string) {
    super(`${command}: command not found`);
    this.name = 'CommandNotFoundError';
  }
}

// debootstrap and chroot live in /usr/sbin, which a non-login root shell may lack.
const withSbin = (p: string | undefined): string => {
  const parts = (p ?? '/usr/local/bin:/usr/bin:/bin').split(':');
  for (const d of ['/usr/local/sbin', '/usr/sbin', '/sbin']) if (!parts.includes(d)) parts.push(d);
  return parts.join(':');
};

export const execaExec: Exec = async (cmd, args, options = {}) => {
  const { execa } = await import('execa');
  const result = await execa(cmd, args, {
    reject: false,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    env: { ...options.env, PATH: withSbin(options.env?.['PATH'] ?? process.env['PATH']) },
    stdin: 'ignore',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.exitCode === undefined) {
    if (result.code === 'ENOENT') throw new CommandNotFoundError(cmd);
    const why = result.timedOut ? `timed out after ${options.timeoutMs} ms` : (result.originalMessage ?? result.shortMessage);
    return { exitCode: -1, stdout: String(result.stdout ?? ''), stderr: `${String(result.stderr ?? '')}\n${why}`.trim() };
  }
  return { exitCode: result.exitCode, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
};

/** apt's source lists as apt reads them: sources.list, then sources.list.d/*.list and *.sources. */
export async function readAptSourceFiles(root = '/etc/apt'): Promise<AptSourceFile[]> {
  const files: AptSourceFile[] = [];
  const tryRead = async (p: string): Promise<void> => {
    try {
      files.push({ path: p, text: await readFile(p, 'utf8') });
    } catch {
      // A missing or unreadable list is simply not a source.
    }
  };
  await tryRead(path.join(root, 'sources.list'));
  let names: string[] = [];
  try {
    names = (await readdir(path.join(root, 'sources.list.d'))).sort();
  } catch {
    names = [];
  }
  for (const n of names) if (n.endsWith('.list') || n.endsWith('.sources')) await tryRead(path.join(root, 'sources.list.d', n));
  return files;
}
