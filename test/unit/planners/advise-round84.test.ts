import { describe, expect, it } from 'vitest';
import { findPlatform, loadCatalog } from '../../../src/planners/catalog.js';
import { adviseYaml as run } from '../../helpers/advise.js';

/**
 * Round 84: Appwrite hosts sites (Appwrite Sites, live for every project since July 2025), so a
 * web app can run on Appwrite alone. Its ecosystem tags are client SDK quick starts; as a host it
 * runs Next.js through Sites' own build, which the catalog records as an adapter. Where a host
 * lists an adapter for the frontend, that is how it serves it: the same framework's tag among its
 * SDKs no longer reads as first-class hosting. And a static build is only files to serve: a
 * platform that serves files but is no full web host (PocketBase) does all of that job.
 */
describe('advise: round 84', () => {
  const app = (frontend: string) => `stage: mvp\napp: { kind: web, frontend: ${frontend} }\ndata: { model: document }\nauth: { needed: true }\n`;
  const ecosystemOf = (frontend: string, key: string) => {
    const s = run(app(frontend), 80).stacks.find((x) => x.key === key);
    expect(s, `${key} in the first 80`).toBeDefined();
    return s!;
  };

  it('records Appwrite Sites as hosting, with its sources', () => {
    const aw = findPlatform(loadCatalog(), 'appwrite');
    expect(aw.provides.hosting).toBe(true);
    expect(aw.notes.hosting).toMatch(/Appwrite Sites/);
    expect(aw.sources.sites?.as_of).toBe('2025-07-31');
    expect(aw.framework_adapters).toEqual([expect.objectContaining({ framework: 'nextjs', source: 'sites_rendering' })]);
  });

  it('builds a stack of Appwrite alone for a web app with a database and sign-in', () => {
    const s = ecosystemOf('react', 'appwrite');
    expect(s.roles).toMatchObject({ database: 'appwrite', auth: 'appwrite', compute: 'appwrite' });
  });

  it('credits Appwrite hosting Next.js as an adapter, not as a host built for it', () => {
    const aw = ecosystemOf('nextjs', 'appwrite').criteria.find((c) => c.id === 'ecosystem')!;
    expect(aw.reasons.map((r) => r.text)).toContainEqual(expect.stringMatching(/^nextjs: Appwrite .*runs it through an adapter its vendor maintains \(Appwrite Sites/));
    expect(aw.reasons.map((r) => r.text).join('\n')).not.toMatch(/hosts it first-class/);
    const withVercel = run(app('nextjs'), 80).stacks.find((x) => x.roles.compute === 'vercel')!;
    expect(withVercel.criteria.find((c) => c.id === 'ecosystem')!.reasons.map((r) => r.text)).toContainEqual(expect.stringMatching(/^nextjs: Vercel.* hosts it first-class$/));
  });

  it('gives a files-only host full credit for a static build, and still part credit for server rendering', () => {
    const self = (frontend: string) => `stage: mvp\napp: { kind: web, frontend: ${frontend} }\ndata: { model: relational }\nauth: { needed: true }\nconstraints: { self_hosting: required }\n`;
    const hostingReason = (frontend: string) => {
      const pb = run(self(frontend), 80).stacks.find((x) => x.key === 'pocketbase');
      expect(pb, 'pocketbase in the first 80').toBeDefined();
      return pb!.criteria.find((c) => c.id === 'capabilities')!.reasons.find((r) => r.text.startsWith('web hosting'))!;
    };
    expect(hostingReason('react')).toMatchObject({ effect: 'pro', text: expect.stringMatching(/PocketBase.*all a static build needs\)$/) });
    expect(hostingReason('nextjs')).toMatchObject({ effect: 'con', text: expect.stringMatching(/only partly, PocketBase/) });
  });
});
