// Trusted / exempt source addresses, read and matched by the shared address
// matcher (libs/address): IPv4-mapped IPv6 sources ("::ffff:192.0.2.1", seen
// on dual-stack sockets) match their IPv4 rules.
import { AddressMatcher, parseCidr } from '#libs/address';

/** The problem with an entry that is not an IP or CIDR ("192.0.2.10", "10.0.0.0/8", "[2001:db8::1]"), else undefined. */
export function addressProblem(text: string): string | undefined {
  const c = parseCidr(text);
  return typeof c === 'string' ? c : undefined;
}

/** Splits a list into usable entries and problems (node-supplied lists may hold host names). */
export function partitionAddresses(entries: Iterable<string>): { ok: string[]; bad: string[] } {
  const ok: string[] = [];
  const bad: string[] = [];
  for (const e of entries) (addressProblem(e) === undefined ? ok : bad).push(e);
  return { ok, bad };
}

/** A matcher of the entries (throws on one that is not an IP or CIDR: filter with partitionAddresses first). */
export function exemptMatcher(entries: Iterable<string>): AddressMatcher<true> {
  return AddressMatcher.of(entries);
}
