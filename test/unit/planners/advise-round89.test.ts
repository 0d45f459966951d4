import { describe, expect, it } from 'vitest';
import { capabilityOf, containerCredit, wantedCapabilities } from '../../../src/planners/advise-candidates.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml as run } from '../../helpers/advise.js';

/**
 * Round 89: "the product is an API" asks for server code at the core. Its server is a service
 * like any other, which is what a container host runs: Railway, built around containers, is
 * built around running it (`capabilities.container_runs_api: designed_for`). Functions on the
 * side of another product still count half on a container host (`container_runs_functions`).
 */
describe('advise: round 89', () => {
  const catalog = loadCatalog();
  const w = loadWeights();
  const credit = containerCredit(w);
  const member = (id: string, mode: 'cloud' | 'self-hosted' = 'cloud') => ({ platform: findPlatform(catalog, id), roles: ['database' as const, 'compute' as const], mode });
  const api = { cap: 'functions' as const, requirement: 'app.kind (api)', scope: 'compute' as const, level: 'core' as const, hard: true, server: true };
  const sideFunctions = { ...api, requirement: 'features.functions', level: 'some' as const, server: undefined };

  it('marks the functions of an API product as its server, and no other functions', () => {
    const wantedFor = (yaml: string) => wantedCapabilities(run(yaml, 1).requirements).find((x) => x.cap === 'functions');
    expect(wantedFor('app: { kind: api, frontend: none }\ndata: { model: relational }\n')).toMatchObject({ level: 'core', server: true });
    expect(wantedFor('app: { kind: web, frontend: react }\nfeatures: { functions: some }\n')?.server).toBeUndefined();
  });

  it('credits a container host built around containers as built around an API server', () => {
    expect(w.capabilities.container_runs_api).toBe('designed_for');
    expect(capabilityOf([member('railway')], api, credit)).toMatchObject({ value: true, designed: true });
    // baas runs containers but is not built around them: a full host, no specialist.
    expect(capabilityOf([member('baas', 'self-hosted')], api, credit)).toMatchObject({ value: true, designed: false });
    // Functions on the side stay half a feature on a container host.
    expect(capabilityOf([member('railway')], sideFunctions, credit)).toMatchObject({ value: 'partial', designed: false });
    // Under the old reading the API's server was half a feature too.
    expect(capabilityOf([member('railway')], api, { ...credit, server: 'partial' })).toMatchObject({ value: 'partial' });
  });

  it('ranks Railway beside Workers for a Go API with its Postgres, and says why', () => {
    const advice = run('app: { kind: api, frontend: none }\ndata: { model: relational }\n', 5);
    const railway = advice.stacks.find((s) => s.key === 'railway');
    expect(railway, 'Railway only in the first five').toBeDefined();
    const caps = railway!.criteria.find((c) => c.id === 'capabilities')!;
    expect(caps.score).toBe(1);
    expect(caps.reasons).toContainEqual(expect.objectContaining({ effect: 'pro', text: 'server functions (core): Railway is built around it' }));
  });
});
