/**
 * The agent's event history: failovers and Sentinel events, alerts fired and resolved, webhook
 * deliveries, branches created and deleted, schedule runs. Kept in memory for /events and its
 * live stream, and appended to .baas/events.jsonl so a restart (and `baas dashboard`) sees it.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type AgentEventType =
  | 'agent.started'
  | 'agent.stopping'
  | 'alert.fired'
  | 'alert.resolved'
  | 'failover'
  | 'sentinel'
  | 'health.changed'
  | 'notification'
  | 'branch.created'
  | 'branch.deleted'
  | 'schedule.run';

export interface AgentEvent {
  /** Increases by one per event, across restarts (the SSE `id:`, so a client can resume). */
  id: number;
  at: string;
  type: AgentEventType;
  message: string;
  data?: Record<string, unknown>;
}

/** Where events are kept across runs; a memory fake in unit tests. */
export interface EventStore {
  append(events: AgentEvent[]): void;
  recent(limit: number): AgentEvent[];
}

export class FileEventStore implements EventStore {
  constructor(
    readonly file: string,
    private readonly maxBytes = 2 * 1024 * 1024,
  ) {}

  static inStateDir(stateDir: string): FileEventStore {
    return new FileEventStore(path.join(stateDir, 'events.jsonl'));
  }

  append(events: AgentEvent[]): void {
    if (events.length === 0) return;
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    if (statSync(this.file).size > this.maxBytes) {
      const lines = readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
      writeFileSync(this.file, lines.slice(Math.floor(lines.length / 2)).join('\n') + '\n');
    }
  }

  recent(limit: number): AgentEvent[] {
    if (!existsSync(this.file)) return [];
    const out: AgentEvent[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as AgentEvent);
      } catch {
        /* a torn line from a crash */
      }
    }
    return out.slice(-limit);
  }
}

export class MemoryEventStore implements EventStore {
  readonly events: AgentEvent[] = [];
  append(events: AgentEvent[]): void {
    this.events.push(...events);
  }
  recent(limit: number): AgentEvent[] {
    return this.events.slice(-limit);
  }
}

export type EventListener = (e: AgentEvent) => void;

/** The history in memory (bounded), its store, and the live subscribers (SSE streams, webhooks). */
export class EventBus {
  private history: AgentEvent[];
  private lastId: number;
  private readonly listeners = new Set<EventListener>();

  constructor(
    private readonly store: EventStore,
    private readonly now: () => number = Date.now,
    private readonly capacity = 1000,
    private readonly onStoreError: (e: unknown) => void = () => {},
  ) {
    this.history = store.recent(capacity);
    this.lastId = this.history.reduce((m, e) => Math.max(m, e.id), 0);
  }

  publish(type: AgentEventType, message: string, data?: Record<string, unknown>, at?: string): AgentEvent {
    const e: AgentEvent = { id: ++this.lastId, at: at ?? new Date(this.now()).toISOString(), type, message, ...(data ? { data } : {}) };
    this.history.push(e);
    if (this.history.length > this.capacity) this.history = this.history.slice(-this.capacity);
    try {
      this.store.append([e]);
    } catch (err) {
      this.onStoreError(err); // a full or read-only disk must not stop the agent
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* one broken listener (a closed stream) must not stop the others */
      }
    }
    return e;
  }

  /** Events after `afterId` (oldest first), at most `limit` of the newest. */
  since(afterId = 0, limit = 100): AgentEvent[] {
    return this.history.filter((e) => e.id > afterId).slice(-limit);
  }

  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }

  subscribers(): number {
    return this.listeners.size;
  }
}
