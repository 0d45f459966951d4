/** Display-only panels: each takes data and a size, renders at most `lines` lines, never wraps. */
import { Box, Text } from 'ink';
import { Children, type ReactNode } from 'react';
import { terminalSafe } from '../../terminal-text.js';
import { bytes } from '../../format.js';
import { compact, percent, sparkline } from '../metrics.js';
import { eventView } from '../sentinel-events.js';
import type { Alert, AlertRecord, FailoverView, HistoryPoint, HotKeysView, LatencyView, Overview, PostgresLine, ReplicationView, SentinelView, ServiceLine, Snapshot } from '../types.js';

type Color = 'green' | 'yellow' | 'red' | 'gray' | 'cyan' | undefined;

export function Line({ children, color, bold, dim }: { children: ReactNode; color?: Color; bold?: boolean; dim?: boolean }) {
  // Redis keys, sentinel messages and database names are data: no escape sequence of theirs reaches the screen.
  const safe = Children.map(children, (c) => (typeof c === 'string' ? terminalSafe(c) : c));
  return (
    <Text wrap="truncate" {...(color ? { color } : {})} {...(bold ? { bold } : {})} {...(dim ? { dimColor: true } : {})}>
      {safe}
    </Text>
  );
}

export function Panel({ title, width, lines, focused, children, right }: { title: string; width: number; lines: number; focused?: boolean; right?: string; children: ReactNode[] }) {
  const content = children.filter((c) => c !== null && c !== false).slice(0, lines);
  return (
    <Box flexDirection="column" width={width} height={lines + 1} overflow="hidden">
      <Box width={width}>
        <Text wrap="truncate" bold inverse={Boolean(focused)} color={focused ? 'cyan' : 'blue'}>
          {` ${title} `}
        </Text>
        {right ? (
          <Text wrap="truncate" dimColor>
            {` ${right}`}
          </Text>
        ) : null}
      </Box>
      {content}
    </Box>
  );
}

