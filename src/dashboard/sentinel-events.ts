/**
 * The Sentinel event reducer: what the dashboard learns from the sentinels' pub/sub channels
 * (+switch-master, +odown, +failover-*). Pure: the collector feeds it messages and applies
 * what it returns (a new master, an alert, a sampler reset).
 */
import type { Alert, FailoverView, SentinelEvent } from './types.js';

export interface SentinelEventState {
  /** Recent events, each once however many sentinels reported it (newest last, at most 100). */
  events: SentinelEvent[];
  failover: FailoverView;
}

export interface SentinelEventEffect {
  /** The master moved here (+switch-master). */
  masterIp?: string;
  /** A failover happened: raise it once. */
  alert?: Alert;
}

export interface SentinelEventContext {
  masterName: string;
  /** A service name for an address, or `ip:port` when it is not one of ours. */
  nameOf(ip: string, port: string): string;
}

export const initialSentinelEvents = (): SentinelEventState => ({ events: [], failover: { inProgress: false, count: 0, last: null } });

const DUPLICATE_WINDOW_MS = 10_000;
const MAX_EVENTS = 100;
/** Events a snapshot carries (the Sentinel panel shows as many as fit). */
export const EVENT_VIEW_SIZE = 20;

/**
 * What happened, as opposed to Sentinel's step-by-step progress through a failover: an
 * instance down or back (+sdown/+odown and their ends), a failover tried, ended or aborted,
 * the master moved, TILT. One failover brings about 8 of these and 15 steps.
 */
const DECISIVE = /^(?:[+-][so]down|\+switch-master|\+try-failover|\+failover-end(?:-for-timeout)?|-failover-abort-.+|[+-]tilt)$/;
export const isDecisiveEvent = (e: SentinelEvent): boolean => DECISIVE.test(e.type);

/**
 * The `limit` events to show, oldest first: the newest ones, except that the steps of a
 * failover never push its decisive events out. One failover makes more events than a view
 * holds, and which arrive last (a replica's reconfiguration, the old master's +sdown as a
 * replica) varies from run to run; a view of the newest 20 lost the master's own +sdown.
 * Decisive events get at least half the room, more when there are fewer steps to show.
 */
export function eventView(events: readonly SentinelEvent[], limit = EVENT_VIEW_SIZE): SentinelEvent[] {
  if (events.length <= limit) return events.slice();
  if (limit <= 0) return [];
  const decisive: number[] = [];
  const steps: number[] = [];
  events.forEach((e, i) => (isDecisiveEvent(e) ? decisive : steps).push(i));
  const nDecisive = Math.min(decisive.length, Math.max(Math.ceil(limit / 2), limit - steps.length));
  const nSteps = Math.min(steps.length, limit - nDecisive);
  const keep = new Set([...decisive.slice(decisive.length - nDecisive), ...steps.slice(steps.length - nSteps)]);
  return events.filter((_, i) => keep.has(i));
}

/** Sentinel publishes every event on a channel named after it; each sentinel sends its own copy. */
export function reduceSentinelEvent(
  state: SentinelEventState,
  channel: string,
  message: string,
  at: number,
  ctx: SentinelEventContext,
): { state: SentinelEventState; effect: SentinelEventEffect } {
  if (channel.startsWith('__sentinel__')) return { state, effect: {} };
  const dup = state.events.find((e) => e.type === channel && e.message === message && at - Date.parse(e.at) < DUPLICATE_WINDOW_MS);
  if (dup) {
    return { state: { ...state, events: state.events.map((e) => (e === dup ? { ...e, sentinels: e.sentinels + 1 } : e)) }, effect: {} };
  }
  const events = [...state.events, { at: new Date(at).toISOString(), type: channel, message, sentinels: 1 }].slice(-MAX_EVENTS);
  const parts = message.split(' ');
  const forOurMaster = parts.includes(ctx.masterName) || (parts[0] === 'master' && parts[1] === ctx.masterName);
  if (channel === '+switch-master' && parts[0] === ctx.masterName) {
    const [, oldIp = '?', oldPort = '?', newIp = '?', newPort = '?'] = parts;
    const from = ctx.nameOf(oldIp, oldPort);
    const to = ctx.nameOf(newIp, newPort);
    return {
      state: { events, failover: { inProgress: false, count: state.failover.count + 1, last: { at: new Date(at).toISOString(), from, to } } },
      effect: { masterIp: newIp, alert: { id: `failover:${at}`, kind: 'failover', severity: 'critical', message: `Failover: the master moved from ${from} to ${to}.` } },
    };
  }
  if ((channel === '+odown' || channel === '+try-failover' || channel.startsWith('+failover-state')) && forOurMaster) {
    return { state: { events, failover: { ...state.failover, inProgress: true } }, effect: {} };
  }
  if ((channel === '+failover-end' || channel === '-odown' || channel === '-failover-abort-not-elected') && forOurMaster) {
    return { state: { events, failover: { ...state.failover, inProgress: false } }, effect: {} };
  }
  return { state: { ...state, events }, effect: {} };
}
