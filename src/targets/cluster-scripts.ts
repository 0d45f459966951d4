import type { RedisConfig } from '../config/schema.js';
import { CONTAINER_TLS, CREDENTIAL_FILES, nodeCredentialLines, REDIS_USERS, tlsLines } from '../services/redis-conf.js';
import type { ServiceDef } from '../services/types.js';
import { SECRETS_DIR, syncSecretsScript } from '../security/files.js';
import { secretKey } from './common.js';

/**
 * Start scripts for Redis and Sentinel on a cluster (Swarm, Kubernetes), where a restarted
 * task or pod gets a new IP address but keeps its name. So, unlike on one host:
 * - every node and sentinel announces a host name (BAAS_ME), and Sentinel resolves names
 *   (`resolve-hostnames`/`announce-hostnames`, Redis >= 7.0 re-resolves after an address change);
 * - at every start a node asks the sentinels who the master is now and follows it, so a node
 *   that comes back after a failover rejoins as a replica instead of as a second master;
 *   failing the sentinels, the other nodes say it (a replica whose link is up names its master,
 *   a master with replicas attached is one); BAAS_FALLBACK_MASTER is used only when nobody
 *   answers: at once on the first start (nothing runs yet), but a node that has started before
 *   (a marker in its data volume) asks again each second for REJOIN_WAIT seconds first, because
 *   a node back from a network partition may not reach the others at once, and starting as the
 *   old master then would make two masters (and lose what clients write to the wrong one);
 * - a sentinel asks its peers and the nodes the same way, then monitors that master. It keeps
 *   no state across restarts, so it always waits: on the first start the replicas link within
 *   seconds and say who the master is. A watch beside it stops it when it follows another master
 *   than every one of its peers (watchPeers), so that it restarts and asks again.
 * Users and passwords are those of one host (redis-conf.ts): the node's ACL file and replication
 * login, the Sentinel's auth lines, as files in /run/secrets (Swarm secrets, or the Kubernetes
 * Secret baas-credentials), which the scripts copy for the redis user as on one host. The scripts'
 * own questions (who is master? ready?) ask as the read-only `monitor` user, whose password comes
 * in as REDISCLI_AUTH and is unset before the server starts.
 *
 * With TLS (`tls: true`, the server profile's default) the CA, certificate and key arrive as
 * files in /run/secrets (ca.crt, server.crt, server.key: Swarm secrets or a Kubernetes Secret
 * volume); the script copies them for the redis user, exactly as the single-host start does, and
 * writes the same TLS lines as the single-host redis.conf/sentinel.conf (`port 0`, `tls-port`,
 * `tls-replication yes`). redis-cli then needs `--tls --cacert`.
 */

export interface ClusterScriptOptions {
  tls: boolean;
}

/** The user the scripts and probes ask as; its password is REDISCLI_AUTH (MONITOR_PASSWORD below). */
export const SCRIPT_USER = 'monitor' as const;
/** The environment variable (a secret: Swarm secret file, Kubernetes secretKeyRef) and the credential it holds. */
export const MONITOR_PASSWORD = { name: 'REDISCLI_AUTH', key: secretKey('redis', 'monitorPassword') };

/** redis-cli inside a container: as the monitor user (password from REDISCLI_AUTH), with TLS the CA copied for the redis user. */
export const redisCli = (tls: boolean): string => `redis-cli --no-auth-warning --user ${REDIS_USERS[SCRIPT_USER]}${tls ? ` --tls --cacert ${CONTAINER_TLS.ca}` : ''}`;

/** The credential files each kind reads from /run/secrets (besides the TLS files). */
export const CLUSTER_CREDENTIAL_FILES: Record<'redis' | 'sentinel', string[]> = {
  redis: [CREDENTIAL_FILES.nodeAuth, CREDENTIAL_FILES.nodeAcl],
  sentinel: [CREDENTIAL_FILES.sentinelAuth],
};

/** A node's or Sentinel's credential files, from its single-host definition (the same users and rules). */
export function clusterCredentialFiles(def: ServiceDef): Record<string, string> {
  if (def.kind !== 'redis' && def.kind !== 'sentinel') return {};
  const files = def.secretFiles ?? {};
  return Object.fromEntries(
    CLUSTER_CREDENTIAL_FILES[def.kind].map((f) => {
      const v = files[f];
      if (v === undefined) throw new Error(`${def.name}: no ${f} in its definition`);
      return [f, v];
    }),
  );
}

/** How long a restarted node or a sentinel asks around before it falls back to the first master (seconds). */
const REJOIN_WAIT = 60;
/** A node's marker in its data volume: it has started before, so it waits before falling back. */
const MEMBER_MARKER = '/data/.baas-member';

/**
 * Sets MASTER: the sentinels' answer, else the nodes' (a replica with its link up names its
 * master; a master with replicas attached, or the only node, is the master), asked once and then
 * each second while `wait` (a shell expression, seconds) lasts; then BAAS_FALLBACK_MASTER.
 */
