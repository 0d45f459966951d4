import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml as run } from '../../helpers/advise.js';

/**
 * Round 49: a sign-in library is built around sign-in, as a hosted sign-in service is. Where
 * sign-in is the whole question, it is no longer a step behind the services for that.
 */
describe('advise: round 49', () => {
  // A product that runs a sign-in library today and is choosing only its sign-in again.
  const keepsItsLibrary = 'stage: mvp\napp: { kind: web, frontend: nextjs }\nauth: { needed: true }\ndecide: [auth]\ncurrent: { auth: authlib }\n';

  it('lists the auth library as built around sign-in', () => {
    expect(loadCatalog().platforms.find((p) => p.id === 'authlib')?.designed_for).toEqual(['auth']);
  });

  it('credits the library in full where sign-in is all that is decided, so staying on it comes first', () => {
    const a = run(keepsItsLibrary, 5);
    const first = a.stacks[0]!;
    expect(first.roles.auth).toBe('authlib');
    const caps = first.criteria.find((c) => c.id === 'capabilities')!;
    expect(caps.score).toBe(1);
    expect(caps.reasons.map((r) => r.text)).toContainEqual(expect.stringMatching(/^auth: Auth library \(Better Auth\) is built around it/));
  });
});
