import type { Command } from 'commander';
import type { App } from './app.js';
import { registerMigrate } from './migrate.js';
import { registerRls } from './rls.js';
import { registerTenant } from './tenant.js';

/** Database command groups: migrate, rls, tenant. */
export function registerDb(program: Command, app: App): void {
  registerMigrate(program, app);
  registerRls(program, app);
  registerTenant(program, app);
}
