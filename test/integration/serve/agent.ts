import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import type { TestProject } from '../../helpers/harness.js';

const BIN = path.resolve('bin/baas.js');

export interface RunningAgent {
  child: ChildProcess;
  url: string;
  token: string;
  logs: string[];
  exited: Promise<number | null>;
  get(pathname: string, headers?: Record<string, string>): Promise<{ status: number; body: string; json: () => any }>;
  authed(pathname: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: string; json: () => any }>;
}

/** Starts `baas serve` from the built CLI (`npm test` builds first) and waits until it listens. */
export async function startAgent(p: TestProject, args: string[] = []): Promise<RunningAgent> {
  if (!existsSync(path.resolve('dist/cli/serve.js'))) throw new Error('run `npm run build` first: this test spawns bin/baas.js');
  const child = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', ...args], { cwd: p.dir, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baas serve did not start in 20 s: ${logs.join('\n')}\n${stderr}`)), 20_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      if (/"msg":"listening"/.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`baas serve exited ${code}: ${stderr}`)));
  });
  const url = (JSON.parse(readFileSync(path.join(p.dir, '.baas', 'serve.json'), 'utf8')) as { url: string }).url;
  const token = readFileSync(path.join(p.dir, '.baas', 'serve-token'), 'utf8').trim();
  const get = async (pathname: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${pathname}`, { headers });
    const body = await res.text();
    return { status: res.status, body, json: () => JSON.parse(body) };
  };
  return {
    child,
    url,
    token,
    logs,
    exited,
    get,
    async authed(pathname, init = {}) {
      const res = await fetch(`${url}${pathname}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
      });
      const body = await res.text();
      return { status: res.status, body, json: () => JSON.parse(body) };
    },
  };
}

export async function stopAgent(a: RunningAgent | undefined): Promise<number | null> {
  if (!a || a.child.exitCode !== null) return a?.child.exitCode ?? null;
  a.child.kill('SIGTERM');
  return a.exited;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A webhook receiver on 127.0.0.1 that records what it gets; the first `failures` requests get a 500. */
export async function receiver(failures = 0): Promise<{ url: string; hits: { status: number; body: any }[]; received: any[]; close: () => Promise<void> }> {
  const hits: { status: number; body: any }[] = [];
  const received: any[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(text);
      const status = hits.length < failures ? 500 : 200;
      hits.push({ status, body });
      if (status === 200) received.push(body);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, hits, received, close: () => new Promise((r) => server.close(() => r())) };
}
