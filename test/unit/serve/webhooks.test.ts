import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { Notifier, webhookPayload, type AlertTransition, type Delivery, type HttpPost } from '../../../src/serve/webhooks.js';

const alert = { id: 'replicaDown:redis-2', kind: 'replicaDown' as const, severity: 'warning' as const, message: 'Replica redis-2 does not answer.' };
const firing: AlertTransition = { state: 'firing', alert, project: 'shop', at: '2026-01-01T00:00:00.000Z' };
const resolved: AlertTransition = { ...firing, state: 'resolved', at: '2026-01-01T00:01:00.000Z' };

function harness(statuses: (number | Error)[], options = {}) {
  const calls: { url: string; body: any; headers: Record<string, string> }[] = [];
  const sleeps: number[] = [];
  const deliveries: Delivery[] = [];
  const post: HttpPost = async (url, body, headers) => {
    calls.push({ url, body: JSON.parse(body), headers });
    const s = statuses.shift() ?? 200;
    if (s instanceof Error) throw s;
    return { status: s };
  };
  const n = new Notifier({ webhooks: [{ url: 'https://hooks.example/secret-path', format: 'generic' }], post, sleep: async (ms) => void sleeps.push(ms), logger: silentLogger, onDelivery: (d) => void deliveries.push(d) }, options);
  return { n, calls, sleeps, deliveries };
}

describe('Notifier', () => {
  it('retries with exponential backoff and reports the attempt that went through', async () => {
    const { n, calls, sleeps, deliveries } = harness([500, new Error('connect ECONNREFUSED'), 200]);
    n.notify(firing);
    await n.drain(1000);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([1000, 2000]);
    expect(deliveries).toMatchObject([{ ok: true, attempts: 3, webhook: 'hooks.example', detail: 'HTTP 200' }]);
    expect(calls[0]!.headers['idempotency-key']).toBe('shop:replicaDown:redis-2:firing:2026-01-01T00:00:00.000Z');
  });

  it('sends each transition once, firing before resolved', async () => {
    const { n, calls } = harness([500, 200, 200]);
    n.notify(firing);
    n.notify(firing);
    n.notify(resolved);
    await n.drain(1000);
    expect(calls.map((c) => c.body.state)).toEqual(['firing', 'firing', 'resolved']);
  });

  it('gives up after the last attempt, and at once on a client error', async () => {
    const a = harness([500, 500, 500], { maxAttempts: 3 });
    a.n.notify(firing);
    await a.n.drain(1000);
    expect(a.deliveries).toMatchObject([{ ok: false, attempts: 3, detail: 'HTTP 500' }]);
    const b = harness([404]);
    b.n.notify(firing);
    await b.n.drain(1000);
    expect(b.calls).toHaveLength(1);
    expect(b.deliveries).toMatchObject([{ ok: false, attempts: 1, detail: 'HTTP 404' }]);
  });

  it('formats Slack and generic messages', () => {
    expect(webhookPayload('slack', firing)).toMatchObject({ text: ':warning: [shop] Warning: Replica redis-2 does not answer.', attachments: [{ color: 'warning' }] });
    expect(webhookPayload('slack', resolved)).toMatchObject({ text: ':white_check_mark: [shop] Resolved: Replica redis-2 does not answer.' });
    expect(webhookPayload('generic', resolved)).toEqual({ source: 'baas', version: 1, project: 'shop', state: 'resolved', at: resolved.at, alert, dedupKey: 'shop:replicaDown:redis-2:resolved:2026-01-01T00:01:00.000Z' });
  });
});
