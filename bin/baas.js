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

const code = await main(process.argv.slice(2));
// Exit as soon as the command is done, so a driver's half-closed socket cannot keep the CLI
// waiting for seconds; but only once everything written has reached the pipe or file.
const flushed = (stream) => new Promise((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
