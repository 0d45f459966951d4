import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import type { Manifest } from '../../../src/backup/manifest.js';
import { backupId, parseManifest } from '../../../src/backup/manifest.js';
import { parseListing, type RepoListing } from '../../../src/backup/repo.js';
import { isAbandoned, planPrune } from '../../../src/backup/prune.js';
import { analyse, parseTarget, planRestore } from '../../../src/backup/window.js';
import { formatLsn, parseHistory, parseLsn, parseSegmentName, segmentName, segmentOf, timelineForSegment, timelinePath } from '../../../src/backup/wal.js';

const MB16 = 16 * 1024 * 1024;

function manifest(over: Partial<Manifest> & Pick<Manifest, 'id' | 'startLsn' | 'stopLsn' | 'stoppedAt'>): Manifest {
  return {
    format: 1,
    label: null,
    project: 'p',
    systemIdentifier: '7',
    pgVersion: '18.4',
    method: 'archive',
    timeline: 1,
    startWal: segmentName(1, segmentOf(parseLsn(over.startLsn))),
    stopWal: segmentName(1, segmentOf(parseLsn(over.stopLsn) - 1n)),
    walSegmentSize: MB16,
    startedAt: over.stoppedAt,
    durationMs: 1000,
    dataBytes: 100,
    storedBytes: 50,
    platformCounts: null,
    databases: ['app', 'postgres'],
    redis: null,
    mongo: null,
    notes: [],
    ...over,
  };
}

const wal = (tli: number, seg: number, at: string) => ({ name: segmentName(tli, BigInt(seg)), bytes: 1000, archivedAt: new Date(at).toISOString(), segment: { timeline: tli, segno: BigInt(seg) } });

function listing(backups: Manifest[], walFiles: ReturnType<typeof wal>[], histories: [number, string][] = []): RepoListing {
  return {
    missing: false,
    cluster: '7',
    wal: walFiles,
    histories: new Map(histories.map(([t, text]) => [t, parseHistory(text)])),
    backups,
    partials: [],
    damaged: [],
    disk: undefined,
  };
}

describe('WAL names and LSNs', () => {
  it('maps LSNs to segment names as Postgres does', () => {
    expect(parseLsn('0/2000028')).toBe(0x2000028n);
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(segmentName(1, segmentOf(parseLsn('16/B374D848')))).toBe('0000000100000016000000B3');
    expect(parseSegmentName('0000000200000001000000FF')).toEqual({ timeline: 2, segno: 0x1ffn });
    expect(parseSegmentName('00000002.history')).toBeUndefined();
  });

  it('follows a timeline history: the child holds the segment of the switch', () => {
    const path = timelinePath(2, parseHistory('1\t0/7000100\tno recovery target specified\n'));
    expect(timelineForSegment(path, 6n)).toBe(1);
    expect(timelineForSegment(path, 7n)).toBe(2);
    expect(timelineForSegment(path, 9n)).toBe(2);
  });
});

describe('the recoverable window', () => {
  const b1 = manifest({ id: backupId(new Date('2026-01-01T10:00:00Z'), 'aaaa'), label: 'first', startLsn: '0/2000028', stopLsn: '0/2000120', stoppedAt: '2026-01-01T10:00:02.000Z' });
  const b2 = manifest({ id: backupId(new Date('2026-01-01T11:00:00Z'), 'bbbb'), label: 'second', startLsn: '0/5000028', stopLsn: '0/5000120', stoppedAt: '2026-01-01T11:00:02.000Z' });
  const all = [wal(1, 2, '2026-01-01T10:00:03Z'), wal(1, 3, '2026-01-01T10:20:00Z'), wal(1, 4, '2026-01-01T10:40:00Z'), wal(1, 5, '2026-01-01T11:00:03Z'), wal(1, 6, '2026-01-01T11:30:00Z')];

  it('runs from the end of the oldest restorable backup to the newest archived segment', () => {
    const a = analyse(listing([b1, b2], all));
    expect(a.backups.map((b) => b.usable)).toEqual([true, true]);
    expect(a.window).toMatchObject({ earliest: '2026-01-01T10:00:02.000Z', latest: '2026-01-01T11:30:00.000Z', segments: 5, openEnded: true, gaps: [] });
    expect(a.window.ranges).toHaveLength(1);
  });

  it('breaks at a missing segment: the older backup reaches only up to the gap', () => {
    const a = analyse(listing([b1, b2], all.filter((w) => w.name !== segmentName(1, 4n))));
    expect(a.window.ranges.map((r) => [r.from, r.to])).toEqual([
      ['2026-01-01T10:00:02.000Z', '2026-01-01T10:20:00.000Z'],
      ['2026-01-01T11:00:02.000Z', '2026-01-01T11:30:00.000Z'],
    ]);
    expect(a.window.gaps[0]).toMatch(/segment 4/);
  });

  it('does not count a backup whose own WAL is missing', () => {
    const a = analyse(listing([b1, b2], all.filter((w) => w.name !== segmentName(1, 5n))));
    expect(a.backups[1]).toMatchObject({ usable: false, problem: expect.stringMatching(/segment 5 is not in the archive/) });
  });

  it('marks a backup on a timeline that an in-place restore abandoned', () => {
    // Timeline 2 branched off at 0/3000100: b2 (taken later on timeline 1) is not on its history.
    const files = [...all.slice(0, 2), wal(2, 3, '2026-01-01T12:00:00Z'), wal(2, 4, '2026-01-01T12:10:00Z')];
    const a = analyse(listing([b1, b2], files, [[2, '1\t0/3000100\tbefore 2026-01-01 10:10:00+00\n']]));
    expect(a.window.timeline).toBe(2);
    expect(a.backups[0]!.usable).toBe(true);
    expect(a.backups[1]).toMatchObject({ usable: false, problem: expect.stringMatching(/abandoned/) });
    expect(a.window.latest).toBe('2026-01-01T12:10:00.000Z');
  });

  it('is empty without a complete backup', () => {
    const a = analyse(listing([], all));
    expect(a.window).toMatchObject({ ranges: [], earliest: undefined, latest: undefined, openEnded: false });
  });
});

