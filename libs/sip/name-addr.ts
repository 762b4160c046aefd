// name-addr / addr-spec values: From, To, Contact, Route, Record-Route,
// Refer-To, P-Asserted-Identity ... (RFC 3261 §20.10, §25.1).
import type { NameAddr, SipUri } from './types.ts';
import * as scanMod from './scan.ts';
import * as uriMod from './uri.ts';

// Module-local copies of imported bindings: under tsx each access to an
// imported binding is a getter call, which is measurable in per-char loops.
const { TOKEN, endOfQuoted, formatParams, isWsp, parseParams, quote, skipWsp, trimEnd, unquote } = scanMod;
const { parseUri } = uriMod;

/**
 * Parse one name-addr or addr-spec (not a comma list: split first). In
 * addr-spec form the parameters after the URI belong to the header, not the
 * URI (RFC 3261 §20.10). Returns undefined when malformed.
 */
export function parseNameAddr(text: string): NameAddr | undefined {
  const s = text;
  let i = skipWsp(s, 0, s.length);
  const end = trimEnd(s, i, s.length);
  if (i >= end) return undefined;
  const params = new Map<string, string | null>();
  if (end - i === 1 && s.charCodeAt(i) === 42) return { uriText: '*', params, star: true };
  // "*;expires=0" is not valid but "*" with surrounding spaces is
  let displayName: string | undefined;
  let uriText: string;
  const c = s.charCodeAt(i);
  if (c === 34) {
    const q = endOfQuoted(s, i, end);
    if (q < 0) return undefined; // unterminated quote
    displayName = unquote(s.slice(i, q));
    i = skipWsp(s, q, end);
    if (i >= end || s.charCodeAt(i) !== 60) return undefined;
  } else if (c !== 60) {
    // token display name (*(token LWS)) followed by '<', or a bare addr-spec
    let j = i;
    while (j < end) {
      const d = s.charCodeAt(j);
      // bytes >= 0x80: unquoted UTF-8 display names are invalid but common
      if (TOKEN[d] !== 1 && !isWsp(d) && d < 0x80) break;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 60) {
      const dn = trimEnd(s, i, j);
      if (dn > i) displayName = s.slice(i, dn);
      i = j;
    } else {
      // addr-spec: the URI runs to the first ';' (or whitespace); the rest are header params
      let k = i;
      while (k < end) {
        const d = s.charCodeAt(k);
        if (d === 59 || isWsp(d)) break;
        if (d === 60 || d === 62 || d === 34 || d === 44) return undefined;
        k++;
      }
      uriText = s.slice(i, k);
      if (uriText.indexOf(':') <= 0) return undefined;
      const stop = parseParams(s, k, end, params);
      if (stop !== end) return undefined;
      return finish(displayName, uriText, params);
    }
  }
  // s[i] === '<'
  const gt = s.indexOf('>', i + 1);
  if (gt < 0 || gt >= end) return undefined;
  uriText = s.slice(i + 1, gt).trim();
  if (uriText.indexOf(':') <= 0 || uriText.indexOf('<') >= 0) return undefined;
  const stop = parseParams(s, gt + 1, end, params);
  if (stop !== end) return undefined;
  return finish(displayName, uriText, params);
}

/**
 * A parsed name-addr whose URI is parsed on first access: From/To tag
 * lookups (the hot path) never pay for the URI.
 */
class LazyNameAddr implements NameAddr {
  displayName: string | undefined;
  uriText: string;
  params: Map<string, string | null>;
  star: boolean | undefined;
  private parsedUri: SipUri | null | undefined = undefined;

  constructor(displayName: string | undefined, uriText: string, params: Map<string, string | null>) {
    this.displayName = displayName;
    this.uriText = uriText;
    this.params = params;
    this.star = undefined;
  }

  get uri(): SipUri | undefined {
    if (this.parsedUri === undefined) this.parsedUri = parseUri(this.uriText) ?? null;
    return this.parsedUri ?? undefined;
  }

  set uri(v: SipUri | undefined) {
    this.parsedUri = v ?? null;
  }
}

function finish(displayName: string | undefined, uriText: string, params: Map<string, string | null>): NameAddr {
  return new LazyNameAddr(displayName, uriText, params);
}

/**
 * Format as name-addr ("Name" <uri>;params). The URI is always put in angle
 * brackets, which is always valid and keeps URI params apart from header params.
 */
export function formatNameAddr(na: NameAddr): string {
  if (na.star) return '*';
  let out = '';
  if (na.displayName !== undefined && na.displayName !== '') out = quote(na.displayName) + ' ';
  out += '<' + na.uriText + '>';
  return out + formatParams(na.params);
}
