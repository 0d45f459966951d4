import { describe, expect, it } from 'vitest';
import { fillDefaults, parseRequirementsText } from '../../../src/planners/requirements.js';
import { adviseYaml as run, runCli, withSimplicity } from '../../helpers/advise.js';

/**
 * Round 94: staff of an internal tool sign in through an identity server their organisation
 * runs. An internal tool whose team decides only its sign-in, and states no self-hosting
 * preference, is advised as preferring self-hosting (`simplicity.assumed_self_hosting`), and the
 * advice says so under "Assumptions".
 */
describe('advise: round 94', () => {
  const staff = 'app: { kind: internal, commercial: false }\nauth: { needed: true }\ndecide: [auth]\n';
  const assumed = /self-hosting not given: preferred assumed, since staff of an internal tool usually sign in through an identity server their organisation runs \(--self-host any to weigh nothing\)/;

  it('puts self-hosted Keycloak first for an internal tool deciding its sign-in, and says why', () => {
    const a = run(staff, 5);
    expect(a.requirements.constraints.self_hosting).toBe('preferred');
    expect(a.assumptions.join('\n')).toMatch(assumed);
    expect(a.stacks[0]!.key).toBe('keycloak');
    expect(a.stacks[0]!.criteria.find((c) => c.id === 'self_hosting')?.score).toBe(1);
  });

  it('ranks Auth0 first there when the weight assumes nothing, as before', () => {
    const a = run(staff, 5, withSimplicity({ assumed_self_hosting: { internal_sign_in_decision: 'any' } }));
    expect(a.requirements.constraints.self_hosting).toBe('any');
    expect(a.assumptions.join('\n')).not.toMatch(/self-hosting not given/);
    expect(a.stacks[0]!.key).toBe('auth0');
  });

  it('keeps a stated preference, and assumes nothing for other apps or wider decisions', () => {
    const stated = run(`${staff}constraints: { self_hosting: any }\n`, 5);
    expect(stated.requirements.constraints.self_hosting).toBe('any');
    expect(stated.assumptions.join('\n')).not.toMatch(/self-hosting not given/);
    expect(stated.stacks[0]!.key).toBe('auth0');
    for (const yaml of ['app: { kind: saas, commercial: false }\nauth: { needed: true }\ndecide: [auth]\n', 'app: { kind: internal, commercial: false }\nauth: { needed: true }\ndecide: [auth, database]\n']) {
      const a = run(yaml, 5);
      expect(a.requirements.constraints.self_hosting, yaml).toBe('any');
      expect(a.assumptions.join('\n'), yaml).not.toMatch(/self-hosting not given/);
    }
  });

  it('resolves a self-hosting preference left out to `any` when no assumption applies', () => {
    const r = parseRequirementsText('app: { kind: web }\n', 'test.yaml');
    expect(r.constraints.self_hosting).toBeUndefined();
    expect(fillDefaults(r, { whole_product: 1, sign_in_decision: 3 }).requirements.constraints.self_hosting).toBe('any');
  });

  it('shows the assumption on the command line, and --self-host any turns it off', async () => {
    const args = ['advise', '--kind', 'internal', '--mau', '500', '--only', 'auth', '--top', '3'];
    const assumedRun = await runCli(args);
    expect(assumedRun.code).toBe(0);
    expect(assumedRun.out).toMatch(/self-hosting not given: preferred assumed/);
    const stated = await runCli([...args, '--self-host', 'any']);
    expect(stated.code).toBe(0);
    expect(stated.out).not.toMatch(/self-hosting not given/);
  });
});
