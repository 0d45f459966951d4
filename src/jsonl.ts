/**
 * An append-only JSON-lines file that stays small: appends one object a line, reads back the
 * tail, and drops the older half once it passes `maxBytes`. Used for the alert history
 * (.baas/alerts.jsonl) and the agent's events (.baas/events.jsonl).
 */
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, touchPrivateFile, writePrivateFile } from './private-files.js';

export class JsonLinesFile<T> {
  constructor(
    readonly file: string,
    private readonly maxBytes: number,
  ) {}

  append(entries: T[]): void {
    if (entries.length === 0) return;
    // Under .baas/: 0700 and 0600 whatever the umask.
    ensurePrivateDir(path.dirname(this.file));
    touchPrivateFile(this.file);
    appendFileSync(this.file, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    if (statSync(this.file).size > this.maxBytes) {
      const lines = readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
      writePrivateFile(this.file, lines.slice(Math.floor(lines.length / 2)).join('\n') + '\n');
    }
  }

  recent(limit: number): T[] {
    if (!existsSync(this.file)) return [];
    const out: T[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        /* a torn line from a crash: skip it */
      }
    }
    return out.slice(-limit);
  }
}
