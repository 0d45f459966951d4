// The round kit's lead tools (test/fixtures/scenarios/cases/round-kit): run as a lead runs them,
// each in a throw-away directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
// @ts-expect-error: a plain .mjs lead tool without type declarations
import { parseGroups, phrases } from '../../fixtures/scenarios/cases/round-kit/older-scorers.mjs';

const kit = path.resolve('test/fixtures/scenarios/cases/round-kit');
const cases = path.resolve('test/fixtures/scenarios/cases');
const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'baas-kit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('writer-task.mjs', () => {
  it('writes one task per corner, each naming its corner and the other writers\' directories', () => {
    const work = scratch();
    execFileSync('node', [path.join(kit, 'writer-task.mjs'), '900', '30', work, '/elsewhere/cases-r899/a', '--corners', 'Iceland|podcasts|weddings|gyms']);
    expect(readdirSync(work).filter((f) => f.startsWith('task-')).sort()).toEqual(['task-r900-a.txt', 'task-r900-b.txt', 'task-r900-c.txt', 'task-r900-d.txt']);
    const d = readFileSync(path.join(work, 'task-r900-d.txt'), 'utf8');
    expect(d).toContain('stories from gyms.');
    expect(d).toContain(`--others ${work}/cases-r900/a,${work}/cases-r900/b,${work}/cases-r900/c,/elsewhere/cases-r899/a `);
    expect(d).toContain('at most 30 search-tool calls');
    expect(d).toContain('One product per developer or studio');
    expect(readFileSync(path.join(work, 'CASES-BRIEF-R900.md'), 'utf8')).toContain('(round 900, blind)');
  });

  it('keeps three writers with no corner when none is given, and refuses --corners with nothing after it', () => {
    const work = scratch();
    execFileSync('node', [path.join(kit, 'writer-task.mjs'), '901', '30', work]);
    expect(readdirSync(work).filter((f) => f.startsWith('task-')).length).toBe(3);
    expect(readFileSync(path.join(work, 'task-r901-a.txt'), 'utf8')).not.toContain('Your corner');
    const bad = spawnSync('node', [path.join(kit, 'writer-task.mjs'), '902', '30', work, '--corners'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('one to four corners');
  });

  it('adds one more writer to a round already started (--add), leaving the other tasks as they are', () => {
    const work = scratch();
    const tool = path.join(kit, 'writer-task.mjs');
    execFileSync('node', [tool, '903', '34', work, '--corners', 'Mexico|Turkey|wikis|mining']);
    const before = readFileSync(path.join(work, 'task-r903-a.txt'), 'utf8');
    const out = execFileSync('node', [tool, '903', '30', work, '/elsewhere/cases-r902/a', '--add', 'breweries'], { encoding: 'utf8' });
    expect(out).toContain('one more writer (e)');
    const e = readFileSync(path.join(work, 'task-r903-e.txt'), 'utf8');
    expect(e).toContain(`Your output directory: ${work}/cases-r903/e (`);
    expect(e).toContain('/tmp/stub-r903-e');
    expect(e).toContain(`--others ${work}/cases-r903/a,${work}/cases-r903/b,${work}/cases-r903/c,${work}/cases-r903/d,/elsewhere/cases-r902/a `);
    expect(e).toContain('stories from breweries.');
    expect(e).toContain('at most 30 search-tool calls');
    expect(e).toContain("Your emphasis: repositories' own docs");
    expect(readFileSync(path.join(work, 'task-r903-a.txt'), 'utf8')).toBe(before);
    const none = spawnSync('node', [tool, '904', '30', work, '--add', 'breweries'], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('round 904 has no writers');
    expect(none.stderr).toContain('hint:');
    const both = spawnSync('node', [tool, '903', '30', work, '--add', 'x', '--corners', 'a|b'], { encoding: 'utf8' });
    expect(both.status).toBe(2);
  });
});

describe('validate-case.mjs', () => {
  it('refuses a case whose address a lead left out of an earlier round, and passes the case it was copied from', () => {
    const work = scratch();
    const [first] = YAML.parse(readFileSync(path.join(kit, 'left-out.yaml'), 'utf8')) as { rounds: number[]; url: string }[];
    const model = readdirSync(cases).filter((f) => f.endsWith('.yaml')).sort()[0]!;
    const text = readFileSync(path.join(cases, model), 'utf8');
    const copy = path.join(work, 'left-out-copy.yaml');
    writeFileSync(copy, text.replace(/^ {2}url: .*$/m, `  url: "${first!.url}"`));
    const run = spawnSync('node', [path.join(kit, 'validate-case.mjs'), copy, path.join(cases, model)], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`FAIL ${copy}`);
    expect(run.stdout).toContain(`was left out of round ${first!.rounds.join(', ')}`);
    expect(run.stdout).toMatch(new RegExp(`^ok .*${model.replace(/[.]/g, '[.]')}`, 'm'));
  });

  it('warns when a new case names the product of an earlier case under another address (session 59 left one out so)', () => {
    const work = scratch();
    const earlier = 'firebase-vanguru-school-transport-flutter.yaml';
    const copy = path.join(work, 'firebase-vanguru-second-page.yaml');
    writeFileSync(copy, readFileSync(path.join(cases, earlier), 'utf8').replace(/^ {2}url: .*$/m, '  url: https://vanguru.invalid/lgpd'));
    const run = spawnSync('node', [path.join(kit, 'validate-case.mjs'), copy], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`! the product name "vanguru" is also used by ${earlier}`);
  });
});

describe('older-scorers.mjs', () => {
  it('reads a group\'s figures from the eval\'s text in both of its formats', () => {
    const text = 'blind_r296 n=39  top-1 20/39 (51%)  top-3 29/39 (74%)  hard-constraint breaks: 0\nblind_r74 (n=43)   top-1 17/43 (40%)  top-3 25/43 (58%)\n';
    expect([...parseGroups(text)]).toEqual([
      ['blind_r296', { n: 39, top1: 20, top3: 29 }],
      ['blind_r74', { n: 43, top1: 17, top3: 25 }],
    ]);
  });

  it('reads counts under ten, which the eval pads with a space (round 94\'s scorer on blind_r335 was lost so in session 65)', () => {
    const text = 'blind_r335 n=27  top-1  9/27 (33%)  top-3 17/27 (63%)  hard-constraint breaks while a clean stack exists: 0\nblind_r9   n= 8  top-1  3/8 (38%)  top-3  5/8 (63%)\n';
    expect([...parseGroups(text)]).toEqual([
      ['blind_r335', { n: 27, top1: 9, top3: 17 }],
      ['blind_r9', { n: 8, top1: 3, top3: 5 }],
    ]);
  });

  it('names neighbouring scorers with the same figures together, and those with today\'s as the same (round 296\'s record)', () => {
    const older = [
      [255, 20, 29], [248, 19, 29], [241, 19, 29], [94, 16, 23], [91, 14, 21], [89, 15, 22], [84, 15, 22],
    ].map(([round, top1, top3]) => ({ round, top1, top3 }));
    const p = phrases('blind_r296', 39, 262, { top1: 20, top3: 29 }, older);
    expect(p.readme).toBe("Scored once: 20/39 first pick, 29/39 in the first three (round 255's the same; round 248's and 241's: 19/39 and 29/39; round 94's: 16/39 and 23/39; round 91's: 14/39 and 21/39; round 89's and 84's: 15/39 and 22/39).");
    expect(p.note).toBe("round 262's scorer again (round 296 changed nothing): 20/39, 29/39; round 255's the same; 248's and 241's 19/39, 29/39; 94's 16/39, 23/39; 91's 14/39, 21/39; 89's and 84's 15/39, 22/39");
  });

  it('lists every scorer it runs, newest first, each with its commit hash as text (an all-digit hash must be quoted in YAML)', () => {
    const scorers = YAML.parse(readFileSync(path.join(kit, 'scorers.yaml'), 'utf8')) as { round: number; commit: string }[];
    expect(scorers.length).toBeGreaterThan(1);
    expect(scorers.map((s) => s.round)).toEqual([...scorers.map((s) => s.round)].sort((a, b) => b - a));
    for (const s of scorers) expect(s.commit).toMatch(/^[0-9a-f]{7,40}$/);
  });
});
