// The strings rules are matched against, built as Kamailio builds them, so
// rule files written for Kamailio keep their meaning:
//   From / To          the URI as written inside <> (parameters included)
//   R-URI / Contact    the "plain" URI: sip:user@host (no port, no parameters;
//                      sips: is written sip:, as Kamailio's get_plain_uri does)
import { parseUri, type SipUri } from '#libs/sip';

/** Kamailio get_plain_uri: "sip:user@host" / "sip:host"; tel: URIs keep their scheme. */
export function plainUri(uri: SipUri): string {
  if (uri.scheme === 'tel') return `tel:${uri.user ?? ''}`;
  return uri.user !== undefined && uri.user !== '' ? `sip:${uri.user}@${uri.host}` : `sip:${uri.host}`;
}

/** plainUri of URI text; the text itself when it does not parse (the rules still see something). */
export function plainUriText(text: string): string {
  const u = parseUri(text);
  return u === undefined ? text : plainUri(u);
}

/** A user as group membership knows it: user (percent-decoded) and lower-case host. */
export interface UserId {
  readonly user: string;
  /** undefined = any domain (a member written without "@domain") */
  readonly host?: string;
}

function decodeUser(user: string): string {
  if (!user.includes('%')) return user;
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

/** The user a URI names, or undefined when it has no user part. */
export function userIdOfUri(uri: SipUri): UserId | undefined {
  if (uri.user === undefined || uri.user === '') return undefined;
  if (uri.scheme === 'tel') return { user: decodeUser(uri.user) };
  return { user: decodeUser(uri.user), host: uri.host.toLowerCase() };
}

/**
 * A group member as written in the config: "sip:alice@example.com",
 * "alice@example.com" or "alice" (any domain). A string result is the problem.
 */
export function parseMember(text: string): UserId | string {
  const s = text.trim();
  if (s === '') return 'empty member';
  if (/^(sips?|tel):/i.test(s)) {
    const u = parseUri(s);
    if (u === undefined) return `"${s}" is not a valid URI`;
    const id = userIdOfUri(u);
    return id ?? `"${s}" has no user part`;
  }
  if (/[\s<>;,]/.test(s)) return `"${s}" is not user@domain, user or a sip: URI`;
  const at = s.lastIndexOf('@');
  if (at === 0) return `"${s}" has no user part`;
  if (at < 0) return { user: decodeUser(s) };
  const host = s.slice(at + 1);
  if (host === '') return `"${s}" has no domain after "@"`;
  return { user: decodeUser(s.slice(0, at)), host: host.toLowerCase() };
}
