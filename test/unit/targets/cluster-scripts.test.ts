import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterSentinelStart, findMaster, watchPeers } from '../../../src/targets/cluster-scripts.js';

/**
 * The start scripts' "who is master now?" (cluster-scripts.ts), run by a real shell against a
 * stand-in redis-cli on PATH that answers from files: sentinel-<host> for SENTINEL
 * get-master-addr-by-name, node-<host> for INFO replication (in a temporary directory); no file, no answer.
 */

const run = promisify(execFile);
let dir: string;

const FAKE_CLI = `#!/bin/sh
h=""; p=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h) h="$2"; shift 2 ;;
    -p) p="$2"; shift 2 ;;
    *) shift ;;
  esac
done
if [ "$p" = 26379 ]; then f="$ANSWERS/sentinel-$h"; else f="$ANSWERS/node-$h"; fi
[ -f "$f" ] || exit 1
# INFO answers with CRLF line ends, as the real one does.
sed 's/$/\\r/' "$f"
`;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'baas-find-master-'));
  writeFileSync(path.join(dir, 'redis-cli'), FAKE_CLI);
  chmodSync(path.join(dir, 'redis-cli'), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const answer = (name: string, text: string): void => writeFileSync(path.join(dir, name), `${text}\n`);

async function master(me: string, wait: number, nodes = 'redis-1 redis-2 redis-3'): Promise<{ master: string; err: string; ms: number }> {
  const t0 = Date.now();
  const script = `set -eu\n${findMaster(false, String(wait))}\necho "$MASTER"`;
  const r = await run('sh', ['-c', script], {
    env: {
      PATH: `${dir}:${process.env['PATH'] ?? ''}`,
      ANSWERS: dir,
      BAAS_ME: me,
      BAAS_SENTINELS: 'sentinel-1 sentinel-2 sentinel-3',
      BAAS_NODES: nodes,
      BAAS_FALLBACK_MASTER: 'redis-1',
      SENTINEL_MASTER: 'mymaster',
    },
  });
  return { master: r.stdout.trim(), err: r.stderr, ms: Date.now() - t0 };
}

const replicaOf = (m: string, link: 'up' | 'down'): string => `# Replication\nrole:slave\nmaster_host:${m}\nmaster_port:6379\nmaster_link_status:${link}`;
const masterWith = (replicas: number): string => `# Replication\nrole:master\nconnected_slaves:${replicas}`;

describe('finding the master when a Redis node or Sentinel starts on a cluster', () => {
  it('follows the sentinels first', async () => {
    answer('sentinel-sentinel-2', 'redis-3\n6379');
    answer('node-redis-2', replicaOf('redis-2', 'up'));
    expect((await master('redis-1', 0)).master).toBe('redis-3');
  });

  it('without sentinels, takes the master a linked replica names, or a master with replicas attached', async () => {
    answer('node-redis-3', replicaOf('redis-2', 'up'));
    expect((await master('redis-1', 0)).master).toBe('redis-2');
    rmSync(path.join(dir, 'node-redis-3'));
    answer('node-redis-2', masterWith(1));
    expect((await master('redis-1', 0)).master).toBe('redis-2');
  });

  it('does not take a replica whose link is down, or a master with no replicas, as evidence', async () => {
    answer('node-redis-2', masterWith(0));
    answer('node-redis-3', replicaOf('redis-2', 'down'));
    const r = await master('redis-1', 0);
    expect(r.master).toBe('redis-1');
    expect(r.err).toBe('');
  });

  it('on a first start (no wait) falls back to the first master at once when nobody answers', async () => {
    const r = await master('redis-2', 0);
    expect(r).toMatchObject({ master: 'redis-1', err: '' });
    expect(r.ms).toBeLessThan(900);
  });

  it('after a restart keeps asking while the wait lasts, and takes the answer that comes', async () => {
    // A node back from a partition: nobody answers at first; the sentinels do a moment later.
    setTimeout(() => answer('sentinel-sentinel-3', 'redis-2\n6379'), 1200);
    const r = await master('redis-1', 30);
    expect(r.master).toBe('redis-2');
    expect(r.err).toBe('');
  });

  it('falls back only when the wait is over, and says so', async () => {
    const r = await master('redis-1', 1);
    expect(r.master).toBe('redis-1');
    expect(r.err).toMatch(/no sentinel or node answered within 1 s; starting with the first master, redis-1/);
  });

  it('with a single node, that node answering as master is the master', async () => {
    answer('node-redis-1', masterWith(0));
    const r = await master('sentinel-1', 30, 'redis-1');
    expect(r).toMatchObject({ master: 'redis-1', err: '' });
  });
});

describe("a sentinel's watch on its own view (a master other than every peer's stops it, so it restarts)", () => {
  /** Runs the watch (every 0.1 s, 3 checks) as sentinel-2 for at most `ms`, against a stand-in Sentinel process (a sleep). */
  async function watch(ms: number): Promise<{ code: number | null; err: string; stopped: boolean }> {
    const file = path.join(dir, 'watch.sh');
    writeFileSync(file, watchPeers(false, 0.1, 3));
    const sentinel = spawn('sleep', ['30']);
    const exited = new Promise<boolean>((resolve) => sentinel.on('exit', (_code, signal) => resolve(signal === 'SIGTERM')));
    try {
      const r = await run('timeout', [String(ms / 1000), 'sh', file, String(sentinel.pid)], {
        env: { PATH: `${dir}:${process.env['PATH'] ?? ''}`, ANSWERS: dir, BAAS_ME: 'sentinel-2', BAAS_SENTINELS: 'sentinel-1 sentinel-2 sentinel-3', SENTINEL_MASTER: 'mymaster' },
      }).then(
        (o) => ({ code: 0, err: o.stderr }),
        (e: { code: number; stderr: string }) => ({ code: e.code, err: e.stderr }),
      );
      const stopped = await Promise.race([exited, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200))]);
      return { ...r, stopped };
    } finally {
      sentinel.kill('SIGKILL');
    }
  }
  const views = (mine: string, one: string | undefined, three: string | undefined): void => {
    answer('sentinel-127.0.0.1', `${mine}\n6379`);
    if (one) answer('sentinel-sentinel-1', `${one}\n6379`);
    if (three) answer('sentinel-sentinel-3', `${three}\n6379`);
  };

  it('stops the Sentinel when every other sentinel follows another master, and says why', async () => {
    views('redis-1', 'redis-3', 'redis-3');
    const r = await watch(5000);
    expect(r).toMatchObject({ code: 0, stopped: true });
    expect(r.err).toMatch(/sentinel-2 follows redis-1 but every other sentinel follows redis-3; stopping it so that it restarts and rejoins them/);
  });

  it.each([
    ['its peers follow the same master', 'redis-1', 'redis-1'],
    ['a peer does not answer', 'redis-3', undefined],
    ['the peers differ', 'redis-3', 'redis-2'],
  ])('leaves the Sentinel alone when %s', async (_what, one, three) => {
    views('redis-1', one, three);
    const r = await watch(1500);
    expect(r).toMatchObject({ code: 124, err: '', stopped: false });
  });

  it('runs beside the Sentinel as the redis user, and the Sentinel gets no password in its environment', () => {
    const script = clusterSentinelStart({ tls: true });
    expect(script).toContain(watchPeers(true));
    expect(script).toMatch(/setpriv --reuid=redis --regid=redis --init-groups sh "\$D\/watch\.sh" "\$\$" &\nunset REDISCLI_AUTH\nexec setpriv/);
  });
});
