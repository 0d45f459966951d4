/**
 * The agent's event history: failovers and Sentinel events, alerts fired and resolved, webhook
 * deliveries, branches created and deleted, schedule runs. Kept in memory for /events and its
 * live stream, and appended to .baas/events.jsonl so a restart (and `baas dashboard`) sees it.
 */
import path from 'node:path';
import { JsonLinesFile } from '../jsonl.js';

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

export class FileEventStore extends JsonLinesFile<AgentEvent> implements EventStore {
  constructor(file: string, maxBytes = 2 * 1024 * 1024) {
    super(file, maxBytes);
  }

  static inStateDir(stateDir: string): FileEventStore {
    return new FileEventStore(path.join(stateDir, 'events.jsonl'));
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
