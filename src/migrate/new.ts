import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nextMigrationFileName } from './files.js';

export function migrationTemplatePath(): string {
  return fileURLToPath(new URL('../../templates/migrations/new.sql', import.meta.url));
}

/**
 * Pure: the table the template's example creates, from the migration's name: `add_notes` and
 * `create_notes_table` give `notes`; anything that is not a plain identifier gives `example`.
 */
export function exampleTable(fileName: string): string {
  const slug = fileName.replace(/^\d+_/, '').replace(/\.sql$/, '');
  const t = slug.replace(/^(add|create|new)_/, '').replace(/_tables?$/, '');
  return /^[a-z_][a-z0-9_]{0,62}$/.test(t) ? t : 'example';
}

/** Pure: the template with its placeholders filled. */
export function renderTemplate(template: string, values: { name: string; fileName: string; createdAt: string; table?: string }): string {
  return template.replace(/\{\{(\w+)\}\}/g, (m, k: string) => values[k as keyof typeof values] ?? m);
}

/** Creates the next numbered migration file in the app's migrations directory. */
export function newMigration(appDir: string, name: string, now: Date = new Date()): { file: string; fileName: string; exampleTable: string } {
  mkdirSync(appDir, { recursive: true });
  const fileName = nextMigrationFileName(readdirSync(appDir), name);
  const file = path.join(appDir, fileName);
  const template = existsSync(migrationTemplatePath()) ? readFileSync(migrationTemplatePath(), 'utf8') : '-- {{name}}\n';
  const table = exampleTable(fileName);
  writeFileSync(file, renderTemplate(template, { name, fileName, createdAt: now.toISOString(), table }), { flag: 'wx' });
  return { file, fileName, exampleTable: table };
}
