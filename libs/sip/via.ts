// Via values (RFC 3261 §20.42, RFC 3581 rport, RFC 4475 spacing cases).
import type { Via } from './types.ts';
import * as scanMod from './scan.ts';
import * as uriMod from './uri.ts';

// Module-local copies of imported bindings: under tsx each access to an
// imported binding is a getter call, which is measurable in per-char loops.
const { TOKEN, formatParams, isWsp, parseParams, skipWsp, trimEnd } = scanMod;
const { parseHostPort } = uriMod;

function token(s: string, i: number, end: number): number {
  while (i < end && TOKEN[s.charCodeAt(i)] === 1) i++;
  return i;
}

/** Parse ONE Via value (split a comma list first). undefined when malformed. */
export function parseVia(text: string): Via | undefined {
  const s = text;
  const end = trimEnd(s, 0, s.length);
  let i = skipWsp(s, 0, end);
  // sent-protocol = name SLASH version SLASH transport, SLASH = SWS "/" SWS
  let j = token(s, i, end);
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
  const transport = s.slice(i, j).toUpperCase();
  // at least one LWS before sent-by
  if (j >= end || !isWsp(s.charCodeAt(j)) && s.charCodeAt(j) !== 13 && s.charCodeAt(j) !== 10) return undefined;
  i = skipWsp(s, j, end);
  // sent-by runs to ';' or whitespace (HCOLON-style spaces before port are not allowed)
  j = i;
  if (s.charCodeAt(j) === 91) {
    const close = s.indexOf(']', j);
    if (close < 0 || close >= end) return undefined;
    j = close + 1;
  }
  while (j < end) {
    const c = s.charCodeAt(j);
    if (c === 59 || isWsp(c) || c === 13 || c === 10) break;
    j++;
  }
  const hp = parseHostPort(s, i, j);
  if (hp === undefined) return undefined;
  const params = new Map<string, string | null>();
  const stop = parseParams(s, j, end, params);
  if (stop !== end) return undefined; // trailing garbage or a comma (caller must split lists)
  const via: Via = { protocol: name + '/' + version, transport, host: hp.host, params };
  if (hp.port !== undefined) via.port = hp.port;
  return via;
}

export function formatVia(via: Via): string {
  let out = via.protocol + '/' + via.transport + ' ' + via.host;
  if (via.port !== undefined) out += ':' + via.port;
  return out + formatParams(via.params);
}
