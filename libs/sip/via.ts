// Via values (RFC 3261 §20.42, RFC 3581 rport, RFC 4475 spacing cases).
import type { Via } from './types.ts';
import * as scanMod from './scan.ts';
import * as uriMod from './uri.ts';

// Module-local copies of imported bindings: under tsx each access to an
// imported binding is a getter call, which is measurable in per-char loops.
const { TOKEN, formatParams, isWsp, parseParams, skipWsp, trimEnd } = scanMod;
const { scanHostPort } = uriMod;

function token(s: string, i: number, end: number): number {
  while (i < end && TOKEN[s.charCodeAt(i)] === 1) i++;
  return i;
}

const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'WSS', 'WS', 'SCTP', 'TLS-SCTP'];

/** Parse ONE Via value (split a comma list first). undefined when malformed. */
export function parseVia(text: string): Via | undefined {
  const s = text;
  const end = trimEnd(s, 0, s.length);
  let i = skipWsp(s, 0, end);
  let protocol: string | undefined;
  let transport: string | undefined;
  let j = i;
  // fast path for the usual "SIP/2.0/UDP " spelling: constant strings, no char loops
  if (s.startsWith('SIP/2.0/', i)) {
    for (const t of TRANSPORTS) {
      if (s.startsWith(t, i + 8)) {
        const c = s.charCodeAt(i + 8 + t.length);
        if (c === 32 || c === 9) {
          protocol = 'SIP/2.0';
          transport = t;
          j = i + 8 + t.length;
          break;
        }
      }
    }
  }
  if (protocol === undefined || transport === undefined) {
    // sent-protocol = name SLASH version SLASH transport, SLASH = SWS "/" SWS
    j = token(s, i, end);
    if (j === i) return undefined;
    const name = s.slice(i, j);
    i = skipWsp(s, j, end);
    if (s.charCodeAt(i) !== 47) return undefined;
    i = skipWsp(s, i + 1, end);
    j = token(s, i, end);
    if (j === i) return undefined;
    const version = s.slice(i, j);
    i = skipWsp(s, j, end);
    if (s.charCodeAt(i) !== 47) return undefined;
    i = skipWsp(s, i + 1, end);
    j = token(s, i, end);
    if (j === i) return undefined;
    protocol = name + '/' + version;
    transport = s.slice(i, j).toUpperCase();
  }
  // at least one LWS before sent-by
  if (j >= end || !isWsp(s.charCodeAt(j)) && s.charCodeAt(j) !== 13 && s.charCodeAt(j) !== 10) return undefined;
  i = skipWsp(s, j, end);
  // sent-by = host [":" port], then ';' params, whitespace or the end
  const hp = scanHostPort(s, i, end);
  if (hp === undefined) return undefined;
  j = hp.next;
  if (j < end) {
    const c = s.charCodeAt(j);
    if (c !== 59 && c !== 32 && c !== 9 && c !== 13 && c !== 10) return undefined;
  }
  const params = new Map<string, string | null>();
  const stop = parseParams(s, j, end, params);
  if (stop !== end) return undefined; // trailing garbage or a comma (caller must split lists)
  return { protocol, transport, host: hp.host, port: hp.port, params };
}

export function formatVia(via: Via): string {
  let out = via.protocol + '/' + via.transport + ' ' + via.host;
  if (via.port !== undefined) out += ':' + via.port;
  return out + formatParams(via.params);
}
