import { it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { startSwarm } from '../../helpers/swarm-fixture.js';
it('dev fixture', async () => {
  const f = await startSwarm();
  writeFileSync('/tmp/swarm-dev.json', JSON.stringify({ nodes: f.nodes, id: f.id }, null, 2));
  const until = Date.now() + 40 * 60_000;
  while (existsSync('/tmp/swarm-dev.json') && Date.now() < until) await new Promise((r) => setTimeout(r, 1000));
  await f.teardown();
}, 45 * 60_000);
