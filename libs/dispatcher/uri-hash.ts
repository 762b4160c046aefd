// Hash keys of a URI as Kamailio's get_uri_hash_keys builds them: user, and
// host with ":port" unless the port is the scheme default. Parameters and
// display names never count, so ";transport=tcp" or a tag does not move a call.
import { parseUri } from '#libs/sip';
import { dsHash } from './hash.ts';

export function uriHashKeys(uriText: string): [user: string, hostPort: string] | undefined {
  const u = parseUri(uriText.trim());
  if (!u) return undefined;
  if (u.scheme === 'tel') return [u.user ?? '', ''];
  const def = u.scheme === 'sips' ? 5061 : 5060;
  return [u.user ?? '', u.port !== undefined && u.port !== def ? `${u.host}:${u.port}` : u.host];
}

/** Hash of a URI's user@host[:port]; an unparsable URI is hashed as its trimmed text (still the same on every node). */
export function hashUri(uriText: string): number {
  const k = uriHashKeys(uriText);
  return k ? dsHash(k[0], k[1]) : dsHash(uriText.trim());
}
