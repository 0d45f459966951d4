import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DiagnosedEngine } from './harness.js';

/**
 * A multi-node Docker Swarm on one machine, for tests. Each node is an extra dockerd in its own
 * network namespace, entered with `nsenter --net=` (not `ip netns exec`, which remounts /sys and
 * hides the cgroups), with its own data root, exec root, pidfile, socket, containerd namespace,
 * cgroup parent and host name, and with `--iptables=false --bridge=none`, so the machine's own
 * dockerd is never touched.
 *
 * Network: the node namespaces are joined by veth pairs on a bridge that lives in a small
 * "switch" namespace of its own, with one more veth to the host (so the tests reach the nodes'
 * published ports). The bridge is not in the host namespace because there br_netfilter hands
 * bridged frames to the host's iptables FORWARD chain, whose policy the main dockerd sets to
 * DROP. The node namespaces have no default route: nothing they do (an image pull, a DNS
 * query) can leave the machine; it fails at once instead.
 *
 * Everything lives under /tmp/baas-swarm/<id>; a fixture whose owning process died is swept
 * by the next start. Images move from the main daemon with `docker save | docker load`.
 */

export interface SwarmNode {
  index: number;
  /** Host name, which is the Swarm node name: baas-<id>-n1. */
  name: string;
  addr: string;
  socket: string;
  /** DOCKER_HOST value for this node's daemon. */
  dockerHost: string;
  netns: string;
  dir: string;
  /** The veth end on the switch; taking it down cuts the node off. */
  link: string;
}

export interface SwarmFixture {
  id: string;
  nodes: SwarmNode[];
  manager: SwarmNode;
  /** The host's own address on the fixture network. */
  hostAddr: string;
  /** `docker` CLI against one node; returns stdout. */
  docker(node: SwarmNode, args: string[], input?: Buffer): string;
  cutLink(node: SwarmNode): void;
  restoreLink(node: SwarmNode): void;
  stopDaemon(node: SwarmNode): Promise<void>;
  startDaemon(node: SwarmNode): Promise<void>;
  /** The nodes' engines, for the diagnostics of a failed test (harness.ts). */
  engines: DiagnosedEngine[];
  /** Milliseconds each phase took: daemons, swarm, images. */
  timings: Record<string, number>;
  teardown(): Promise<number>;
}

