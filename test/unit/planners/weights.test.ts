import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { loadWeights, WEIGHTS_URL, weightsSchema } from '../../../src/planners/advise-weights.js';
import { parseYamlWith } from '../../../src/planners/yaml-file.js';

describe('advisor weights file', () => {
  const text = readFileSync(fileURLToPath(WEIGHTS_URL), 'utf8');

  it('loads and validates', () => {
    const w = loadWeights();
    expect(w.criteria.capabilities).toBeGreaterThan(0);
    expect(w.capabilities.level_weight.core).toBeGreaterThan(w.capabilities.level_weight.some);
  });

  it('gives every weight and threshold a one-line reason', () => {
    const bare = text.split('\n').map((l, i) => [i + 1, l] as const).filter(([, l]) => /\d/.test(l) && !l.includes('#') && !/^version:/.test(l));
    expect(bare).toEqual([]);
  });

  it('rejects an unknown or missing key with its path', () => {
    const broken = text.replace(/^ {2}cost: (\d+) #/m, '  costs: $1 #');
    expect(broken).not.toBe(text);
    try {
      parseYamlWith(weightsSchema, broken, 'w.yaml');
      expect.fail('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const paths = (e as ConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['criteria.costs', 'criteria.cost']));
    }
  });
});