export const findMaster = (tls: boolean, wait: string): string => `find_master() {
  for s in $BAAS_SENTINELS; do
    [ "$s" = "$BAAS_ME" ] && continue
    a=$(timeout 2 ${redisCli(tls)} -h "$s" -p 26379 SENTINEL get-master-addr-by-name "$SENTINEL_MASTER" 2>/dev/null | head -n 1 | tr -d '\\r' || true)
    if [ -n "$a" ]; then echo "$a"; return 0; fi
  done
  for n in $BAAS_NODES; do
    [ "$n" = "$BAAS_ME" ] && continue
    i=$(timeout 2 ${redisCli(tls)} -h "$n" -p 6379 info replication 2>/dev/null | tr -d '\\r' || true)
    case "$i" in
      *role:slave*)
        if echo "$i" | grep -q '^master_link_status:up'; then echo "$i" | sed -n 's/^master_host://p'; return 0; fi ;;
      *role:master*)
        if ! echo "$i" | grep -q '^connected_slaves:0$' || [ "$(echo $BAAS_NODES | wc -w)" -eq 1 ]; then echo "$n"; return 0; fi ;;
    esac
  done
  return 1
}
WAIT=${wait}
waited=0
until MASTER=$(find_master) && [ -n "$MASTER" ]; do
  if [ "$waited" -ge "$WAIT" ]; then
    MASTER="$BAAS_FALLBACK_MASTER"
    [ "$WAIT" -gt 0 ] && echo "baas: no sentinel or node answered within $WAIT s; starting with the first master, $MASTER" >&2
    break
  fi
  sleep 1
  waited=$((waited + 1))
done`;

/** How often a sentinel's watch compares its master with its peers', and how many differing answers in a row stop it. */
export const WATCH = { everySeconds: 5, checks: 4 } as const;

/**
 * A sentinel's watch on its own view (a shell script; $1 is the Sentinel's process id).
 * Sentinel (7.0) takes a peer's newer epoch before it moves to the new master's address, and
 * keeps that epoch when the name does not resolve yet (a node back from a partition whose DNS
 * records lag, a pod whose record is not out yet): it then ignores every later announcement of
 * that epoch and follows the old master for good. So: when every other sentinel answers and all
 * name one master that is not this sentinel's, `checks` times in a row, the watch stops the
 * Sentinel, the orchestrator restarts it (Swarm's restart policy, the pod's), and its start asks
 * the peers who the master is. A peer that does not answer, or peers that differ, reset the count:
 * the watch acts only on a view every other sentinel shares.
 */
export const watchPeers = (tls: boolean, everySeconds: number = WATCH.everySeconds, checks: number = WATCH.checks): string => `ask() { timeout 2 ${redisCli(tls)} -h "$1" -p 26379 SENTINEL get-master-addr-by-name "$SENTINEL_MASTER" 2>/dev/null | head -n 1 | tr -d '\\r'; }
n=0
while sleep ${everySeconds}; do
  mine=$(ask 127.0.0.1 || true)
  theirs=""
  agreed=yes
  for s in $BAAS_SENTINELS; do
    [ "$s" = "$BAAS_ME" ] && continue
    a=$(ask "$s" || true)
    if [ -z "$a" ] || { [ -n "$theirs" ] && [ "$a" != "$theirs" ]; }; then agreed=no; break; fi
    theirs=$a
  done
  if [ "$agreed" = yes ] && [ -n "$mine" ] && [ -n "$theirs" ] && [ "$mine" != "$theirs" ]; then n=$((n + 1)); else n=0; fi
  if [ "$n" -ge ${checks} ]; then
    echo "baas: $BAAS_ME follows $mine but every other sentinel follows $theirs; stopping it so that it restarts and rejoins them" >&2
    kill -TERM "$1"
    exit 0
  fi
done`;

/** The credential (and with TLS the certificate) files from /run/secrets, copied for the redis user as on one host. */
const copySecrets = `${syncSecretsScript('redis')}\n`;
/** The listening lines of the single-host configuration (redis-conf.ts), as shell echoes. */
const echoLines = (lines: string[]): string => lines.map((l) => `  echo "${l}"`).join('\n');

export function clusterRedisStart(o: ClusterScriptOptions): string {
  return `set -eu
mkdir -p /data /etc/baas
chown redis:redis /data
${copySecrets}${findMaster(o.tls, `$([ -f ${MEMBER_MARKER} ] && echo ${REJOIN_WAIT} || echo 0)`)}
touch ${MEMBER_MARKER}
echo "baas: $BAAS_ME starts with master $MASTER"
{
  echo "bind 0.0.0.0"
${echoLines(tlsLines(6379, o.tls))}
  echo "protected-mode no"
  echo "dir /data"
  echo "appendonly yes"
${echoLines(nodeCredentialLines())}
  echo "maxmemory $REDIS_MAXMEMORY"
  echo "maxmemory-policy $REDIS_MAXMEMORY_POLICY"
  echo "latency-monitor-threshold 25"
  echo "repl-diskless-sync-delay 0"
  echo "replica-announce-ip $BAAS_ME"
  if [ "$MASTER" != "$BAAS_ME" ]; then echo "replicaof $MASTER 6379"; fi
} > /etc/baas/redis.conf
chown -R redis:redis /etc/baas
chmod 600 /etc/baas/redis.conf
unset REDISCLI_AUTH
exec setpriv --reuid=redis --regid=redis --init-groups redis-server /etc/baas/redis.conf`;
}

