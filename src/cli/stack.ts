import type { Command } from 'commander';
import type { App } from './app.js';

export function registerStack(_program: Command, _app: App): void {}
