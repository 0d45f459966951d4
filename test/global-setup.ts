import { removeByLabel, TEST_LABEL } from './helpers/harness.js';

/**
 * Stacks left by an earlier, crashed run (dockerd restarts them with their restart policy)
 * would hold ports and subnets. CI removes everything labelled as a test stack before starting
 * (`.ci/run` sets BAAS_TEST_SWEEP=1). Locally the sweep is opt-in, because it would also remove
 * the stacks of another test run going on at the same time on the same Docker engine.
 */
export default async function setup(): Promise<void> {
  if (process.env['BAAS_TEST_SWEEP'] !== '1') return;
  try {
    await removeByLabel(TEST_LABEL);
  } catch {
    // No Docker here: the unit tests still run; integration tests report the problem themselves.
  }
}
