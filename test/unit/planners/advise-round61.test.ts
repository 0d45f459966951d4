import { describe, expect, it } from 'vitest';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml as run } from '../../helpers/advise.js';

/**
 * Round 61: the catalog's mobile SDK facts. Convex, Clerk, Auth0, PocketBase and Nhost publish
 * official client SDKs for native or React Native apps (Auth0, PocketBase and Nhost for Flutter
 * too), each with its source; Better Auth's only mobile client is an Expo plugin, so it stays
 * without the tag.
 */
describe('advise: round 61', () => {
  const catalog = loadCatalog();
  const ecosystemOf = (yaml: string, id: string) => {
    const a = run(yaml, 40);
    const s = a.stacks.find((x) => x.key === id);
    expect(s, `${id} in the first 40`).toBeDefined();
    return s!.criteria.find((c) => c.id === 'ecosystem')!;
  };

  it('records mobile SDKs for the platforms that publish them, each with a source, and not for the sign-in library', () => {
    for (const id of ['convex', 'clerk', 'auth0', 'pocketbase', 'nhost']) {
      const p = findPlatform(catalog, id);
      expect(p.ecosystems, id).toContain('mobile');
      expect(p.sources.sdks?.url, id).toMatch(/^https:\/\//);
    }
    for (const id of ['auth0', 'pocketbase', 'nhost']) expect(findPlatform(catalog, id).ecosystems, id).toContain('flutter');
    expect(findPlatform(catalog, 'authlib').ecosystems).not.toContain('mobile');
  });

  it('credits a self-hosted PocketBase with mobile support for a mobile app (it said "no first-class support")', () => {
    const mobile = 'stage: mvp\nteam_size: 1\napp: { kind: mobile }\ndata: { model: relational }\nauth: { needed: true }\nconstraints: { self_hosting: required }\n';
    const eco = ecosystemOf(mobile, 'pocketbase');
    expect(eco.score).toBe(1);
    expect(eco.reasons.map((r) => r.text)).toContainEqual('mobile: PocketBase is built for it');
  });

  it('credits a hosted sign-in service beside a database without mobile SDKs of its own', () => {
    const mobile = 'stage: mvp\napp: { kind: mobile }\ndata: { model: relational }\nauth: { needed: true }\n';
    expect(ecosystemOf(mobile, 'auth0+neon').reasons.map((r) => r.text)).toContainEqual('mobile: Auth0 is built for it');
  });
});
