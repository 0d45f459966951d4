#!/usr/bin/env node
// Part of `npm run build`: writes dist/cli/help-index.json, the top-level commands `baas --help`
// shows, so that the root help does not load every command group (see src/cli/help-index.ts).
import { Command } from 'commander';
import { App } from '../dist/cli/app.js';
import { registerCommands } from '../dist/cli/commands.js';
import { writeHelpIndex } from '../dist/cli/help-index.js';
import { captureIo } from '../dist/cli/io.js';

const program = new Command('baas');
await registerCommands(program, new App(captureIo(), () => ({})));
writeHelpIndex(program);
