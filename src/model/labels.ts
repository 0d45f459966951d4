/** Labels on everything baas creates; the stack is found again by these, never by a state file. */
export const LABEL = {
  project: 'baas.project',
  service: 'baas.service',
  kind: 'baas.kind',
  group: 'baas.group',
  configHash: 'baas.config-hash',
  /** The published host port, readable even while the container is stopped (Docker lists ports of running containers only). */
  hostPort: 'baas.host-port',
  version: 'baas.version',
  composeProject: 'com.docker.compose.project',
  composeService: 'com.docker.compose.service',
  composeNumber: 'com.docker.compose.container-number',
  composeOneoff: 'com.docker.compose.oneoff',
} as const;

export const BAAS_VERSION = '0.1.0';

export function projectLabels(project: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [LABEL.project]: project, [LABEL.composeProject]: project, [LABEL.version]: BAAS_VERSION };
}

export function serviceLabels(
  project: string,
  service: string,
  kind: string,
  group: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...projectLabels(project, extra),
    [LABEL.service]: service,
    [LABEL.kind]: kind,
    [LABEL.group]: group,
    [LABEL.composeService]: service,
    [LABEL.composeNumber]: '1',
    [LABEL.composeOneoff]: 'False',
  };
}

export const containerName = (project: string, service: string): string => `baas-${project}-${service}`;
export const volumeName = (project: string, service: string): string => `baas-${project}-${service}-data`;
export const networkName = (project: string): string => `baas-${project}`;

/** Extra labels from BAAS_LABELS ("k=v,k2=v2"), e.g. to mark test stacks for clean-up. */
export function extraLabelsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const raw = env['BAAS_LABELS'];
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const i = pair.indexOf('=');
    if (i > 0) out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}
