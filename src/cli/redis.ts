import type { Command } from 'commander';
import { UnhealthyError, UserError } from '../errors.js';
import type { App } from './app.js';
import { json, ms, table } from './format.js';

interface JsonOpt {
  json?: boolean;
}

async function deps(app: App) {
  return { runtime: await app.runtime(), logger: await app.logger(), env: app.io.env };
}

export function registerRedis(program: Command, app: App): void {
  const io = app.io;
  const redis = program.command('redis').description('Redis high availability: topology and failovers (measured)');

  redis
    .command('topology')
    .description('master, replicas (link, lag in bytes and seconds) and what each Sentinel sees (exit 6 on lost quorum or a replica out of sync)')
    .option('--json', 'print as JSON')
    .addHelpText('after', `
Examples:
  $ baas redis topology
  $ baas redis topology --json | jq .replicas`)
    .action(async (opts: JsonOpt) => {
      const loaded = await app.config();
      const { stackTopology, topologyProblems } = await import('../ha/topology.js');
      const { topology: t } = await stackTopology(await deps(app), loaded, await app.stateDir());
      const problems = topologyProblems(t);
      if (opts.json) io.stdout(json({ ...t, problems }));
      else {
        io.stdout(`master ${t.masterName}: ${t.master ? `${t.master.service} (${t.master.ip}), offset ${t.master.offset}` : 'none agreed'}\n\n`);
        io.stdout(table(['REPLICA', 'ADDRESS', 'LINK', 'LAG BYTES', 'LAG S', 'IN SYNC'], t.replicas.map((r) => [r.service, r.ip, r.link, String(r.lagBytes), String(r.lagSeconds), r.inSync ? 'yes' : 'NO'])));
        io.stdout('\n');
        io.stdout(table(['SENTINEL', 'UP', 'SEES MASTER', 'QUORUM', 'PEERS', 'EPOCH', 'FLAGS'], t.sentinels.map((s) => [s.service, s.up ? 'yes' : 'NO', s.master ?? '', s.quorumOk === undefined ? (s.error ?? '') : s.quorumOk ? 'ok' : 'LOST', s.otherSentinels !== undefined ? String(s.otherSentinels) : '', s.configEpoch !== undefined ? String(s.configEpoch) : '', s.flags ?? ''])));
        io.stdout(`\n${t.sentinelsUp}/${t.sentinels.length} Sentinels agree; ${t.quorum} needed for a failover.\n`);
      }
      if (problems.length > 0) throw new UnhealthyError(`Redis HA is degraded: ${problems.join('; ')}.`, { hint: 'Run `baas up` to start what is stopped; `baas health redis` for details.' });
    });

  redis
    .command('failover')
    .description('fail over to a replica (SENTINEL FAILOVER), or kill the master (--kill); --measure counts WAIT-acknowledged writes throughout')
    .option('--measure', 'run a writer during the failover: time to the first write on the new master, acknowledged writes lost')
    .option('--kill', "kill the master's container instead of asking Sentinel (a game day); it is started again afterwards and rejoins as a replica")
    .option('--pause <seconds>', "pause the master's container (docker pause) this long instead: a partition; it comes back as a replica")
    .option('--json', 'print the figures as JSON')
    .addHelpText('after', `
Examples:
  $ baas redis failover                     graceful: Sentinel promotes a replica
  $ baas redis failover --measure --json    with figures: switch time, first write, writes lost
  $ baas redis failover --kill --measure    the master dies; does anything acknowledged get lost?
  $ baas redis failover --pause 10 --measure  the master is cut off 10 s, then returns
Writes count as acknowledged only when WAIT 1 says a replica has them. Exit 6 when no new
master is chosen in time or acknowledged writes were lost.`)
    .action(async (opts: JsonOpt & { measure?: boolean; kill?: boolean; pause?: string }) => {
      const pauseS = opts.pause === undefined ? undefined : Number(opts.pause);
      if (pauseS !== undefined && !(pauseS > 0 && pauseS <= 300)) throw new UserError(`--pause must be a number of seconds between 0 and 300, not '${opts.pause}'.`, { hint: 'For example --pause 10.' });
      if (pauseS !== undefined && opts.kill) throw new UserError('--kill and --pause are two different faults: pick one.');
      const loaded = await app.config();
      const { runFailover } = await import('../ha/failover.js');
      const r = await runFailover(await deps(app), loaded, await app.stateDir(), { measure: Boolean(opts.measure), kill: Boolean(opts.kill), ...(pauseS ? { pauseMs: pauseS * 1000 } : {}) });
      if (opts.json) io.stdout(json(r));
      else {
        io.stdout(`${r.mode === 'kill' ? 'Killed' : r.mode === 'pause' ? 'Paused' : 'Failed over from'} ${r.oldMaster}; new master ${r.newMaster}, named by the Sentinels after ${ms(r.switchMs)}.\n`);
        if (r.masterAfter) io.stdout(`The Sentinels then moved the master again, to ${r.masterAfter} (a second failover: a short downAfterMilliseconds on a loaded host); the figures below are measured against it.\n`);
        if (r.writes) {
          io.stdout(`first acknowledged write on the new master: ${r.firstWriteMs !== undefined ? ms(r.firstWriteMs) : 'none'} after the ${r.mode === 'kill' ? 'kill' : 'request'}; longest gap without a write ${ms(r.longestGapMs ?? 0)}\n`);
          io.stdout(`writes: ${r.writes.attempted} attempted, ${r.writes.acknowledged} acknowledged by a replica, ${r.writes.unacknowledged} not acknowledged, ${r.writes.failed} failed; acknowledged writes lost: ${r.lostAcknowledged}; unconfirmed writes lost: ${r.lostUnconfirmed}\n`);
        }
        if (r.resumedAsReplica !== undefined) io.stdout(r.resumedAsReplica ? `${r.oldMaster} resumed and is a replica of ${r.masterAfter ?? r.newMaster} now.\n` : `${r.oldMaster} resumed but is not a replica of ${r.masterAfter ?? r.newMaster} yet: see \`baas redis topology\`.\n`);
        if (r.killedRestarted !== undefined) io.stdout(r.killedRestarted ? `${r.oldMaster} was started again and is a replica now.\n` : `${r.oldMaster} was started again but has not rejoined as a replica yet: see \`baas redis topology\`.\n`);
      }
      if ((r.lostAcknowledged ?? 0) > 0) throw new UnhealthyError(`${r.lostAcknowledged} acknowledged write(s) were lost in the failover.`, { hint: 'Check min-replicas-to-write (services.redis.minReplicasToWrite) and see README "Redis HA".' });
    });
}
