import { describe, expect, it } from 'vitest';
import { advise } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { adviseYaml as run, runCli } from '../../helpers/advise.js';

/**
 * Round 54: a team that names what runs today and gives no reason to leave it keeps it unless
 * a move earns its cost, so migration weighs `migration.staying_factor` times as much.
 */
describe('advise: round 54', () => {
  const weights = loadWeights();
  // An API whose sign-in lives in its own code (a library), weighing its sign-in again with no
  // reason given to leave the library.
  const ownSignIn = 'stage: mvp\napp: { kind: api }\nauth: { needed: true }\ncurrent: { auth: authlib }\ndecide: [auth]\n';
  const migrationWeight = (yaml: string, w = weights) => advise(loadCatalog(), parseRequirementsText(yaml, 'test.yaml'), { top: 5, weights: w }).stacks[0]!.criteria.find((c) => c.id === 'migration')!.weight;

  it('weighs migration x2 for a team with nothing pushing it off what it runs, and says so', () => {
    const a = run(ownSignIn, 5);
    expect(migrationWeight(ownSignIn)).toBe(weights.migration.weight * weights.migration.staying_factor);
    expect(weights.migration.staying_factor).toBe(2);
    expect(a.assumptions).toContainEqual(expect.stringMatching(/^what runs today \(current\) with no reason given to leave it: migration weighs x2/));
  });

  it('keeps the sign-in library first where a hosted service came first at the plain weight', () => {
    expect(run(ownSignIn, 5).stacks[0]!.roles.auth).toBe('authlib');
    const plain = { ...weights, migration: { ...weights.migration, staying_factor: 1 } };
    const before = advise(loadCatalog(), parseRequirementsText(ownSignIn, 'test.yaml'), { top: 5, weights: plain });
    expect(before.stacks[0]!.roles.auth).not.toBe('authlib');
    expect(before.assumptions.some((n) => n.startsWith('what runs today'))).toBe(false);
  });

  it('leaves the weight alone when the team gives a reason to leave, or names nothing that runs today', () => {
    const leaving = 'stage: growth\napp: { kind: web, frontend: react }\ndata: { model: relational }\nauth: { needed: true }\ncurrent: supabase\nleaving: { platforms: [supabase], because: [cost] }\n';
    expect(migrationWeight(leaving)).toBe(weights.migration.weight);
    expect(run(leaving, 5).assumptions.some((n) => n.startsWith('what runs today'))).toBe(false);
    expect(run('stage: mvp\napp: { kind: api }\nauth: { needed: true }\n', 5).assumptions.some((n) => n.startsWith('what runs today'))).toBe(false);
  });

  it('prints the note under the table and the doubled weight in --explain', async () => {
    const r = await runCli(['advise', '--kind', 'api', '--mau', '1000', '--current', 'auth=authlib', '--only', 'auth', '--explain', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Migration\s+30\s/);
  });
});
