// Identifiers we mint. randomUUID draws from Node's pooled CSPRNG, which is
// far cheaper per call than randomBytes for small sizes.
import { randomUUID } from 'node:crypto';

function randomHex30(): string {
  const u = randomUUID(); // 8-4-4-4-12
  return u.slice(0, 8) + u.slice(9, 13) + u.slice(15, 18) + u.slice(20, 23) + u.slice(24);
}

/** RFC 3261 §8.1.1.7 branch: the magic cookie plus 120 random bits. */
export function generateBranch(): string {
  return 'z9hG4bK' + randomHex30();
}

/** From/To tag (§19.3): 64 random bits in hex. */
export function generateTag(): string {
  return randomHex30().slice(0, 16);
}

/** Call-ID: 120 random bits, optionally @host. */
export function generateCallId(host?: string): string {
  return host === undefined ? randomHex30() : randomHex30() + '@' + host;
}
