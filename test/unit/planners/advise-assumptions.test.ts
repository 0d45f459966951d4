import { describe, expect, it } from 'vitest';
import { adviseYaml as run } from '../../helpers/advise.js';

/** Issue 15, class 3: parts nobody asked for are not added; what is filled in is said. */
describe('advise: no database nobody asked for', () => {
  it('gives a static content site a host and no database, and says so', () => {
    const a = run('app: { kind: content, frontend: static }\n');
    expect(a.requirements.data.model).toBe('none');
    for (const s of a.stacks) expect(s.roles.database).toBeUndefined();
    expect(a.assumptions.join('\n')).toMatch(/no database assumed \(--data-model to add one\)/);
  });

  it('still assumes a database when something keeps data: a data feature, a size, an app kind that stores records, a current database', () => {
    for (const yaml of [
      'app: { kind: web, frontend: react }\nfeatures: { realtime: some }\n',
      'app: { kind: web }\ndata: { size_gb: 5 }\n',
      'app: { kind: saas, frontend: nextjs }\n',
      'app: { kind: web, frontend: nextjs }\ncurrent: supabase\n',
    ]) {
      const a = run(yaml);
      expect(a.requirements.data.model, yaml).toBe('unspecified');
      expect(a.assumptions.join('\n'), yaml).toMatch(/data model not given: a database is included/);
    }
  });
});

describe('advise: sign-in alone keeps no data of the product (round 107)', () => {
  it('ranks sign-in services with no database for a whole-stack question that asks only for sign-in, and says so', () => {
    const a = run('app: { kind: web }\nauth: { needed: true }\n');
    expect(a.requirements.data.model).toBe('none');
    expect(a.stacks[0]?.roles.database).toBeUndefined();
    expect(a.assumptions.join('\n')).toMatch(/sign-in alone is kept by its provider\): no database assumed/);
  });

  it('still assumes a database when only some parts are decided: the product beyond them keeps data about its users', () => {
    const a = run('app: { kind: web }\nauth: { needed: true }\ndecide: [auth]\n');
    expect(a.requirements.data.model).toBe('unspecified');
    expect(a.assumptions.join('\n')).toMatch(/data model not given: a database is included/);
  });
});

describe('advise: the database size assumed follows the stage', () => {
  it('assumes 0.5 GB for an MVP, 10 GB growing and 100 GB at scale, and says so', () => {
    for (const [stage, gb] of [['mvp', 0.5], ['growth', 10], ['scale', 100]] as const) {
      const a = run(`stage: ${stage}\ndata: { model: relational }\n`);
      expect(a.requirements.data.size_gb).toBe(gb);
      expect(a.assumptions.join('\n')).toContain(`database size not given: ${gb} GB assumed for the ${stage} stage (--data-gb)`);
    }
    expect(run('stage: growth\ndata: { model: relational, size_gb: 3 }\n').requirements.data.size_gb).toBe(3);
  });
});
