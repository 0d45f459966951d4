import { describe, expect, it } from 'vitest';
import { advise } from '../../../src/planners/advise.js';
import { loadWeights } from '../../../src/planners/advise-weights.js';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { adviseYaml as run, runCli } from '../../helpers/advise.js';

type Advice = ReturnType<typeof run>;
const data = (a: Advice, key: string) => a.stacks.find((s) => s.key === key)?.criteria.find((c) => c.id === 'data');

/**
 * Round 40: a mobile app that names no data model is judged as keeping documents
 * (advisor-weights.yaml `data.mobile_unspecified`), and advise says so; any other app naming
 * none still finds every model fits.
 */
describe('advise: round 40', () => {
  const mobile = 'app: { kind: mobile, frontend: flutter }\nauth: { needed: true }\n';

  it('judges a mobile app naming no data model as keeping documents, and says so', () => {
    const a = run(mobile, 100);
    expect(data(a, 'firebase')?.score).toBe(1);
    expect(data(a, 'firebase')?.reasons[0]?.text).toMatch(/document data fits Firebase .*\(assumed for a mobile app\)/);
    expect(data(a, 'supabase')?.score).toBeLessThan(1);
    expect(a.assumptions.join('\n')).toMatch(/a mobile app is judged as keeping documents/);
    expect(a.stacks[0]?.key).toBe('firebase');
    // The model itself stays unsaid: the requirements are not rewritten.
    expect(a.requirements.data.model).toBe('unspecified');
  });

  it('reads a mobile frontend under another kind of app the same way', () => {
    const a = run('app: { kind: saas, frontend: react-native }\nauth: { needed: true }\n', 100);
    expect(data(a, 'supabase')?.score).toBeLessThan(1);
  });

  it('takes the model the user names over the assumption', () => {
    const a = run(`${mobile}data: { model: relational }\n`, 100);
    expect(data(a, 'supabase')?.score).toBe(1);
    expect(data(a, 'supabase')?.reasons[0]?.text).not.toMatch(/assumed/);
    expect(a.assumptions.join('\n')).not.toMatch(/judged as keeping/);
  });

  it('leaves a web app naming no data model alone: every model fits', () => {
    // A size says the app keeps data (round 107: sign-in alone no longer does).
    const a = run('app: { kind: web }\ndata: { size_gb: 1 }\nauth: { needed: true }\n', 100);
    expect(data(a, 'supabase')?.score).toBe(1);
    expect(data(a, 'firebase')?.score).toBe(1);
    expect(a.assumptions.join('\n')).toMatch(/no model preferred/);
  });

  it('scores every model alike for mobile too when the weights say unspecified', () => {
    const w = loadWeights();
    const a = advise(loadCatalog(), parseRequirementsText(mobile, 'r.yaml'), { top: 100, weights: { ...w, data: { ...w.data, mobile_unspecified: 'unspecified' } } });
    expect(data(a, 'supabase')?.score).toBe(1);
    expect(a.assumptions.join('\n')).toMatch(/no model preferred/);
  });

  it('prints the assumption from the command line', async () => {
    const { code, out } = await runCli(['advise', '--kind', 'mobile', '--frontend', 'flutter', '--mau', '1000']);
    expect(code).toBe(0);
    expect(out).toMatch(/a mobile app is judged as keeping documents/);
    expect(out).toMatch(/\(assumed for a mobile app\)/);
  });
});
