#!/usr/bin/env node
// The one place that exits: main() returns an exit code, this file hands it to the process.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
