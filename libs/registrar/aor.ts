// Address-of-record keys: `user@domain`, user as written (SIP users are
// case-sensitive), domain lower-cased, port and parameters dropped.
import type { SipUri } from '#libs/sip';

export function aorOf(uri: SipUri | undefined): string | undefined {
  if (uri === undefined || uri.scheme === 'tel' || uri.user === undefined || uri.user === '' || uri.host === '') return undefined;
  return `${uri.user}@${uri.host.toLowerCase()}`;
}

/** The domain part of an AoR key. */
export function domainOf(aor: string): string {
  return aor.slice(aor.lastIndexOf('@') + 1);
}

/** A source address as a SIP URI (the `received` of a binding: where the REGISTER really came from). */
export function receivedUri(proto: 'udp' | 'tcp', address: string, port: number): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `sip:${host}:${port};transport=${proto}`;
}