const ROOT = '/tmp/baas-swarm';
const sh = (cmd: string, args: string[], input?: Buffer): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], ...(input ? { input } : {}), maxBuffer: 64 * 1024 * 1024 });
const trySh = (cmd: string, args: string[]): void => {
  try {
    sh(cmd, args);
  } catch {
    /* best effort */
  }
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Meta {
  id: string;
  owner: number;
  nodes: number;
}

/** A /24 in 10.198.0.0/16 that no route on the host uses. */
function pickSubnet(): string {
  const routes = sh('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let i = 0; i < 50; i++) {
    const x = 1 + Math.floor(Math.random() * 250);
    const prefix = `10.198.${x}`;
    if (!routes.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.198.x.0/24 for the swarm fixture');
}

function nodeOf(id: string, prefix: string, i: number): SwarmNode {
  const dir = path.join(ROOT, id, `n${i}`);
  const socket = path.join(dir, 'docker.sock');
  return { index: i, name: `baas-${id}-n${i}`, addr: `${prefix}.${10 + i}`, socket, dockerHost: `unix://${socket}`, netns: `bsw-${id}-n${i}`, dir, link: `n${i}` };
}

function daemonArgs(id: string, node: SwarmNode): string[] {
  const args = [
    `--net=/run/netns/${node.netns}`,
    'unshare', '--uts', 'sh', '-c', `hostname ${node.name} && exec "$@"`, 'baas-node',
    'dockerd',
    '--config-file', path.join(node.dir, 'daemon.json'),
    '--data-root', path.join(node.dir, 'data'),
    '--exec-root', path.join(node.dir, 'exec'),
    '--pidfile', path.join(node.dir, 'docker.pid'),
    '-H', node.dockerHost,
    '--iptables=false', '--ip6tables=false', '--bridge=none',
    '--dns', node.addr,
    '--containerd-namespace', `bsw-${id}-n${node.index}`,
    '--containerd-plugins-namespace', `bsw-${id}-n${node.index}-plugins`,
    '--cgroup-parent', `/bsw-${id}-n${node.index}`,
  ];
  return args;
}

async function waitForDaemon(node: SwarmNode, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      sh('docker', ['-H', node.dockerHost, 'version', '--format', '{{.Server.Version}}']);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`dockerd of ${node.name} did not answer within ${timeoutMs} ms: ${String(e)}\n${tail(path.join(node.dir, 'dockerd.log'))}`);
      await sleep(100);
    }
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * A stub DNS server in each node's namespace that answers NXDOMAIN at once. It stands in for the
 * upstream DNS a real network has: Docker's embedded DNS forwards names it does not know (such as
 * the service names of a lost node's tasks) upstream, and with no upstream at all every such
 * lookup waits ~20 s. Sentinel resolves names synchronously, so it would stall into TILT mode.
 */
const DNS_STUB = `
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => {
  if (m.length < 12) return;
  let i = 12;
  while (i < m.length && m[i] !== 0) i += m[i] + 1;
  const q = Buffer.from(m.subarray(0, Math.min(m.length, i + 5))); // header and question only
  q[2] = 0x80 | (m[2] & 0x79); // response, same opcode, keep RD
  q[3] = 0x80 | 3;             // RA, NXDOMAIN
  q.writeUInt16BE(1, 4); q.writeUInt16BE(0, 6); q.writeUInt16BE(0, 8); q.writeUInt16BE(0, 10);
  s.send(q, r.port, r.address);
});
// Bound to the node's address, not 0.0.0.0: the reply must come from the address asked
// (the embedded DNS uses a connected socket), not from whichever the route picks.
s.bind(53, process.argv[1]);
`;

function launchDns(node: SwarmNode): void {
  spawn('nsenter', [`--net=/run/netns/${node.netns}`, process.execPath, '-e', DNS_STUB, node.addr], { detached: true, stdio: 'ignore' }).unref();
}

function launch(id: string, node: SwarmNode): void {
  const log = openSync(path.join(node.dir, 'dockerd.log'), 'a');
  const child = spawn('nsenter', daemonArgs(id, node), { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  closeSync(log);
}

function daemonPid(node: SwarmNode): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(node.dir, 'docker.pid'), 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function stopDaemon(node: SwarmNode, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<void> {
  const pid = daemonPid(node);
  if (!pid || !alive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await sleep(200);
      break;
    }
    await sleep(100);
  }
}

/** Inode of a network namespace, to find the processes living in it. */
function netnsInode(file: string): string | undefined {
  try {
    return String(statSync(file).ino);
  } catch {
    return undefined;
  }
}

/**
 * Kills a node outright: its dockerd first (so nothing restarts), then whatever else lives in
 * its network namespace (containerd, shims, docker-proxy), then the containers' processes,
 * found through the node's cgroup parent. A graceful stop of a swarm daemon takes 5-10 s per
 * node and is pointless when everything is thrown away.
 */
function killNode(id: string, node: SwarmNode): void {
  const pid = daemonPid(node);
  if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  const ino = netnsInode(`/run/netns/${node.netns}`);
  const victims = new Set<number>();
  for (const p of safeReaddir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (ino && readlinkSync(`/proc/${p}/ns/net`) === `net:[${ino}]`) victims.add(Number(p));
    } catch {
      /* gone */
    }
  }
  for (const ctl of safeReaddir('/sys/fs/cgroup')) {
    const root = `/sys/fs/cgroup/${ctl}/bsw-${id}-n${node.index}`;
    for (const sub of ['', ...safeReaddir(root)]) {
      try {
        for (const l of readFileSync(path.join(root, sub, 'cgroup.procs'), 'utf8').split('\n')) if (l) victims.add(Number(l));
      } catch {
        /* not a cgroup dir */
      }
    }
  }
  victims.delete(process.pid);
  for (const v of victims) {
    try {
      process.kill(v, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Removes everything of one fixture: daemons, mounts, namespaces, links, cgroups, files. */
async function destroy(id: string, nodeCount: number): Promise<void> {
  const nodes = Array.from({ length: nodeCount }, (_, i) => nodeOf(id, '0.0.0', i + 1));
  for (const n of nodes) killNode(id, n);
  await sleep(300);
  const base = path.join(ROOT, id);
  // A daemon that was killed leaves its mounts (overlay layers, netns bind mounts) behind.
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${base}/`) || m === base)
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) trySh('umount', ['-l', m]);
  for (const n of nodes) trySh('ip', ['netns', 'del', n.netns]);
  trySh('ip', ['netns', 'del', `bsw-${id}-sw`]);
  trySh('ip', ['link', 'del', `bsw-${id}`]);
  for (const ctl of safeReaddir('/sys/fs/cgroup')) {
    for (const n of nodes) {
      const root = `/sys/fs/cgroup/${ctl}/bsw-${id}-n${n.index}`;
      for (const sub of safeReaddir(root)) if (!sub.includes('.')) trySh('rmdir', [path.join(root, sub)]);
      trySh('rmdir', [root]);
    }
  }
  rmSync(base, { recursive: true, force: true });
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Removes fixtures whose test process is gone (a crashed or killed run). */
export async function sweepStaleSwarms(): Promise<string[]> {
  const swept: string[] = [];
  for (const id of safeReaddir(ROOT)) {
    const metaFile = path.join(ROOT, id, 'meta.json');
    let meta: Meta | undefined;
    try {
      meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Meta;
    } catch {
      meta = undefined;
    }
    if (meta && alive(meta.owner)) continue;
    await destroy(id, meta?.nodes ?? 3);
    swept.push(id);
  }
  return swept;
}

export interface SwarmOptions {
  nodes?: number;
  /** Images copied from the main daemon to every node. */
  images?: string[];
  /** Join the workers (false leaves them outside the swarm). */
  join?: boolean;
}

export async function startSwarm(options: SwarmOptions = {}): Promise<SwarmFixture> {
  const count = options.nodes ?? 3;
  const images = options.images ?? ['baas-local/postgres:18', 'baas-local/redis:7'];
  await sweepStaleSwarms();
  const id = randomBytes(2).toString('hex');
  const prefix = pickSubnet();
  const base = path.join(ROOT, id);
  mkdirSync(base, { recursive: true });
  // Data roots in memory: loading the images is faster, and throwing three copies away is one umount.
  sh('mount', ['-t', 'tmpfs', '-o', 'size=4g,mode=0700', `baas-swarm-${id}`, base]);
  writeFileSync(path.join(base, 'meta.json'), JSON.stringify({ id, owner: process.pid, nodes: count } satisfies Meta));
  const nodes = Array.from({ length: count }, (_, i) => nodeOf(id, prefix, i + 1));
  const sw = `bsw-${id}-sw`;
  const timings: Record<string, number> = {};
  let t = Date.now();
  const fixture: SwarmFixture = {
    id,
    nodes,
    manager: nodes[0]!,
    hostAddr: `${prefix}.1`,
    docker: (node, args, input) => sh('docker', ['-H', node.dockerHost, ...args], input),
    cutLink: (node) => void sh('ip', ['-n', sw, 'link', 'set', node.link, 'down']),
    restoreLink: (node) => void sh('ip', ['-n', sw, 'link', 'set', node.link, 'up']),
    stopDaemon: (node) => stopDaemon(node),
    startDaemon: async (node) => {
      launch(id, node);
      await waitForDaemon(node);
    },
    engines: nodes.map((n, i) => ({ name: n.name, dockerHost: n.dockerHost, manager: i === 0, log: path.join(n.dir, 'dockerd.log') })),
    timings,
    async teardown() {
      const t0 = Date.now();
      await destroy(id, count);
      return Date.now() - t0;
    },
  };
  try {
    sh('ip', ['netns', 'add', sw]);
    sh('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    sh('ip', ['link', 'add', `bsw-${id}`, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', sw]);
    sh('ip', ['addr', 'add', `${prefix}.1/24`, 'dev', `bsw-${id}`]);
    sh('ip', ['link', 'set', `bsw-${id}`, 'up']);
    sh('ip', ['-n', sw, 'link', 'set', 'uplink', 'master', 'br0', 'up']);
    for (const n of nodes) {
      sh('ip', ['netns', 'add', n.netns]);
      sh('ip', ['-n', sw, 'link', 'add', n.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.netns]);
      sh('ip', ['-n', sw, 'link', 'set', n.link, 'master', 'br0', 'up']);
      sh('ip', ['-n', n.netns, 'addr', 'add', `${n.addr}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', n.netns, 'link', 'set', 'eth0', 'up']);
      sh('ip', ['-n', n.netns, 'link', 'set', 'lo', 'up']);
      mkdirSync(path.join(n.dir, 'data'), { recursive: true });
      mkdirSync(path.join(n.dir, 'exec'), { recursive: true });
      writeFileSync(path.join(n.dir, 'daemon.json'), '{}\n');
      launchDns(n);
      launch(id, n);
    }
    await Promise.all(nodes.map((n) => waitForDaemon(n)));
    timings['daemons'] = Date.now() - t;
    t = Date.now();
    const m = fixture.manager;
    fixture.docker(m, ['swarm', 'init', '--advertise-addr', m.addr, '--listen-addr', `${m.addr}:2377`]);
    if (options.join !== false) {
      const token = fixture.docker(m, ['swarm', 'join-token', '-q', 'worker']).trim();
      await Promise.all(
        nodes.slice(1).map(
          (n) =>
            new Promise<void>((resolve, reject) => {
              const p = spawn('docker', ['-H', n.dockerHost, 'swarm', 'join', '--token', token, '--advertise-addr', n.addr, '--listen-addr', `${n.addr}:2377`, `${m.addr}:2377`], { stdio: ['ignore', 'ignore', 'pipe'] });
              let err = '';
              p.stderr.on('data', (c: Buffer) => (err += c.toString()));
              p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${n.name} could not join: ${err}`))));
            }),
        ),
      );
      // Wait until the manager sees every node ready.
      const deadline = Date.now() + 30_000;
      while (fixture.docker(m, ['node', 'ls', '--format', '{{.Status}}']).split('\n').filter((s) => s === 'Ready').length < count) {
        if (Date.now() > deadline) throw new Error(`not every node became Ready:\n${fixture.docker(m, ['node', 'ls'])}`);
        await sleep(200);
      }
    }
    timings['swarm'] = Date.now() - t;
    t = Date.now();
    if (images.length > 0) {
      const tar = path.join(base, 'images.tar');
      sh('docker', ['save', '-o', tar, ...images]);
      await Promise.all(
        nodes.map(
          (n) =>
            new Promise<void>((resolve, reject) => {
              const p = spawn('docker', ['-H', n.dockerHost, 'load', '-q', '-i', tar], { stdio: 'ignore' });
              p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker load on ${n.name} exited ${code}`))));
            }),
        ),
      );
      rmSync(tar, { force: true });
    }
    timings['images'] = Date.now() - t;
    return fixture;
  } catch (e) {
    await fixture.teardown().catch(() => {});
    throw e;
  }
}
