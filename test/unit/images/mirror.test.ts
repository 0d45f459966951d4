import { describe, expect, it } from 'vitest';
import { findDebianMirror, parseAptSourceFiles, parseDeb822Sources, parseOneLineSources } from '../../../src/images/mirror.js';

const DEB822 = `Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe('parseDeb822Sources', () => {
  it('reads each stanza with its types, URIs and suites, skipping comments', () => {
    const s = parseDeb822Sources(DEB822, 'debian.sources');
    expect(s).toHaveLength(2);
    expect(s[0]).toMatchObject({ types: ['deb'], uris: ['http://mirror.example/debian'], suites: ['bookworm', 'bookworm-updates'], enabled: true });
    expect(s[1]?.suites).toEqual(['bookworm-security']);
  });

  it('honours Enabled: no and multi-line fields', () => {
    const text = `Types: deb deb-src
URIs: http://off.example/debian
Suites: bookworm
Enabled: no
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb
URIs: https://on.example/debian/
Suites: bookworm
`;
    const s = parseDeb822Sources(text);
    expect(s.map((x) => x.enabled)).toEqual([false, true]);
    expect(findDebianMirror(s)).toBe('https://on.example/debian');
  });
});

describe('parseOneLineSources', () => {
  it('reads deb lines with and without [options], ignoring comments', () => {
    const text = `# deb http://old.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.example/debian bookworm main contrib
deb-src http://mirror.example/debian bookworm main
deb http://security.example/debian-security bookworm-security main # trailing comment
`;
    const s = parseOneLineSources(text);
    expect(s.map((x) => [x.types[0], x.uris[0], x.suites[0]])).toEqual([
      ['deb', 'http://mirror.example/debian', 'bookworm'],
      ['deb-src', 'http://mirror.example/debian', 'bookworm'],
      ['deb', 'http://security.example/debian-security', 'bookworm-security'],
    ]);
    expect(s[0]?.components).toEqual(['main', 'contrib']);
  });
});

describe('findDebianMirror', () => {
  it('picks the bookworm archive, not the security archive', () => {
    expect(findDebianMirror(parseDeb822Sources(DEB822))).toBe('http://mirror.example/debian');
  });

  it('ignores deb-src-only entries and the security suite listed first', () => {
    const s = parseOneLineSources(`deb http://sec.example/debian-security bookworm-security main
deb-src http://src.example/debian bookworm main
deb http://mirror.example/debian bookworm main`);
    expect(findDebianMirror(s)).toBe('http://mirror.example/debian');
  });

  it('falls back to a mirror that serves another Debian suite (a trixie host)', () => {
    const s = parseOneLineSources('deb http://mirror.example/debian trixie main\ndeb http://mirror.example/debian-security trixie-security main');
    expect(findDebianMirror(s)).toBe('http://mirror.example/debian');
  });

  it('finds nothing on a machine whose apt points at a non-Debian archive', () => {
    const s = parseOneLineSources('deb http://archive.example/ubuntu noble main\ndeb https://apt.example/node nodistro main');
    expect(findDebianMirror(s)).toBeUndefined();
  });

  it('skips URI schemes debootstrap cannot use', () => {
    const s = parseOneLineSources('deb cdrom:[Debian 12]/ bookworm main\ndeb mirror+file:/etc/apt/mirrors.txt bookworm main\ndeb file:/srv/debian bookworm main');
    expect(findDebianMirror(s)).toBe('file:/srv/debian');
  });

  it('parses each file by its format', () => {
    const s = parseAptSourceFiles([
      { path: '/etc/apt/sources.list', text: '' },
      { path: '/etc/apt/sources.list.d/other.list', text: 'deb https://apt.example/node nodistro main' },
      { path: '/etc/apt/sources.list.d/debian.sources', text: DEB822 },
    ]);
    expect(s.map((x) => x.file)).toEqual([
      '/etc/apt/sources.list.d/other.list',
      '/etc/apt/sources.list.d/debian.sources',
      '/etc/apt/sources.list.d/debian.sources',
    ]);
    expect(findDebianMirror(s)).toBe('http://mirror.example/debian');
  });
});
