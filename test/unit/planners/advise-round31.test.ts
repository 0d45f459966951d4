import { describe, expect, it } from 'vitest';
import { adviseYaml as run } from '../../helpers/advise.js';

const maturityOf = (a: ReturnType<typeof run>, key: string) => {
  const c = a.stacks.find((s) => s.key === key)!.criteria.find((x) => x.id === 'maturity')!;
  return { score: c.score, text: c.reasons.map((r) => r.text).join('\n') };
};

/** Round 31: an SLA written for one product (Firebase's is Firestore's) counts only where the stack uses that product. */
describe('advise: round 31', () => {
  it('gives Firebase its SLA when it holds the database', () => {
    const m = maturityOf(run('data: { model: document }\ndecide: [database]\n'), 'firebase');
    expect(m.text).toMatch(/Firebase: in production since 2020-01 .*99\.999% uptime SLA/);
  });

  it('gives Firebase no SLA when it holds only the sign-in, and says what the SLA covers', () => {
    const withDb = maturityOf(run('data: { model: document }\ndecide: [database]\n'), 'firebase');
    const m = maturityOf(run('auth: { needed: true }\ndecide: [auth]\n'), 'firebase');
    expect(m.text).toMatch(/Firebase: in production since 2020-01 .*no published SLA for the auth it holds here \(its 99\.999% SLA covers the database\)/);
    expect(m.score).toBeLessThan(withDb.score);
  });

  it('leaves an SLA without `covers` applying to every role (Auth0 holding only the sign-in)', () => {
    const m = maturityOf(run('auth: { needed: true }\ndecide: [auth]\n'), 'auth0');
    expect(m.text).toMatch(/Auth0: .*99\.99% uptime SLA/);
  });
});
