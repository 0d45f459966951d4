import { beforeEach } from 'vitest';
import { markFailed, markStarted } from './failures.js';

// Every test file: note failures, so the harness keeps the evidence (container logs, docker
// inspect) before it removes a stack.
beforeEach((ctx) => {
  markStarted();
  ctx.onTestFailed(() => markFailed());
});
