import { describe, expect, it } from 'vitest';
import { capabilityOf, containerCredit, wantedCapabilities } from '../../../src/planners/advise-candidates.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml as run, withWeights } from '../../helpers/advise.js';

/**
 * Round 234: an API whose requirements also state server functions (`features.functions`) is
 * built of functions, not a long-running server (`capabilities.api_of_stated_functions`): a
 * container host runs it as it runs any functions (`container_runs_functions`), so a host built
 * around containers has no edge there. Without functions stated, the API is still a server
 * (round 89).
 */
describe('advise: round 234', () => {
  const w = loadWeights();
  const before = withWeights('capabilities', { api_of_stated_functions: false });
  const api = 'app: { kind: api, frontend: none }\ndata: { model: relational }\n';
  const functionsOf = (yaml: string, stated: boolean) => wantedCapabilities(run(yaml, 1).requirements, undefined, { api_of_stated_functions: stated }).find((x) => x.cap === 'functions');
  const railway = { platform: findPlatform(loadCatalog(), 'railway'), roles: ['database' as const, 'compute' as const], mode: 'cloud' as const };

  it('reads an API with functions stated as functions at the core, not a server', () => {
    expect(w.capabilities.api_of_stated_functions).toBe(true);
    const stated = functionsOf(`${api}features: { functions: some }\n`, true)!;
    expect(stated).toMatchObject({ level: 'core', requirement: 'app.kind (api)' });
    expect(stated.server).toBeUndefined();
    expect(capabilityOf([railway], stated, containerCredit(w))).toMatchObject({ value: 'partial', designed: false });
    // Without functions stated the API stays a server, which Railway is built around.
    const server = functionsOf(api, true)!;
    expect(server.server).toBe(true);
    expect(capabilityOf([railway], server, containerCredit(w))).toMatchObject({ value: true, designed: true });
    // And before round 234 the stated functions changed nothing.
    expect(functionsOf(`${api}features: { functions: some }\n`, false)!.server).toBe(true);
  });

  it('ranks a functions host first for an API built of functions, and Railway first for an API server, as before', () => {
    const functions = run(`${api}features: { functions: some }\n`, 5);
    expect(functions.stacks[0]!.key).toBe('cloudflare');
    expect(functions.stacks.map((s) => s.key)).not.toContain('railway');
    expect(run(`${api}features: { functions: some }\n`, 5, before).stacks[0]!.key).toBe('railway');
    expect(run(api, 5).stacks[0]!.key).toBe('railway');
  });
});
