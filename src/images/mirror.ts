/**
 * Finds the Debian mirror this machine's apt already uses, so debootstrap fetches from the
 * same place (machines may reach only one mirror). Pure parsing over file contents; reading
 * the files lives in host.ts.
 */

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  enabled: boolean;
  /** The file the entry came from, for messages. */
  file: string;
}

export interface AptSourceFile {
  path: string;
  text: string;
}

/** Parses deb822 `.sources` text: stanzas separated by blank lines, `Key: value` fields. */
export function parseDeb822Sources(text: string, file = '(deb822)'): AptSource[] {
  const stanzas: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  let lastKey: string | undefined;
  const flush = (): void => {
    if (Object.keys(current).length > 0) stanzas.push(current);
    current = {};
    lastKey = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '') {
      flush();
      continue;
    }
    if (raw.startsWith('#')) continue;
    if (/^[ \t]/.test(raw)) {
      // A continuation line extends the previous field (multi-line values such as Signed-By).
      if (lastKey) current[lastKey] = `${current[lastKey] ?? ''}\n${raw.trim()}`;
      continue;
    }
    const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(raw);
    if (!m) continue;
    lastKey = m[1]!.toLowerCase();
    current[lastKey] = m[2]!.trim();
  }
  flush();
  const words = (v: string | undefined): string[] => (v ?? '').split(/\s+/).filter(Boolean);
  return stanzas.map((s) => ({
    types: words(s['types']),
    uris: words(s['uris']),
    suites: words(s['suites']),
    components: words(s['components']),
    enabled: !/^(no|false|0)$/i.test(s['enabled'] ?? 'yes'),
    file,
  }));
}

/** Parses one-line `sources.list` text: `deb [options] uri suite component...`. */
export function parseOneLineSources(text: string, file = '(sources.list)'): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const m = /^(deb|deb-src)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) continue;
    out.push({
      types: [m[1]!],
      uris: [m[2]!],
      suites: [m[3]!],
      components: (m[4] ?? '').split(/\s+/).filter(Boolean),
      enabled: true,
      file,
    });
  }
  return out;
}

/** Parses each file by its format: `.sources` is deb822, everything else one-line. */
export function parseAptSourceFiles(files: AptSourceFile[]): AptSource[] {
  return files.flatMap((f) => (f.path.endsWith('.sources') ? parseDeb822Sources(f.text, f.path) : parseOneLineSources(f.text, f.path)));
}

// Suites served by the main Debian archive. Any of them proves the URI is a Debian mirror,
// which then serves bookworm too (a trixie host can still bootstrap bookworm).
const DEBIAN_SUITES = new Set(['bullseye', 'bookworm', 'trixie', 'forky', 'sid', 'oldstable', 'stable', 'testing', 'unstable']);
const SUPPORTED_URI = /^(https?|file):/;

/**
 * The mirror debootstrap should use for `suite`: the first enabled binary (`deb`) source that
 * lists the suite itself; failing that, the first that lists another Debian archive suite.
 * Security and other pocket suites (`bookworm-security`) do not count: they are separate archives.
 */
export function findDebianMirror(sources: AptSource[], suite = 'bookworm'): string | undefined {
  const usable = sources.filter((s) => s.enabled && s.types.includes('deb'));
  const pick = (pred: (suites: string[]) => boolean): string | undefined => {
    for (const s of usable) {
      if (!pred(s.suites)) continue;
      const uri = s.uris.find((u) => SUPPORTED_URI.test(u));
      if (uri) return uri.replace(/\/+$/, '');
    }
    return undefined;
  };
  return pick((suites) => suites.includes(suite)) ?? pick((suites) => suites.some((x) => DEBIAN_SUITES.has(x)));
}
