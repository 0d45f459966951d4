#!/usr/bin/env node
// The one place that exits: main() returns an exit code, this file hands it to the process.
import { main } from '../dist/cli/main.js';

// `baas status | head -3` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv.slice(2));
