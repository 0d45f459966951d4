/**
 * The fixed address plan inside a project's /24 network. Sentinels monitor the master by IP,
 * never by name, so every container keeps the same address across restarts and recreates.
 */
export const HOST_OCTET = {
  postgres: 10,
  mongo: 11,
  redisBase: 20,
  sentinelBase: 30,
} as const;

/** The port each engine listens on inside its container. */
export const CONTAINER_PORT = {
  postgres: 5432,
  redis: 6379,
  sentinel: 26379,
  mongo: 27017,
} as const;

export function subnetPrefix(subnet: string): string {
  return subnet.replace(/\.0\/24$/, '');
}

export function addressIn(subnet: string, octet: number): string {
  return `${subnetPrefix(subnet)}.${octet}`;
}

export function gatewayOf(subnet: string): string {
  return addressIn(subnet, 1);
}

export const postgresIp = (subnet: string): string => addressIn(subnet, HOST_OCTET.postgres);
export const mongoIp = (subnet: string): string => addressIn(subnet, HOST_OCTET.mongo);
/** Redis node i (1-based): redis-1 is .21. */
export const redisIp = (subnet: string, i: number): string => addressIn(subnet, HOST_OCTET.redisBase + i);
/** Sentinel i (1-based): sentinel-1 is .31. */
export const sentinelIp = (subnet: string, i: number): string => addressIn(subnet, HOST_OCTET.sentinelBase + i);
