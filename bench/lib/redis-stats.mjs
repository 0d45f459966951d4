// Where watching Redis is paid, read from the server's own accounting (shared by the benches).

/** INFO commandstats and INFO cpu of one server. */
export async function serverStats(client) {
  const text = await client.info('all');
  const cmds = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) cmds[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  const num = (k) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return { cmds, cpu: num('used_cpu_sys') + num('used_cpu_user') };
}

/** Command time of the load's GET/SET against everything else, and Redis CPU per 100k requests. */
export function statsDelta(a, b) {
  let totalUsec = 0;
  let otherUsec = 0;
  let requests = 0;
  for (const [name, v] of Object.entries(b.cmds)) {
    const prev = a.cmds[name] ?? { calls: 0, usec: 0 };
    const usec = v.usec - prev.usec;
    totalUsec += usec;
    if (name === 'get' || name === 'set') requests += v.calls - prev.calls;
    else otherUsec += usec;
  }
  const cpuSeconds = b.cpu - a.cpu;
  return { totalUsec, otherUsec, requests, cpuSeconds, cpuPer100k: requests > 0 ? (cpuSeconds / requests) * 100_000 : 0 };
}
