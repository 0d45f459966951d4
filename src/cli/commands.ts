import type { Command } from 'commander';
import type { App } from './app.js';
import { registerStack } from './stack.js';
import { registerImages } from './images.js';
import { registerPlanners } from './planners.js';
import { registerDb } from './db.js';
import { registerDashboard } from './dashboard.js';
import { registerBranch } from './branch.js';
import { registerRedis } from './redis.js';
import { registerClaims, registerSecurity } from './security.js';
import { registerBackup } from './backup.js';
import { registerRender } from './render.js';
import { registerNodes } from './swarm.js';
import { registerServe } from './serve.js';
import { registerData } from './data.js';

/**
 * Every command group registers itself here. Register functions only declare options and
 * import their core modules lazily inside the action, to keep start-up fast.
 */
export function registerCommands(program: Command, app: App): void {
  registerStack(program, app);
  registerData(program, app);
  registerImages(program, app);
  registerPlanners(program, app);
  registerDb(program, app);
  registerDashboard(program, app);
  registerBranch(program, app);
  registerRedis(program, app);
  registerSecurity(program, app);
  registerClaims(program, app);
  registerRender(program, app);
  registerNodes(program, app);
  registerServe(program, app);
  registerBackup(program, app);
}
