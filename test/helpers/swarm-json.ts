/**
 * What the Swarm integration tests read from `baas ... --target swarm --json`, and the config
 * they start from (shared by swarm.test.ts and tls.test.ts).
 */
export interface SwarmStatusJson {
  nodes: { hostname: string; addr: string; state: string }[];
  services: { service: string; kind: string; state: string; node: string; nodeState: string; ports: string[] }[];
}
export interface SwarmHealthJson {
  healthy: boolean;
  services: { service: string; status: string; role?: string; node?: string; detail?: string; details?: Record<string, unknown> }[];
}
export interface SwarmUpJson {
  services: { service: string; action: string; node: string; health: { status: string; role?: string } }[];
  changed: boolean;
  certificates: { issued: { service: string; reason: string }[]; adopted: { service: string; from: string; to: string }[] };
}

/** A swarm stack without MongoDB and with a fast Sentinel; `top` goes right after `target: swarm` (a profile, say). */
export const swarmConfig = (top = ''): string => `images: local
target: swarm
${top}services:
  mongo:
    enabled: false
  redis:
    downAfterMilliseconds: 2000
    failoverTimeout: 5000
`;

/**
 * `baas health --json` until the stack says healthy (or 90 s pass); the last answer either way.
 * Each change in what is not yet healthy is logged with its time, so a slow recovery shows where it waited.
 */
export async function healthyWithin90s(run: (argv: string[]) => Promise<{ out: string }>): Promise<SwarmHealthJson> {
  let health: SwarmHealthJson | undefined;
  let last = '';
  const t0 = Date.now();
  // By the clock, not a count of answers: on a loaded machine each answer takes a while.
  while (Date.now() - t0 < 90_000) {
    health = JSON.parse((await run(['health', '--json'])).out) as SwarmHealthJson;
    const waiting = health.services.filter((s) => s.status !== 'healthy').map((s) => `${s.service} ${s.status}${s.node ? ` on ${s.node}` : ''}: ${s.detail ?? ''}`).join('; ');
    if (waiting !== last) console.log(`health after ${Date.now() - t0} ms: ${waiting || 'all healthy'}`);
    last = waiting;
    if (health.healthy) break;
    await new Promise((res) => setTimeout(res, 1000));
  }
  return health!;
}
