import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nextMigrationFileName } from './files.js';

export function migrationTemplatePath(): string {
  return fileURLToPath(new URL('../../templates/migrations/new.sql', import.meta.url));
}

/** Pure: the template with its placeholders filled. */
export function renderTemplate(template: string, values: { name: string; fileName: string; createdAt: string }): string {
  return template.replace(/\{\{(\w+)\}\}/g, (m, k: string) => (k in values ? values[k as keyof typeof values] : m));
}

/** Creates the next numbered migration file in the app's migrations directory. */
export function newMigration(appDir: string, name: string, now: Date = new Date()): { file: string; fileName: string } {
  mkdirSync(appDir, { recursive: true });
  const fileName = nextMigrationFileName(readdirSync(appDir), name);
  const file = path.join(appDir, fileName);
  const template = existsSync(migrationTemplatePath()) ? readFileSync(migrationTemplatePath(), 'utf8') : '-- {{name}}\n';
  writeFileSync(file, renderTemplate(template, { name, fileName, createdAt: now.toISOString() }), { flag: 'wx' });
  return { file, fileName };
}
