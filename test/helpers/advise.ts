import { advise } from '../../src/planners/advise.js';
import { loadWeights, type Weights } from '../../src/planners/advise-weights.js';
import { loadCatalog } from '../../src/planners/catalog.js';
import { parseRequirementsText } from '../../src/planners/requirements.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../../src/cli/io.js';

/** Shared by the advise unit tests: ranking from requirements YAML, and the CLI in-process. */
const catalog = loadCatalog();

export const adviseYaml = (yaml: string, top = 50, weights?: Weights) => advise(catalog, parseRequirementsText(yaml, 'test.yaml'), { top, ...(weights ? { weights } : {}) });

/** Where a stack ranks in an advise result, by key: its index, -1 when it is not ranked. */
export const rankOf = (a: ReturnType<typeof adviseYaml>, key: string) => a.stacks.findIndex((s) => s.key === key);

/** One criterion of one ranked stack for requirements YAML, under the weights given or the file's (undefined when the stack is not ranked). */
export const criterionOf = (yaml: string, key: string, id: string, weights?: Weights) => adviseYaml(yaml, 50, weights).stacks.find((s) => s.key === key)?.criteria.find((c) => c.id === id);

/** One ranked stack of an advise result, by key (the test fails on a missing one at its first use). */
export const stackOf = (a: ReturnType<typeof adviseYaml>, key: string) => a.stacks.find((s) => s.key === key)!;

/** One criterion of one ranked stack of an advise result, by the stack's key and the criterion's id. */
export const criterionIn = (a: ReturnType<typeof adviseYaml>, key: string, id: string) => stackOf(a, key).criteria.find((c) => c.id === id)!;

/** The reason one criterion of one ranked stack gives for one requirement (the test fails on a missing one at its first use). */
export const reasonFor = (a: ReturnType<typeof adviseYaml>, key: string, id: string, requirement: string) => criterionIn(a, key, id).reasons.find((r) => r.requirement === requirement)!;

/** The reason texts of one criterion of one ranked stack, one per line. */
export const reasonText = (a: ReturnType<typeof adviseYaml>, key: string, id: string): string =>
  criterionIn(a, key, id).reasons.map((r) => r.text).join('\n');

/** The weights with some of one section replaced: a fixture chosen before a round pins that round's new weight. */
export const withWeights = <K extends keyof Weights>(section: K, over: Partial<Weights[K]>): Weights => {
  const w = loadWeights();
  return { ...w, [section]: { ...(w[section] as object), ...over } };
};

/** `withWeights('simplicity', over)`. */
export const withSimplicity = (over: Partial<Weights['simplicity']>): Weights => withWeights('simplicity', over);

export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ env: { ...process.env, BAAS_LOG_DIR: '' } });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}
