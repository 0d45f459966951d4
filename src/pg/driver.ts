import { createRequire } from 'node:module';
import type pg from 'pg';

let driver: typeof pg | undefined;

/**
 * node-postgres, loaded synchronously on first use (its CommonJS entry, without the ESM wrapper).
 *
 * At load time pg asks whether it runs in a Cloudflare Worker: where `navigator` is missing (Node
 * 20) it evaluates `typeof Response`, and that global getter loads Node's whole fetch stack
 * (undici, web streams, http2, zlib, worker_threads): about 40% of the driver's load time, for
 * nothing. While pg loads, a `navigator` that says "Node.js" (what Node 21+ defines itself)
 * answers the question first; it is removed again before anything else runs.
 */
export function loadPgDriver(): typeof pg {
  if (driver) return driver;
  const shim = !('navigator' in globalThis);
  if (shim) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true, writable: true });
  try {
    driver = createRequire(import.meta.url)('pg') as typeof pg;
  } finally {
    if (shim) delete (globalThis as { navigator?: unknown }).navigator;
  }
  return driver;
}
