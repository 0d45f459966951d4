import { createHash } from 'node:crypto';

// The address plan inside a subnet lives in src/model/addresses.ts; this module picks the subnet.

/**
 * Candidate /24 subnets for a project, derived from its name so that the same project gets
 * the same subnet on every machine; the first one not used by another Docker network wins.
 */
export function candidateSubnets(project: string, count = 64): string[] {
  const h = createHash('sha256').update(project).digest();
  const start = h.readUInt16BE(0) % 4096;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = (start + i * 97) % 4096;
    out.push(`10.${200 + Math.floor(n / 256)}.${n % 256}.0/24`);
  }
  return out;
}

function toInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function subnetsOverlap(a: string, b: string): boolean {
  const parse = (s: string): [number, number] => {
    const [ip, bitsRaw] = s.split('/');
    const bits = Number(bitsRaw ?? 32);
    const size = 2 ** (32 - bits);
    const base = Math.floor(toInt(ip ?? '0.0.0.0') / size) * size;
    return [base, base + size - 1];
  };
  const [a0, a1] = parse(a);
  const [b0, b1] = parse(b);
  return a0 <= b1 && b0 <= a1;
}

export function pickSubnet(project: string, used: string[]): string | undefined {
  return candidateSubnets(project).find((c) => !used.some((u) => u.includes(':') || subnetsOverlap(c, u)));
}
