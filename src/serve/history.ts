/**
 * What `baas dashboard` shows of a running agent: its event history from before the dashboard was
 * opened (Sentinel events, branches, schedule runs, health changes), merged into the alert history.
 * While an agent runs it owns .baas/alerts.jsonl: the dashboard only reads, so nothing is recorded twice.
 */
import { FileAlertLog } from '../dashboard/alerts.js';
import type { AlertLog, AlertRecord } from '../dashboard/types.js';
import type { AgentEvent } from './events.js';
import { readAgentState } from './state.js';
import { readToken } from './token.js';

/** Alerts, failovers and webhook deliveries are already in alerts.jsonl; the rest comes from the agent. */
const FROM_AGENT = new Set(['sentinel', 'branch.created', 'branch.deleted', 'schedule.run', 'health.changed', 'agent.started', 'agent.stopping']);

export function eventRecords(events: AgentEvent[], project: string): AlertRecord[] {
  return events
    .filter((e) => FROM_AGENT.has(e.type))
    .map((e) => ({ id: `agent:${e.id}`, kind: 'agent' as const, severity: 'warning' as const, message: `agent: ${e.message}`, at: e.at, state: 'event' as const, project }));
}

/** The running agent's recent events, or undefined when no agent runs (or it does not answer within 1 s). */
export async function agentHistory(stateDir: string, limit = 50): Promise<AgentEvent[] | undefined> {
  const agent = readAgentState(stateDir);
  const token = readToken(stateDir);
  if (!agent?.running || !token) return undefined;
  try {
    const res = await fetch(`${agent.url}/events?limit=${limit}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(1000) });
    if (!res.ok) return undefined;
    return ((await res.json()) as { events: AgentEvent[] }).events;
  } catch {
    return undefined;
  }
}

/** The alert history as the dashboard reads it while an agent runs: the file plus the agent's events; writes are the agent's. */
export class ViewerAlertLog implements AlertLog {
  constructor(
    private readonly file: AlertLog,
    private readonly extra: AlertRecord[],
  ) {}
  append(): void {}
  recent(limit: number): AlertRecord[] {
    return [...this.file.recent(limit), ...this.extra].sort((a, b) => a.at.localeCompare(b.at)).slice(-limit);
  }
}

/**
 * The alert history `baas dashboard` should use: with an agent running, the file merged with the
 * agent's events and read-only (the agent records alerts); otherwise undefined (the dashboard's own file).
 */
export async function dashboardAlertLog(stateDir: string, project: string): Promise<AlertLog | undefined> {
  const events = await agentHistory(stateDir);
  return events ? new ViewerAlertLog(FileAlertLog.inStateDir(stateDir), eventRecords(events, project)) : undefined;
}
