import type { LoadedConfig } from '../../config/load.js';
import type { ConnectionInfo } from '../../services/types.js';
import { connectionSettings } from '../../stack/connection.js';
import { requireSecrets } from '../../stack/secrets.js';
import { deployedView, publishedSwarmDefs, reachableEndpoints, swarmEndpoints } from './published.js';
import type { SwarmDeps } from './stack.js';

/**
 * `baas env --target swarm`: the same settings the engines' drivers give on one host, with each
 * service at its node's address and published port (TLS: the local CA the swarm's certificates
 * were issued from; the certificates cover every node address, so verify-full holds).
 */
export async function swarmConnectionInfo(deps: SwarmDeps, loaded: LoadedConfig, stateDir: string): Promise<ConnectionInfo[]> {
  const view = await deployedView(deps, loaded, requireSecrets(stateDir));
  const { reachable, left } = reachableEndpoints(swarmEndpoints(view));
  const infos = connectionSettings(view.ctx, publishedSwarmDefs(reachable));
  const redisLeft = left.filter((e) => e.def.group === 'redis').map((e) => `${e.def.name} (${e.missing})`);
  return infos.map((i) => (i.service === 'redis' && redisLeft.length > 0 ? { ...i, notes: [`Left out, no address on the swarm now: ${redisLeft.join(', ')}.`, ...i.notes] } : i));
}
