// Header surgery shared by both hiding modes: replacing the Via stack,
// rewriting the URIs of name-addr headers (Contact, Record-Route, Route),
// and the addresses in an SDP body.
import { formatNameAddr, parseNameAddr, type SipMessage } from '#libs/sip';
import { detachedCopy } from '#libs/strings';
import type { ListenSocketInfo } from '#libs/transport';

/** Replace the whole Via stack with `values` (top first), one header line each. */
export function setVias(msg: SipMessage, values: readonly string[]): void {
  msg.removeHeader('via');
  for (let i = values.length - 1; i >= 0; i--) msg.prependHeader('Via', values[i]);
}

/**
 * Rewrite the URI of every value of a name-addr header. `map` returns the new
 * URI text, or undefined to keep the value as it is; `null` drops the value.
 * The wildcard Contact and values that do not parse are kept untouched.
 */
export function mapUris(msg: SipMessage, header: string, map: (uri: string) => string | undefined | null, memo?: ValueMemo): void {
  if (!msg.hasHeader(header)) return;
  const values = msg.headerValues(header);
  const out: string[] = [];
  let changed = false;
  for (const v of values) {
    const next = memo === undefined ? mapValue(v, map) : memo.get(v, map);
    if (next !== v) changed = true;
    if (next !== null) out.push(next);
  }
  if (!changed) return;
  if (out.length === 0) msg.removeHeader(header);
  else msg.setHeader(header, out.join(', '));
}

/** One header value with its URI mapped: the value itself when unchanged, null when dropped. */
function mapValue(v: string, map: (uri: string) => string | undefined | null): string | null {
  const na = parseNameAddr(v);
  if (na === undefined || na.star === true) return v;
  const next = map(na.uriText);
  if (next === undefined) return v;
  return next === null ? null : formatNameAddr({ displayName: na.displayName, uriText: next, params: na.params });
}

/**
 * Remembers what a deterministic URI mapping did to whole header values: the
 * same Contact or Record-Route comes by call after call, and parsing and
 * formatting it each time shows on the hot path. Bounded: forgets all when full.
 * Keys and results are stored as detached copies: a slice of a message's
 * value would keep the whole message text alive as long as the entry (values
 * that differ per call, such as a Record-Route with its ftag, fill the memo
 * with 4,096 of them).
 */
export class ValueMemo {
  private readonly map = new Map<string, string | null>();
  constructor(private readonly max = 4096) {}
  get(v: string, mapUri: (uri: string) => string | undefined | null): string | null {
    let out = this.map.get(v);
    if (out === undefined) {
      out = mapValue(v, mapUri);
      if (this.map.size >= this.max) this.map.clear();
      this.map.set(detachedCopy(v), out === null ? null : detachedCopy(out));
    }
    return out;
  }
}

/** The URI texts of a name-addr header, in order. */
export function uriTexts(msg: SipMessage, header: string): string[] {
  if (!msg.hasHeader(header)) return [];
  const out: string[] = [];
  for (const v of msg.headerValues(header)) {
    const na = parseNameAddr(v);
    if (na !== undefined && na.star !== true) out.push(na.uriText);
  }
  return out;
}

/** Replace a header by these values (removed when empty). */
export function setValues(msg: SipMessage, header: string, values: readonly string[]): void {
  if (values.length === 0) msg.removeHeader(header);
  else msg.setHeader(header, values.join(', '));
}

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** host:port (and ;transport=tcp) of a socket as the far side must reach it. */
export function socketUriPart(sock: ListenSocketInfo): string {
  return `${hostText(sock.advertisedHost)}:${sock.advertisedPort}${sock.proto === 'tcp' ? ';transport=tcp' : ''}`;
}

/** true when a URI names this socket's advertised host and port (the node's own Record-Route toward that side). */
export function namesSocket(uri: string, sock: ListenSocketInfo): boolean {
  const at = uri.indexOf('@');
  const start = at >= 0 ? at + 1 : uri.indexOf(':') + 1;
  const hostPort = `${hostText(sock.advertisedHost)}:${sock.advertisedPort}`;
  if (!uri.startsWith(hostPort, start)) return false;
  const end = start + hostPort.length;
  return end === uri.length || uri.charCodeAt(end) === 59 /* ; */ || uri.charCodeAt(end) === 62 /* > */;
}

export type SdpMode = 'keep' | 'origin' | 'all';

const SDP_TYPE = /^\s*application\/sdp\s*(;|$)/i;

/**
 * Rewrite the address of the SDP origin line (o=), and with 'all' of the
 * connection lines (c=), to `host`. The origin is an identifier only, safe to
 * change; the connection address is where media goes, so 'all' only makes
 * sense when media is anchored at `host`.
 */
export function rewriteSdp(msg: SipMessage, mode: SdpMode, host: string): void {
  if (mode === 'keep' || msg.body.length === 0) return;
  const type = msg.header('content-type');
  if (type === undefined || !SDP_TYPE.test(type)) return;
  const text = msg.body.toString('latin1');
  const addrType = host.includes(':') ? 'IP6' : 'IP4';
  const lines = text.split('\n');
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const cr = line.endsWith('\r') ? '\r' : '';
    const body = cr ? line.slice(0, -1) : line;
    if (body.startsWith('o=')) {
      const f = body.slice(2).split(' ');
      if (f.length === 6) { f[4] = addrType; f[5] = host; lines[i] = 'o=' + f.join(' ') + cr; changed = true; }
    } else if (mode === 'all' && body.startsWith('c=')) {
      const f = body.slice(2).split(' ');
      if (f.length === 3) {
        const slash = f[2].indexOf('/');
        f[1] = addrType;
        f[2] = host + (slash >= 0 ? f[2].slice(slash) : '');
        lines[i] = 'c=' + f.join(' ') + cr;
        changed = true;
      }
    }
  }
  if (changed) msg.body = Buffer.from(lines.join('\n'), 'latin1');
}
