import { it } from 'vitest';
import { loadCatalog } from '../../../src/planners/catalog.js';
import { advise } from '../../../src/planners/advise.js';
import { parseRequirementsText } from '../../../src/planners/requirements.js';
import { readFileSync, readdirSync } from 'node:fs';
it('x', () => {
  const c = loadCatalog();
  for (const f of readdirSync('test/fixtures/scenarios')) {
    const r = parseRequirementsText(readFileSync('test/fixtures/scenarios/' + f, 'utf8'), f);
    const t = Date.now();
    const a = advise(c, r);
    console.log(f, 'considered', a.considered, Date.now() - t, 'ms', 'expect', r.expect?.any_of, a.conflicts.map(x=>x.text));
    const all = advise(c, r, {top: 100000}).stacks; for (const k of r.expect?.any_of ?? []) { const s = all.find(x=>x.key===k); console.log('   expected', k, s?.rank, s?.score, s?.violations.map(v=>v.text)); }
    for (const s of a.stacks) console.log('  ', s.rank, s.key, s.score, s.cost.monthly, s.cost.hasUnknown ? '+?' : '', s.violations.map(v=>v.text).join(' | '), s.criteria.map(c=>c.id+':'+c.score.toFixed(2)).join(' '));
  }
});
