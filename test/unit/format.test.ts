import { describe, expect, it } from 'vitest';
import { bytes, ms, parseDuration, table, visibleLength } from '../../src/format.js';
import { keysOfCommand } from '../../src/dashboard/hotkeys.js';

describe('table', () => {
  it('measures cells by terminal columns, not string length', () => {
    expect(visibleLength('abc')).toBe(3);
    expect(visibleLength('\u001b[31mred\u001b[0m')).toBe(3);
    expect(visibleLength('日本')).toBe(4);
    expect(visibleLength('e\u0301')).toBe(1); // e + combining accent
    const t = table(['NAME', 'N'], [['日本', 1], ['ab', 22]]).split('\n');
    // Every row's second column starts at the same terminal column.
    expect(visibleLength(t[2]!.slice(0, t[2]!.indexOf('1')))).toBe(visibleLength(t[3]!.slice(0, t[3]!.indexOf('22'))));
  });
});

describe('parseDuration', () => {
  it('reads every unit baas options use', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('30min')).toBe(1_800_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('2W')).toBe(1_209_600_000);
  });

  it('uses the default unit for a bare number and refuses what the option does not accept', () => {
    expect(parseDuration('90', { defaultUnit: 's' })).toBe(90_000);
    expect(parseDuration('500', { defaultUnit: 'ms' })).toBe(500);
    expect(parseDuration('7')).toBeUndefined();
    expect(parseDuration('7d', { units: ['ms', 's'] })).toBeUndefined();
    for (const bad of ['', 'd', '-1s', '7 days', '1y', 'abc', '1e3']) expect(parseDuration(bad, { defaultUnit: 's' }), bad).toBeUndefined();
  });
});

describe('bytes and ms', () => {
  it('formats sizes and durations for people', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 kB');
    expect(ms(850)).toBe('850 ms');
    expect(ms(4200)).toBe('4.2 s');
    expect(ms(185_000)).toBe('3 min 5 s');
  });
});

describe('keysOfCommand', () => {
  it("finds keys through Redis' own command table", () => {
    expect(keysOfCommand(['XREAD', 'COUNT', '10', 'STREAMS', 's1', 's2', '0', '0'])).toEqual(['s1', 's2']);
    expect(keysOfCommand(['zunionstore', 'dest', '2', 'a', 'b'])).toEqual(['dest', 'a', 'b']);
    expect(keysOfCommand(['nosuchcommand', 'x'])).toEqual([]);
    expect(keysOfCommand(['eval', 'return 1', 'notanumber'])).toEqual([]);
  });
});