export function clusterSentinelStart(o: ClusterScriptOptions): string {
  return `set -eu
D=/var/lib/baas-sentinel
F=$D/sentinel.conf
mkdir -p "$D"
${copySecrets}${findMaster(o.tls, String(REJOIN_WAIT))}
# Sentinel refuses a configuration whose master name does not resolve (yet): wait for the name.
i=0
until getent hosts "$MASTER" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 120 ]; then echo "baas: $MASTER does not resolve" >&2; exit 1; fi
  sleep 1
done
echo "baas: $BAAS_ME monitors $MASTER"
{
${echoLines(tlsLines(26379, o.tls))}
  echo "bind 0.0.0.0"
  echo "protected-mode no"
  echo "dir $D"
  echo "sentinel resolve-hostnames yes"
  echo "sentinel announce-hostnames yes"
  echo "sentinel announce-ip $BAAS_ME"
  echo "sentinel monitor $SENTINEL_MASTER $MASTER 6379 $SENTINEL_QUORUM"
  echo "sentinel down-after-milliseconds $SENTINEL_MASTER $SENTINEL_DOWN_AFTER"
  echo "sentinel failover-timeout $SENTINEL_MASTER $SENTINEL_FAILOVER_TIMEOUT"
  echo "sentinel parallel-syncs $SENTINEL_MASTER 1"
  # A fixed id per name: a restarted sentinel is the same peer to the others, not a new one.
  echo "sentinel myid $(printf '%s' "$BAAS_ME" | sha1sum | cut -c1-40)"
  # Its logins to the nodes and peers (auth-user, sentinel-user) and its own users, after the monitor line.
  cat ${SECRETS_DIR}/${CREDENTIAL_FILES.sentinelAuth}
} > "$F"
cat > "$D/watch.sh" <<'BAAS_WATCH'
${watchPeers(o.tls)}
BAAS_WATCH
chown -R redis:redis "$D"
chmod 600 "$F"
# The watch (as the redis user, with the monitor login) outlives this shell: $$ becomes the Sentinel's process below.
setpriv --reuid=redis --regid=redis --init-groups sh "$D/watch.sh" "$$" &
unset REDISCLI_AUTH
exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$F" --sentinel`;
}

/** The plain (non-secret) environment both scripts read. */
export function clusterRedisEnv(cfg: RedisConfig, addressing: { me: string; sentinels: string[]; nodes: string[]; fallbackMaster: string }): Record<string, string> {
  return {
    BAAS_ME: addressing.me,
    BAAS_SENTINELS: addressing.sentinels.join(' '),
    BAAS_NODES: addressing.nodes.join(' '),
    BAAS_FALLBACK_MASTER: addressing.fallbackMaster,
    SENTINEL_MASTER: cfg.masterName,
  };
}

export function clusterNodeEnv(cfg: RedisConfig): Record<string, string> {
  return { REDIS_MAXMEMORY: cfg.maxmemory, REDIS_MAXMEMORY_POLICY: cfg.maxmemoryPolicy };
}

export function clusterSentinelEnv(cfg: RedisConfig): Record<string, string> {
  return {
    SENTINEL_QUORUM: String(cfg.quorum),
    SENTINEL_DOWN_AFTER: String(cfg.downAfterMilliseconds),
    SENTINEL_FAILOVER_TIMEOUT: String(cfg.failoverTimeout),
  };
}

/**
 * Health checks run inside the containers (Kubernetes probes), with the same meaning as
 * `baas health`: a replica is ready when its link to the master is up and not syncing, a master
 * when it answers as master; a sentinel when it reaches quorum (CKQUORUM). They ask as the
 * monitor user, its password from REDISCLI_AUTH, never the command line.
 */
export const redisReady = (o: ClusterScriptOptions): string => `I=$(${redisCli(o.tls)} info replication) || exit 1
case "$I" in
  *role:master*) exit 0 ;;
esac
echo "$I" | grep -q '^master_link_status:up' || exit 1
echo "$I" | grep -q '^master_sync_in_progress:1' && exit 1
exit 0`;

export const sentinelReady = (o: ClusterScriptOptions): string => `${redisCli(o.tls)} -p 26379 SENTINEL CKQUORUM "$SENTINEL_MASTER" | grep -q '^OK'`;
