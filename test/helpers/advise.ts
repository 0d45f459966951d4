import { advise } from '../../src/planners/advise.js';
import { loadCatalog } from '../../src/planners/catalog.js';
import { parseRequirementsText } from '../../src/planners/requirements.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../../src/cli/io.js';

/** Shared by the advise unit tests: ranking from requirements YAML, and the CLI in-process. */
const catalog = loadCatalog();

export const adviseYaml = (yaml: string, top = 50) => advise(catalog, parseRequirementsText(yaml, 'test.yaml'), { top });

export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ env: { ...process.env, BAAS_LOG_DIR: '' } });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}