export function bar(ratio: number | null, width: number): string {
  if (ratio === null || width <= 0) return '';
  const full = Math.round(Math.min(1, Math.max(0, ratio)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

const levelColor = (ratio: number | null, warn: number, crit: number): Color => (ratio === null ? undefined : ratio >= crit ? 'red' : ratio >= warn ? 'yellow' : 'green');

export function OverviewPanel({ overview, width, lines, focused, memoryAbove = 0.9, hitRateBelow = 0.8 }: { overview: Overview | null; width: number; lines: number; focused?: boolean; memoryAbove?: number; hitRateBelow?: number }) {
  if (!overview) {
    return (
      <Panel title="Overview" width={width} lines={lines} focused={focused}>
        {[<Line key="n" color="red">master not answering</Line>]}
      </Panel>
    );
  }
  const o = overview;
  const barWidth = Math.max(4, width - 26);
  const hitColor: Color = o.hitRate === null ? undefined : o.hitRate < hitRateBelow ? 'yellow' : 'green';
  return (
    <Panel title="Overview" width={width} lines={lines} focused={focused} right={`Redis ${o.version}`}>
      {[
        <Line key="ops">
          ops/s <Text bold>{compact(o.opsPerSec).padEnd(7)}</Text> hit <Text bold color={hitColor}>{percent(o.hitRate)}</Text>
          <Text dimColor>{` (all ${percent(o.hitRateLifetime, 0)})`}</Text>
        </Line>,
        <Line key="mem">
          mem <Text color={levelColor(o.memoryRatio, memoryAbove * 0.9, memoryAbove)}>{o.maxmemory > 0 ? bar(o.memoryRatio, barWidth) : ''}</Text>{' '}
          {bytes(o.usedMemory)}/{o.maxmemory > 0 ? bytes(o.maxmemory) : '∞'}
        </Line>,
        <Line key="ev">
          evict/s {compact(o.evictionsPerSec)} expire/s {compact(o.expirationsPerSec)} keys {compact(o.keys)}
        </Line>,
        <Line key="cl">
          clients {o.connectedClients} blk {o.blockedClients} rej <Text color={o.rejectedConnections > 0 ? 'yellow' : undefined}>{o.rejectedConnections}</Text> frag {o.fragmentation?.toFixed(2) ?? '–'}
        </Line>,
        <Line key="pol" dim>
          policy {o.maxmemoryPolicy}
        </Line>,
      ]}
    </Panel>
  );
}

export function HistoryPanel({ history, width, lines, focused, maxmemory, intervalMs }: { history: HistoryPoint[]; width: number; lines: number; focused?: boolean; maxmemory: number; intervalMs: number }) {
  const w = Math.max(4, width - 12);
  const last = <T,>(xs: T[]): T | undefined => xs[xs.length - 1];
  const h = last(history);
  const span = Math.round((Math.min(history.length, w) * intervalMs) / 1000);
  return (
    <Panel title="History" width={width} lines={lines} focused={focused} right={`last ${span >= 120 ? `${Math.round(span / 60)} min` : `${span} s`}`}>
      {[
        <Line key="ops">
          {'ops '}
          <Text color="cyan">{sparkline(history.map((p) => p.opsPerSec), w, { min: 0 }).padEnd(w)}</Text> {compact(h?.opsPerSec ?? null)}
        </Line>,
        <Line key="hit">
          {'hit '}
          <Text color="green">{sparkline(history.map((p) => p.hitRate), w, { min: 0, max: 1 }).padEnd(w)}</Text> {percent(h?.hitRate ?? null, 0)}
        </Line>,
        <Line key="mem">
          {'mem '}
          <Text color="magenta">{sparkline(history.map((p) => p.usedMemory), w, maxmemory > 0 ? { min: 0, max: maxmemory } : { min: 0 }).padEnd(w)}</Text> {h?.usedMemory != null ? bytes(h.usedMemory) : '–'}
        </Line>,
      ]}
    </Panel>
  );
}

export function ReplicationPanel({ replication, width, lines, focused }: { replication: ReplicationView; width: number; lines: number; focused?: boolean }) {
  const m = replication.master;
  const rows: ReactNode[] = [
    <Line key="m">
      master <Text bold color={m?.reachable ? 'green' : 'red'}>{m ? m.name : '?'}</Text> {m?.address ?? ''} {m && !m.reachable ? <Text color="red">DOWN</Text> : null}
    </Line>,
  ];
  if (replication.replicas.length === 0) rows.push(<Line key="none" dim>{replication.expectedReplicas === 0 ? 'no replicas configured' : 'no replicas'}</Line>);
  for (const r of replication.replicas) {
    const ok = r.reachable && (r.link === 'online' || r.link === 'link up');
    rows.push(
      <Line key={r.name}>
        <Text color={ok ? 'green' : r.reachable ? 'yellow' : 'red'}>{r.name.padEnd(8)}</Text> {r.link.padEnd(10)} lag {r.lagBytes === null ? '–' : bytes(r.lagBytes)} ack {r.lastAckSeconds === null ? '–' : `${r.lastAckSeconds}s`}
      </Line>,
    );
  }
  return (
    <Panel title="Replication" width={width} lines={lines} focused={focused}>
      {rows}
    </Panel>
  );
}

export function SentinelPanel({ sentinel, failover, width, lines, focused }: { sentinel: SentinelView; failover: FailoverView; width: number; lines: number; focused?: boolean }) {
  const s = sentinel;
  if (!s.enabled) {
    return (
      <Panel title="Sentinel" width={width} lines={lines} focused={focused}>
        {[<Line key="n" color="yellow">no sentinels configured</Line>, <Line key="n2" dim>no automatic failover</Line>]}
      </Panel>
    );
  }
  const rows: ReactNode[] = [
    <Line key="q">
      {s.masterName} {s.masterAddress ?? '?'} quorum {s.quorum}{' '}
      <Text bold color={s.quorumOk ? 'green' : s.quorumOk === false ? 'red' : undefined}>{s.quorumOk === null ? '?' : s.quorumOk ? 'OK' : 'LOST'}</Text>
    </Line>,
    <Line key="s">
      sentinels {s.sentinelsReachable}/{s.sentinelsExpected} up, {s.sentinelsSeen ?? '?'} seen; replicas {s.replicasSeen ?? '?'}
    </Line>,
  ];
  if (failover.inProgress) rows.push(<Line key="f" bold color="red">FAILOVER IN PROGRESS</Line>);
  else if (failover.last) rows.push(<Line key="f" color="yellow">failover {failover.last.at.slice(11, 19)} {failover.last.from} → {failover.last.to}</Line>);
  const room = Math.max(0, lines - rows.length);
  for (const e of eventView(s.events, room).reverse()) {
    rows.push(
      <Line key={`${e.at}${e.type}${e.message}`} {...(/switch-master|odown|failover/.test(e.type) ? { color: 'yellow' as const } : { dim: true })}>
        {e.at.slice(11, 19)} {e.type} {e.message}
        {e.sentinels > 1 ? ` ×${e.sentinels}` : ''}
      </Line>,
    );
  }
  return (
    <Panel title="Sentinel" width={width} lines={lines} focused={focused}>
      {rows}
    </Panel>
  );
}

export function LatencyPanel({ latency, width, lines, focused }: { latency: LatencyView; width: number; lines: number; focused?: boolean }) {
  const rows: ReactNode[] = [];
  for (const l of latency.latest) rows.push(<Line key={`l${l.event}`} color={l.latestMs >= 100 ? 'red' : 'yellow'}>{l.event} {l.latestMs} ms (max {l.maxMs}) {l.at.slice(11, 19)}</Line>);
  for (const s of latency.slowlog) rows.push(<Line key={`s${s.id}`}>{(s.durationUs / 1000).toFixed(1).padStart(6)} ms {s.command}</Line>);
  if (rows.length === 0) rows.push(<Line key="none" dim>no events ≥ 25 ms; slowlog empty</Line>);
  return (
    <Panel title="Latency" width={width} lines={lines} focused={focused} right="LATENCY / SLOWLOG">
      {rows}
    </Panel>
  );
}

export function HotKeysPanel({ hotKeys, width, lines, focused }: { hotKeys: HotKeysView; width: number; lines: number; focused?: boolean }) {
  const h = hotKeys;
  const rows: ReactNode[] = [];
  if (h.error) rows.push(<Line key="e" color="red">{h.error}</Line>);
  const max = Math.max(1, ...h.keys.map((k) => k.score));
  const barW = Math.max(3, Math.min(12, width - 30));
  for (const k of h.keys) {
    rows.push(
      <Line key={k.key}>
        {compact(k.score).padStart(6)} <Text color="red">{bar(k.score / max, barW)}</Text> {k.key}
      </Line>,
    );
  }
  if (h.keys.length === 0) rows.push(<Line key="n" dim>{h.method === 'off' ? h.note : 'nothing sampled yet'}</Line>);
  if (h.advice) rows.push(<Line key="a" dim>cheaper: CONFIG SET maxmemory-policy allkeys-lfu</Line>);
  return (
    <Panel title="Hot keys" width={width} lines={lines} focused={focused} right={`${h.method}${h.unit ? ` · ${h.unit}` : ''}`}>
      {rows}
    </Panel>
  );
}

export function AlertsPanel({ active, recent, width, lines, focused }: { active: Alert[]; recent: AlertRecord[]; width: number; lines: number; focused?: boolean }) {
  const sorted = active.slice().sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
  const shown = sorted.length > lines ? sorted.slice(0, Math.max(0, lines - 1)) : sorted;
  const rows: ReactNode[] = shown.map((a) => (
    <Line key={a.id} bold color={a.severity === 'critical' ? 'red' : 'yellow'}>
      {a.severity === 'critical' ? '✖' : '▲'} {a.message}
    </Line>
  ));
  if (shown.length < sorted.length) rows.push(<Line key="more" color="yellow">… {sorted.length - shown.length} more (select Alerts with tab, enter to zoom)</Line>);
  if (active.length === 0) rows.push(<Line key="ok" color="green">✔ no active alerts</Line>);
  for (const r of recent.slice().reverse()) {
    rows.push(
      <Line key={`${r.at}${r.id}${r.state}`} dim>
        {r.at.slice(5, 10)} {r.at.slice(11, 19)} {r.state.padEnd(8)} {r.message}
      </Line>,
    );
  }
  return (
    <Panel title="Alerts" width={width} lines={lines} focused={focused} right={`${active.length} active · history .baas/alerts.jsonl`}>
      {rows}
    </Panel>
  );
}

export function ServicesLines({ postgres, mongo, width }: { postgres: PostgresLine; mongo: ServiceLine; width: number }) {
  const mark = (l: ServiceLine): { c: Color; t: string } => (l.reachable === true ? { c: 'green', t: '●' } : l.reachable === false ? { c: 'red', t: '●' } : { c: 'gray', t: '○' });
  // A failing WAL archiver (backups) shows as a warning even while Postgres answers.
  const pg = postgres.archiving === 'failing' && postgres.reachable ? { c: 'yellow' as Color, t: '●' } : mark(postgres);
  const mg = mark(mongo);
  return (
    <Box flexDirection="column" width={width} height={2} overflow="hidden">
      <Line>
        <Text color={pg.c}>{pg.t}</Text> Postgres {postgres.enabled ? postgres.detail : 'disabled'}
      </Line>
      <Line>
        <Text color={mg.c}>{mg.t}</Text> MongoDB {mongo.enabled ? mongo.detail : 'disabled'}
      </Line>
    </Box>
  );
}

export function Header({ snapshot, width, paused, intervalMs }: { snapshot: Snapshot | null; width: number; paused: boolean; intervalMs: number }) {
  const m = snapshot?.master;
  return (
    <Box width={width} height={1} overflow="hidden">
      <Line>
        <Text bold>baas</Text>
        {paused ? <Text color="yellow" bold>{' PAUSED'}</Text> : null}
        {snapshot?.failover.inProgress ? <Text color="red" bold>{' FAILOVER'}</Text> : null} · {snapshot?.project ?? ''} · master{' '}
        <Text bold color={m?.reachable ? 'green' : 'red'}>{m ? `${m.name} ${m.host}` : '?'}</Text>
        {m && !m.reachable ? <Text color="red" bold>{' DOWN'}</Text> : null} · every {intervalMs >= 1000 ? `${intervalMs / 1000}s` : `${intervalMs}ms`} · {snapshot?.at.slice(11, 19) ?? 'connecting'}
      </Line>
    </Box>
  );
}

export function Footer({ width, note }: { width: number; note?: string | undefined }) {
  return (
    <Box width={width} height={1} overflow="hidden">
      <Line dim>{note ? `${note} · ` : ''}q quit · ? help · tab/←→ panel · enter zoom · p pause · +/- interval</Line>
    </Box>
  );
}

export function Help({ width, height }: { width: number; height: number }) {
  const lines = [
    'Keys',
    '  q, Ctrl-C     quit',
    '  ?             show / hide this help',
    '  tab, → / ←    next / previous panel (shift-tab too)',
    '  ↑ / ↓         previous / next panel',
    '  enter         zoom the selected panel (esc to go back)',
    '  p             pause / resume refreshing',
    '  + / -         refresh slower / faster (250 ms … 60 s)',
    '',
    'Panels: overview (INFO), history (sparklines), replication (offsets, last ACK),',
    'Sentinel (quorum, live +switch-master/+sdown/+odown events), latency (LATENCY LATEST,',
    'SLOWLOG), hot keys (HOTKEYS on 8.6+, OBJECT FREQ with LFU, or sampled MONITOR), alerts',
    '(thresholds from platform.config.yaml alerts.*, history in .baas/alerts.jsonl).',
  ];
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {lines.slice(0, height).map((l, i) => (
        <Line key={i} {...(i === 0 ? { bold: true } : {})}>
          {l || ' '}
        </Line>
      ))}
    </Box>
  );
}

export function TooSmall({ columns, rows, minColumns, minRows }: { columns: number; rows: number; minColumns: number; minRows: number }) {
  return (
    <Box flexDirection="column" width={Math.max(1, columns)} height={Math.max(1, rows - 1)} overflow="hidden">
      <Text wrap="wrap" color="yellow">
        Terminal too small ({columns}x{rows}): the dashboard needs at least {minColumns}x{minRows}. Enlarge the window, or run `baas dashboard --once`. q quits.
      </Text>
    </Box>
  );
}