describe('restore targets', () => {
  const b1 = manifest({ id: '20260101T100000Z-aaaa', label: 'first', startLsn: '0/2000028', stopLsn: '0/2000120', stoppedAt: '2026-01-01T10:00:02.000Z' });
  const b2 = manifest({ id: '20260101T110000Z-bbbb', label: 'second', startLsn: '0/5000028', stopLsn: '0/5000120', stoppedAt: '2026-01-01T11:00:02.000Z' });
  const a = analyse(listing([b1, b2], [wal(1, 2, '2026-01-01T10:00:03Z'), wal(1, 3, '2026-01-01T10:30:00Z'), wal(1, 4, '2026-01-01T10:50:00Z'), wal(1, 5, '2026-01-01T11:00:03Z'), wal(1, 6, '2026-01-01T11:30:00Z')]));
  const now = new Date('2026-01-01T12:00:00Z');

  it('reads times, LSNs, latest and labels', () => {
    expect(parseTarget('2026-01-01 10:30:00+00')).toMatchObject({ kind: 'time', at: new Date('2026-01-01T10:30:00Z') });
    expect(parseTarget('2026-01-01T10:30:00.250Z')).toMatchObject({ kind: 'time', at: new Date('2026-01-01T10:30:00.250Z') });
    expect(parseTarget('2026-01-01 11:30:00+0130')).toMatchObject({ kind: 'time', at: new Date('2026-01-01T10:00:00Z') });
    expect(parseTarget('0/5000200')).toMatchObject({ kind: 'lsn', lsn: 0x5000200n });
    expect(parseTarget('latest')).toEqual({ kind: 'latest' });
    expect(parseTarget('before-migration')).toEqual({ kind: 'label', name: 'before-migration' });
    expect(() => parseTarget('2026-13-45 99:00')).toThrow(UserError);
  });

  it('picks the newest backup that ends before the time, with recovery_target_time', () => {
    expect(planRestore(parseTarget('2026-01-01T10:30:00Z'), a, now)).toMatchObject({ backup: { id: b1.id }, settings: { recovery_target_time: '2026-01-01 10:30:00.000+00', recovery_target_action: 'promote' } });
    expect(planRestore(parseTarget('2026-01-01T11:10:00Z'), a, now).backup.id).toBe(b2.id);
  });

  it('restores a label to the end of its backup (recovery_target immediate)', () => {
    expect(planRestore(parseTarget('first'), a, now)).toMatchObject({ backup: { id: b1.id }, settings: { recovery_target: 'immediate' } });
    expect(planRestore(parseTarget(b2.id), a, now).backup.id).toBe(b2.id);
  });

  it('uses recovery_target_lsn for an LSN inside the window', () => {
    expect(planRestore(parseTarget('0/5800000'), a, now)).toMatchObject({ backup: { id: b2.id }, settings: { recovery_target_lsn: '0/5800000' } });
  });

  it('refuses a time in the future, before the window, after it, and an unknown label, naming the window', () => {
    const err = (t: string): UserError => {
      try {
        planRestore(parseTarget(t), a, now);
      } catch (e) {
        return e as UserError;
      }
      throw new Error('no error');
    };
    expect(err('2026-01-01T13:00:00Z').message).toMatch(/is in the future/);
    expect(err('2026-01-01T09:00:00Z').message).toBe('2026-01-01T09:00:00Z is outside the recoverable window (2026-01-01T10:00:02.000Z to 2026-01-01T11:30:00.000Z).');
    expect(err('2026-01-01T11:45:00Z').message).toMatch(/outside the recoverable window/);
    expect(err('0/1000000').message).toMatch(/LSN 0\/1000000 is outside/);
    const unknown = err('nope');
    expect(unknown.message).toBe("There is no backup labelled or named 'nope'.");
    expect(unknown.exitCode).toBe(2);
    expect(unknown.hint).toMatch(/first, second/);
  });
});

