import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { adviseYaml as run, criterionOf } from '../../helpers/advise.js';

/**
 * Round 99: a client-rendered framework talking straight to a backend through its plain browser
 * SDK earns three quarters of the framework's ecosystem credit (`ecosystem.web_sdk_credit`,
 * 0.5 -> 0.75): most framework tags in the catalog are a quick start over the same SDK.
 */
describe('advise: round 99', () => {
  const spa = 'app: { kind: saas, frontend: react }\ndata: { model: document }\nfeatures: { functions: some }\nauth: { needed: true }\n';
  const ecosystemOf = (yaml: string, key: string) => criterionOf(yaml, key, 'ecosystem');

  it('gives a plain browser SDK three quarters of a framework tag', () => {
    const firebase = ecosystemOf(spa, 'firebase')!;
    expect(firebase.score).toBeCloseTo(0.75, 5);
    expect(firebase.reasons.map((r) => r.text).join('\n')).toMatch(/react: Firebase through the plain browser SDK, no react bindings/);
    // A platform whose tag names the framework still earns all of it.
    expect(ecosystemOf(spa, 'appwrite')!.score).toBe(1);
  });

  it('puts Firebase before Appwrite for a React single-page SaaS on document data', () => {
    const keys = run(spa, 3).stacks.map((s) => s.key);
    expect(keys[0]).toBe('firebase');
    expect(keys).toContain('appwrite');
  });

  it('keeps the credit a weight', () => {
    expect(loadWeights().ecosystem.web_sdk_credit).toBe(0.75);
  });
});
