/**
 * Alert webhooks: each alert goes to every configured webhook once when it fires and once when
 * it resolves, in that order, retried with exponential backoff, never twice. Deliveries are
 * serial per webhook (a resolve never overtakes its fire); the HTTP call is a small seam.
 */
import type { Alert } from '../dashboard/types.js';
import type { Logger } from '../log.js';

export type WebhookFormat = 'slack' | 'generic';

export interface Webhook {
  url: string;
  format: WebhookFormat;
}

export interface AlertTransition {
  state: 'firing' | 'resolved';
  alert: Alert;
  project: string;
  /** When the agent saw the transition (ISO). */
  at: string;
}

/** POSTs a JSON body; resolves with the status, rejects on a network error or timeout. */
export type HttpPost = (url: string, body: string, headers: Record<string, string>, timeoutMs: number) => Promise<{ status: number; retryAfterMs?: number }>;

export interface Delivery {
  transition: AlertTransition;
  webhook: string;
  format: WebhookFormat;
  ok: boolean;
  attempts: number;
  /** Last status or error when it failed. */
  detail: string;
}

export interface NotifierOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_NOTIFIER_OPTIONS: NotifierOptions = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000, timeoutMs: 5000 };

/** Host only: webhook URLs carry secrets (Slack's path is the credential), so they are never logged whole. */
export function webhookLabel(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'webhook';
  }
}

export const deliveryKey = (t: AlertTransition): string => `${t.project}:${t.alert.id}:${t.state}:${t.at}`;

/** The message for one transition. Slack: incoming-webhook `text` plus a coloured attachment. */
export function webhookPayload(format: WebhookFormat, t: AlertTransition): Record<string, unknown> {
  const a = t.alert;
  if (format === 'slack') {
    const icon = t.state === 'resolved' ? ':white_check_mark:' : a.severity === 'critical' ? ':rotating_light:' : ':warning:';
    const title = `${t.state === 'resolved' ? 'Resolved' : a.severity === 'critical' ? 'Critical' : 'Warning'}: ${a.message}`;
    return {
      text: `${icon} [${t.project}] ${title}`,
      attachments: [
        {
          color: t.state === 'resolved' ? 'good' : a.severity === 'critical' ? 'danger' : 'warning',
          fields: [
            { title: 'Alert', value: a.kind, short: true },
            { title: 'Project', value: t.project, short: true },
            { title: 'At', value: t.at, short: true },
          ],
        },
      ],
    };
  }
  return {
    source: 'baas',
    version: 1,
    project: t.project,
    state: t.state,
    at: t.at,
    alert: { id: a.id, kind: a.kind, severity: a.severity, message: a.message },
    dedupKey: deliveryKey(t),
  };
}

export interface NotifierDeps {
  webhooks: Webhook[];
  post: HttpPost;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  /** Called once per webhook and transition with the outcome (the agent records it in the alert history). */
  onDelivery: (d: Delivery) => void;
}

export class Notifier {
  private readonly opts: NotifierOptions;
  private readonly queues: Promise<void>[];
  private readonly seen = new Set<string>();
  private pending = 0;

  constructor(
    private readonly deps: NotifierDeps,
    options: Partial<NotifierOptions> = {},
  ) {
    this.opts = { ...DEFAULT_NOTIFIER_OPTIONS, ...options };
    this.queues = deps.webhooks.map(() => Promise.resolve());
  }

  /** Queues a transition for every webhook; the same transition twice is sent once. */
  notify(t: AlertTransition): void {
    const key = deliveryKey(t);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.seen.size > 10_000) this.seen.delete(this.seen.values().next().value!);
    this.deps.webhooks.forEach((w, i) => {
      this.pending++;
      this.queues[i] = this.queues[i]!.then(() => this.deliver(w, t)).finally(() => void this.pending--);
    });
  }

  /** Deliveries queued or being retried. */
  inFlight(): number {
    return this.pending;
  }

  /** Waits for the queues (shutdown), at most `ms`. Returns whether everything was delivered. */
  async drain(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    const done = Promise.all(this.queues).then(() => true as const);
    const r = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return r;
  }

  private async deliver(w: Webhook, t: AlertTransition): Promise<void> {
    const body = JSON.stringify(webhookPayload(w.format, t));
    const headers = { 'content-type': 'application/json', 'user-agent': 'baas-serve', 'idempotency-key': deliveryKey(t) };
    const label = webhookLabel(w.url);
    let detail = '';
    let attempts = 0;
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      attempts = attempt;
      let retryAfterMs: number | undefined;
      try {
        const r = await this.deps.post(w.url, body, headers, this.opts.timeoutMs);
        if (r.status >= 200 && r.status < 300) {
          this.deps.logger.info({ webhook: label, alert: t.alert.id, state: t.state, attempt }, 'webhook delivered');
          this.deps.onDelivery({ transition: t, webhook: label, format: w.format, ok: true, attempts: attempt, detail: `HTTP ${r.status}` });
          return;
        }
        detail = `HTTP ${r.status}`;
        retryAfterMs = r.retryAfterMs;
        // A client error other than timeout / rate limit will not get better by repeating it.
        if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) break;
      } catch (e) {
        detail = e instanceof Error ? e.message : String(e);
      }
      this.deps.logger.warn({ webhook: label, alert: t.alert.id, state: t.state, attempt, detail }, 'webhook delivery failed');
      if (attempt < this.opts.maxAttempts) await this.deps.sleep(Math.min(this.opts.maxDelayMs, retryAfterMs ?? this.opts.baseDelayMs * 2 ** (attempt - 1)));
      else break;
    }
    this.deps.logger.error({ webhook: label, alert: t.alert.id, state: t.state, attempts, detail }, 'webhook given up');
    this.deps.onDelivery({ transition: t, webhook: label, format: w.format, ok: false, attempts, detail });
  }
}

/** The real POST, with Node's fetch and a timeout. */
export const fetchPost: HttpPost = async (url, body, headers, timeoutMs) => {
  const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  await res.arrayBuffer().catch(() => undefined); // free the connection
  const ra = Number(res.headers.get('retry-after'));
  return { status: res.status, ...(Number.isFinite(ra) && ra > 0 ? { retryAfterMs: Math.min(60_000, ra * 1000) } : {}) };
};