describe('repository listings', () => {
  it('parses what the listing script prints', () => {
    const m = manifest({ id: '20260101T100000Z-aaaa', startLsn: '0/2000028', stopLsn: '0/2000120', stoppedAt: '2026-01-01T10:00:02.000Z' });
    const text = [
      '@cluster 7',
      '@wal 000000010000000000000002.gz 2048 1767261603.5',
      '@wal 00000002.history.gz 60 1767261700',
      '@history 00000002.history.gz',
      '1\t0/3000100\tno recovery target specified',
      '',
      '@end',
      '@manifest 20260101T100000Z-aaaa',
      JSON.stringify(m, null, 2),
      '',
      '@end',
      '@manifest 20260101T100000Z-bbbb',
      '{"broken": true',
      '@end',
      '@partial 20260101T110000Z-cccc.partial 1767265200 busy {"host":"h","pid":12,"startedAt":"x"}',
      '@df 1000000 5000',
    ].join('\n');
    const l = parseListing(text);
    expect(l.cluster).toBe('7');
    expect(l.wal.map((w) => w.name)).toEqual(['000000010000000000000002', '00000002.history']);
    expect(l.wal[0]).toMatchObject({ bytes: 2048, archivedAt: '2026-01-01T10:00:03.500Z', segment: { timeline: 1, segno: 2n } });
    expect(l.histories.get(2)).toEqual([{ timeline: 1, switchLsn: 0x3000100n }]);
    expect(l.backups.map((b) => b.id)).toEqual(['20260101T100000Z-aaaa']);
    expect(l.damaged).toEqual(['20260101T100000Z-bbbb']);
    expect(l.partials).toEqual([{ id: '20260101T110000Z-cccc', modifiedAt: '2026-01-01T11:00:00.000Z', busy: true, owner: { host: 'h', pid: 12, startedAt: 'x' } }]);
    expect(l.disk).toEqual({ totalBytes: 1000000, freeBytes: 5000 });
    expect(parseListing('@missing\n').missing).toBe(true);
  });

  it('never takes a damaged manifest for a backup', () => {
    expect(parseManifest('{}')).toBeUndefined();
    expect(parseManifest('not json')).toBeUndefined();
  });
});

describe('retention', () => {
  const mk = (n: number, usable = true) =>
    manifest({ id: `2026010${n}T100000Z-aaaa`, startLsn: `0/${n + 1}000028`, stopLsn: `0/${n + 1}000120`, stoppedAt: `2026-01-0${n}T10:00:02.000Z`, ...(usable ? {} : { stopLsn: `0/${n + 2}000120` }) });
  const now = new Date('2026-01-09T00:00:00Z');

  it('keeps the newest `keep` restorable backups and the WAL from the oldest kept one on', () => {
    const backups = [mk(1), mk(2), mk(3), mk(4)];
    const files = [2, 3, 4, 5, 6].map((s) => wal(1, s, `2026-01-0${s - 1}T10:00:03Z`));
    const l = listing(backups, files);
    const p = planPrune(l, analyse(l), 2, now);
    expect(p.removeBackups.map((b) => b.id)).toEqual([mk(2).id, mk(1).id]);
    expect(p.keptBackups).toEqual([mk(4).id, mk(3).id]);
    expect(p.removeWal).toEqual([segmentName(1, 2n), segmentName(1, 3n)]);
  });

  it('never counts an unrestorable backup toward keep, so the window keeps what keep promises', () => {
    // The newest backup's WAL is missing: it does not count; the two before it are kept.
    const backups = [mk(1), mk(2), mk(3), mk(4, false)];
    const files = [2, 3, 4, 5].map((s) => wal(1, s, `2026-01-0${s - 1}T10:00:03Z`));
    const l = listing(backups, files);
    const a = analyse(l);
    expect(a.backups.find((b) => b.manifest.id === mk(4).id)!.usable).toBe(false);
    const p = planPrune(l, a, 2, now);
    expect(p.keptBackups).toContain(mk(2).id);
    expect(p.keptBackups).toContain(mk(3).id);
    expect(p.removeBackups.map((b) => b.id)).toEqual([mk(1).id]);
  });

  it('removes nothing but abandoned partials when no backup is restorable', () => {
    const l = { ...listing([], [wal(1, 2, '2026-01-01T10:00:00Z')]), partials: [{ id: 'x', modifiedAt: '2026-01-08T00:00:00Z', busy: false, owner: undefined }] };
    const p = planPrune(l, analyse(l), 2, now);
    expect(p).toMatchObject({ removeBackups: [], removeWal: [], removePartials: ['x.partial'] });
    expect(p.notes[0]).toMatch(/no restorable base backup/);
  });

  it('treats a partial as abandoned only when no copy writes it and its owner is gone', () => {
    const fresh = { id: 'x', modifiedAt: '2026-01-08T23:00:00Z', busy: false, owner: { host: 'h', pid: 1, startedAt: '' } };
    expect(isAbandoned(fresh, now, () => true)).toBe(true);
    expect(isAbandoned(fresh, now, () => false)).toBe(false);
    expect(isAbandoned({ ...fresh, busy: true }, now, () => true)).toBe(false);
    expect(isAbandoned({ ...fresh, modifiedAt: '2026-01-07T00:00:00Z' }, now, () => false)).toBe(true);
  });
});
