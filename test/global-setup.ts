import { removeByLabel, TEST_LABEL } from './helpers/harness.js';

/**
 * Stacks left by an earlier, crashed run (dockerd restarts them with their restart policy)
 * would hold ports and subnets: remove everything labelled as a test stack before starting.
 */
export default async function setup(): Promise<void> {
  // Developers running several suites side by side can keep each other's stacks.
  if (process.env['BAAS_TEST_NO_SWEEP'] === '1') return;
  try {
    await removeByLabel(TEST_LABEL);
  } catch {
    // No Docker here: the unit tests still run; integration tests report the problem themselves.
  }
}
