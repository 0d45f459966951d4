/**
 * Whether the current test file has seen a failure. Module state: vitest evaluates modules
 * afresh for each test file (isolate), so this is per file. Set by test/helpers/setup.ts.
 */
let failed = false;
let testsStarted = 0;

export const markFailed = (): void => {
  failed = true;
};
export const markStarted = (): void => {
  testsStarted++;
};
/** A failed test, or a file whose tests never started (its beforeAll failed). */
export const fileFailed = (): boolean => failed || testsStarted === 0;
