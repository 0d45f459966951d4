import { describe, expect, it } from 'vitest';
import { advise } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { adviseYaml as run, rankOf } from '../../helpers/advise.js';

const lockInWeight = (a: ReturnType<typeof run>, auth: string): number | undefined =>
  a.stacks.find((s) => s.roles.auth === auth && Object.keys(s.roles).length === 1)?.criteria.find((c) => c.id === 'lock_in')?.weight;

/** Round 25: a low lock-in tolerance the team gave makes lock-in weigh more. */
describe('advise: round 25', () => {
  const signIn = 'auth: { needed: true }\ndecide: [auth]\n';

  it('weighs lock-in double for a stated low tolerance, says so, and brings the open sign-in options up', () => {
    const plain = run(signIn);
    const low = run(`${signIn}constraints: { lock_in_tolerance: low }\n`);
    expect(lockInWeight(low, 'auth0')).toBe(2 * lockInWeight(plain, 'auth0')!);
    expect(low.assumptions.join('\n')).toMatch(/lock-in tolerance low: lock-in weighs x2, since being able to leave is a priority/);
    expect(plain.assumptions.join('\n')).not.toMatch(/lock-in weighs x2/);
    // Auth0's lead over the open-source Keycloak shrinks.
    const lead = (a: ReturnType<typeof run>) => a.stacks.find((s) => s.key === 'auth0')!.score - a.stacks.find((s) => s.key === 'keycloak')!.score;
    expect(lead(low)).toBeLessThan(lead(plain));
  });

  it('leaves medium and high tolerances as they were', () => {
    for (const t of ['medium', 'high']) {
      expect(lockInWeight(run(`${signIn}constraints: { lock_in_tolerance: ${t} }\n`), 'auth0')).toBe(lockInWeight(run(signIn), 'auth0'));
    }
  });

  it('does not double it twice for a team leaving because of lock-in, whose tolerance is low already', () => {
    const leaving = `${signIn}current: { auth: firebase }\nleaving: { platforms: [firebase], because: [lock_in] }\n`;
    const assumed = run(leaving);
    const stated = run(`${leaving}constraints: { lock_in_tolerance: low }\n`);
    expect(lockInWeight(stated, 'auth0')).toBe(lockInWeight(assumed, 'auth0'));
    expect(stated.assumptions.join('\n')).not.toMatch(/lock-in weighs x2, since/);
  });

  it('is a weight: at lock_in.stated_low_factor 1 a stated low tolerance weighs as before', () => {
    const weights = loadWeights();
    const one = { ...weights, lock_in: { ...weights.lock_in, stated_low_factor: 1 } };
    const a = advise(loadCatalog(), parseRequirementsText(`${signIn}constraints: { lock_in_tolerance: low }\n`), { weights: one });
    expect(lockInWeight(a, 'auth0')).toBe(lockInWeight(run(signIn), 'auth0'));
    expect(a.assumptions.join('\n')).not.toMatch(/lock-in weighs/);
  });
});

/** Round 26: a backend platform kept only for its sign-in costs simplicity. */
describe('advise: round 26', () => {
  const signIn = 'auth: { needed: true }\ndecide: [auth]\n';
  const simplicity = (a: ReturnType<typeof run>, key: string) => a.stacks.find((s) => s.key === key)?.criteria.find((c) => c.id === 'simplicity');

  it('costs Firebase holding only the sign-in as much as one more service, and says why', () => {
    const a = run(signIn);
    const fb = simplicity(a, 'firebase');
    expect(fb?.score).toBeCloseTo(1 - loadWeights().simplicity.backend_for_sign_in, 5);
    expect(fb?.reasons.map((r) => r.text).join('\n')).toMatch(/Firebase holds only the sign-in: a whole backend project kept for one feature/);
    // Keycloak, a dedicated identity server, now ranks above it.
    expect(rankOf(a, 'keycloak')).toBeLessThan(rankOf(a, 'firebase'));
    // Dedicated sign-in services are not concerned.
    expect(simplicity(a, 'auth0')?.reasons.map((r) => r.text).join('\n')).not.toMatch(/holds only the sign-in/);
  });

  it('leaves a backend that also holds the data alone', () => {
    const a = run('data: { model: document }\nauth: { needed: true }\n');
    expect(simplicity(a, 'firebase')?.reasons.map((r) => r.text).join('\n')).not.toMatch(/holds only the sign-in/);
  });

  it('is a weight: at simplicity.backend_for_sign_in 0 Firebase for sign-in alone scores as before', () => {
    const weights = loadWeights();
    const zero = { ...weights, simplicity: { ...weights.simplicity, backend_for_sign_in: 0 } };
    const a = advise(loadCatalog(), parseRequirementsText(signIn), { weights: zero });
    expect(a.stacks.find((s) => s.key === 'firebase')?.criteria.find((c) => c.id === 'simplicity')?.score).toBe(1);
  });
});

/** Round 27: a data model given for a product deciding only its sign-in implies its own server. */
describe('advise: round 27', () => {
  it('offers an auth library when only sign-in is decided and the requirements describe the data', () => {
    const a = run('data: { model: relational }\nauth: { needed: true }\ndecide: [auth]\n');
    expect(a.stacks.some((s) => s.roles.auth === 'authlib')).toBe(true);
  });

  it('does not, with nothing said about the data or a server (a sign-in service is all the stack can be)', () => {
    const a = run('auth: { needed: true }\ndecide: [auth]\n');
    expect(a.stacks.some((s) => s.roles.auth === 'authlib')).toBe(false);
  });

  it('does not when hosting is part of the decision: the stack must then bring the server itself', () => {
    const a = run('app: { frontend: static }\ndata: { model: relational }\nauth: { needed: true }\ndecide: [auth, compute]\n');
    const lib = a.stacks.filter((s) => s.roles.auth === 'authlib');
    expect(lib.every((s) => s.roles.compute !== undefined && s.roles.compute !== null)).toBe(true);
  });
});
