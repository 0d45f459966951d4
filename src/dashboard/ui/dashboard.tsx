/** The whole screen, display-only: everything it shows comes in as props. */
import { Box, Text } from 'ink';
import type { HistoryPoint, Snapshot } from '../types.js';
import { computeLayout, MIN_COLUMNS, MIN_ROWS, type PanelId } from './layout.js';
import { AlertsPanel, Footer, Header, Help, HistoryPanel, HotKeysPanel, LatencyPanel, OverviewPanel, ReplicationPanel, SentinelPanel, ServicesLines, TooSmall } from './panels.js';

export interface DashboardProps {
  snapshot: Snapshot | null;
  history: HistoryPoint[];
  columns: number;
  rows: number;
  focus?: PanelId;
  zoom?: boolean;
  paused?: boolean;
  help?: boolean;
  intervalMs: number;
  /** A collection problem to show in the footer (the last tick failed). */
  error?: string | undefined;
  thresholds?: { memoryAbove: number; hitRateBelow: number };
}

export function Dashboard(props: DashboardProps) {
  const { snapshot: s, columns, rows, focus, intervalMs } = props;
  const l = computeLayout(columns, rows);
  if (l.tooSmall) return <TooSmall columns={columns} rows={rows} minColumns={MIN_COLUMNS} minRows={MIN_ROWS} />;
  const header = <Header snapshot={s} width={l.width} paused={Boolean(props.paused)} intervalMs={intervalMs} />;
  const footer = <Footer width={l.width} note={props.error ?? (s?.notes[0] ? s.notes[0] : undefined)} />;
  if (props.help) {
    return (
      <Box flexDirection="column" width={l.width} height={l.height}>
        {header}
        <Help width={l.width} height={l.height - 2} />
        {footer}
      </Box>
    );
  }
  if (!s) {
    return (
      <Box flexDirection="column" width={l.width} height={l.height}>
        {header}
        <Box height={l.height - 2}>
          <Text>Connecting to the stack…</Text>
        </Box>
        {footer}
      </Box>
    );
  }
  const t = props.thresholds ?? { memoryAbove: 0.9, hitRateBelow: 0.8 };
  const panel = (id: PanelId, width: number, lines: number) => {
    const focused = focus === id;
    switch (id) {
      case 'overview':
        return <OverviewPanel overview={s.overview} width={width} lines={lines} focused={focused} memoryAbove={t.memoryAbove} hitRateBelow={t.hitRateBelow} />;
      case 'history':
        return <HistoryPanel history={props.history} width={width} lines={lines} focused={focused} maxmemory={s.overview?.maxmemory ?? 0} intervalMs={intervalMs} />;
      case 'replication':
        return <ReplicationPanel replication={s.replication} width={width} lines={lines} focused={focused} />;
      case 'sentinel':
        return <SentinelPanel sentinel={s.sentinel} failover={s.failover} width={width} lines={lines} focused={focused} />;
      case 'latency':
        return <LatencyPanel latency={s.latency} width={width} lines={lines} focused={focused} />;
      case 'hotkeys':
        return <HotKeysPanel hotKeys={s.hotKeys} width={width} lines={lines} focused={focused} />;
      case 'alerts':
        return <AlertsPanel active={s.alerts.active} recent={s.alerts.recent} width={width} lines={lines} focused={focused} />;
    }
  };
  if (props.zoom && focus) {
    return (
      <Box flexDirection="column" width={l.width} height={l.height}>
        {header}
        {panel(focus, l.width, l.zoomLines)}
        <ServicesLines postgres={s.postgres} mongo={s.mongo} width={l.width} />
        {footer}
      </Box>
    );
  }
  const row = (a: PanelId, b: PanelId, lines: number) => (
    <Box width={l.width} height={lines + 1}>
      {panel(a, l.left, lines)}
      <Box width={1} />
      {panel(b, l.right, lines)}
    </Box>
  );
  return (
    <Box flexDirection="column" width={l.width} height={l.height}>
      {header}
      {row('overview', 'history', l.rows[0])}
      {row('replication', 'sentinel', l.rows[1])}
      {row('latency', 'hotkeys', l.rows[2])}
      {panel('alerts', l.width, l.alertLines)}
      <ServicesLines postgres={s.postgres} mongo={s.mongo} width={l.width} />
      {footer}
    </Box>
  );
}
