/** `baas serve --systemd`: a unit file for the agent. Pure. */

export interface UnitInput {
  project: string;
  /** The project's directory (where platform.config.yaml and .baas/ live). */
  workingDirectory: string;
  configFile: string | undefined;
  node: string;
  bin: string;
  listen: string;
  user: string;
  extraArgs?: string[];
}

const quote = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`);

export function systemdUnit(u: UnitInput): string {
  const exec = [u.node, u.bin, ...(u.configFile ? ['-c', u.configFile] : []), 'serve', '--listen', u.listen, ...(u.extraArgs ?? [])].map(quote).join(' ');
  return `# baas agent for project '${u.project}': health API, Prometheus metrics, alert webhooks, schedules.
# Install:  baas serve --systemd | sudo tee /etc/systemd/system/baas-${u.project}.service
#           sudo systemctl daemon-reload && sudo systemctl enable --now baas-${u.project}
# Logs:     journalctl -u baas-${u.project} -f      (one JSON object a line)
[Unit]
Description=baas agent (${u.project})
Wants=network-online.target docker.service
After=network-online.target docker.service

[Service]
Type=simple
User=${u.user}
WorkingDirectory=${quote(u.workingDirectory)}
ExecStart=${exec}
# SIGTERM: in-flight requests finish, connections close, exit 0.
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=5
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=full
ReadWritePaths=${quote(`${u.workingDirectory}/.baas`)}

[Install]
WantedBy=multi-user.target
`;
}
