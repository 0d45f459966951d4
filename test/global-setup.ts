import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeByLabel, TEST_LABEL } from './helpers/harness.js';

/**
 * Stacks left by an earlier, crashed run (dockerd restarts them with their restart policy)
 * would hold ports and subnets. CI removes everything labelled as a test stack before starting
 * (`.ci/run` sets BAAS_TEST_SWEEP=1). Locally the sweep is opt-in, because it would also remove
 * the stacks of another test run going on at the same time on the same Docker engine.
 *
 * Every temporary directory a test makes (config files, state directories, rendered manifests,
 * some with generated secrets) goes under one directory for the run: TMPDIR points there for
 * the test workers and the CLIs they start, and the teardown removes it, failed tests or not.
 */
export default async function setup(): Promise<() => void> {
  const runTmp = mkdtempSync(path.join(os.tmpdir(), 'baas-test-run-'));
  const previous = process.env['TMPDIR'];
  process.env['TMPDIR'] = runTmp;
  const teardown = (): void => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    rmSync(runTmp, { recursive: true, force: true });
  };
  if (process.env['BAAS_TEST_SWEEP'] === '1') {
    try {
      await removeByLabel(TEST_LABEL);
    } catch {
      // No Docker here: the unit tests still run; integration tests report the problem themselves.
    }
  }
  return teardown;
}
