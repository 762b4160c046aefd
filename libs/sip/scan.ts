// Character classes and small scanners shared by the header-value parsers.
// Everything here is index-based (no regex) so cost stays linear in the input.

/** RFC 3261 token characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
export const TOKEN = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

export function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}

export function skipWsp(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    i++;
  }
  return i;
}

export function trimEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    end--;
  }
  return end;
}

/**
 * Index just past the closing quote of the quoted-string starting at s[i]
 * (which must be '"'), or -1 when unterminated. Backslash escapes one char.
 */
export function endOfQuoted(s: string, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) j++; // quoted-pair
    else if (c === 34) return j + 1;
  }
  return -1;
}

/**
 * True when s[a, b) holds a control character (other than HT, and CR/LF
 * when `breaksOk`) that is not the escaped char of a quoted-pair inside a
 * quoted string: RFC 3261 quoted-pair = "\\" (%x00-09 / %x0B-0C / %x0E-7F),
 * so `"NUL:\\<00>"` is a legal display name (RFC 4475 intmeth). Quote state
 * restarts at each header line (not at a fold). Only run once a cheaper scan found a control
 * char, so the quoted cases are rare.
 */
export function hasBareControl(s: string, a: number, b: number, breaksOk: boolean): boolean {
  let inQuote = false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13) {
      if (!breaksOk) return true;
      // a folded line (LF then SP/HT) goes on with the same value; any other line starts afresh
      if (c === 10 && !(i + 1 < b && (s.charCodeAt(i + 1) === 32 || s.charCodeAt(i + 1) === 9))) inQuote = false;
      continue;
    }
    if (c === 34) inQuote = !inQuote;
    else if (c === 92 && inQuote && i + 1 < b) {
      const e = s.charCodeAt(i + 1);
      if (e !== 10 && e !== 13) i++; // the escaped char, whatever it is
    } else if (c === 127 || (c < 32 && c !== 9)) return true;
  }
  return false;
}

/** Content of a quoted-string without quotes and with quoted-pairs resolved. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 34) return s;
  const inner = s.slice(1, s.charCodeAt(s.length - 1) === 34 ? s.length - 1 : s.length);
  if (inner.indexOf('\\') < 0) return inner;
  let out = '';
  for (let j = 0; j < inner.length; j++) {
    const c = inner.charCodeAt(j);
    if (c === 92 && j + 1 < inner.length) {
      j++;
      out += inner[j];
    } else out += inner[j];
  }
  return out;
}

/** Quote a display name or parameter value, escaping '"' and '\'. */
export function quote(s: string): string {
  let out = '"';
  for (let j = 0; j < s.length; j++) {
    const ch = s[j];
    out += ch === '"' || ch === '\\' ? '\\' + ch : ch;
  }
  return out + '"';
}

/**
 * Index of the first comma at top level in s[start, end): not inside a
 * quoted-string and not inside <...>. Returns end when there is none.
 * An unterminated quote or '<' swallows the rest (no split).
 */
export function topLevelComma(s: string, start: number, end: number): number {
  // most values hold no comma at all: let native indexOf say so
  const first = s.indexOf(',', start);
  if (first < 0 || first >= end) return end;
  for (let j = start; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 44) return j;
    if (c === 34) {
      const q = endOfQuoted(s, j, end);
      if (q < 0) return end;
      j = q - 1;
    } else if (c === 60) {
      const g = s.indexOf('>', j + 1);
      if (g < 0 || g >= end) return end;
      j = g;
    }
  }
  return end;
}

/** Split a list header value on top-level commas; empty elements are dropped. */
export function splitList(s: string, out: string[] = []): string[] {
  if (s.indexOf(',') < 0) {
    const a = skipWsp(s, 0, s.length);
    const b = trimEnd(s, a, s.length);
    if (b > a) out.push(a === 0 && b === s.length ? s : s.slice(a, b));
    return out;
  }
  let i = 0;
  const end = s.length;
  while (i <= end) {
    const c = topLevelComma(s, i, end);
    const a = skipWsp(s, i, c);
    const b = trimEnd(s, a, c);
    if (b > a) out.push(a === 0 && b === end ? s : s.slice(a, b));
    i = c + 1;
  }
  return out;
}

/** RFC 3261 LWS unfolding: [*WSP CRLF] 1*WSP becomes one SP. */
export function unfold(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const nl = s.indexOf('\n', i);
    if (nl < 0) {
      out += s.slice(i);
      break;
    }
    const a = trimEnd(s, i, nl);
    out += s.slice(i, a);
    i = skipWsp(s, nl + 1, s.length);
    out += ' ';
  }
  return out;
}

/**
 * Parse generic parameters `*( SEMI name [ EQUAL value ] )` from s[i, end)
 * into `params` (names lower-cased). Values may be tokens, quoted strings
 * (kept with quotes) or hosts such as IPv6 addresses. Returns the index where
 * parsing stopped (end on success), or -1 on a syntax error.
 */
export function parseParams(s: string, i: number, end: number, params: Map<string, string | null>): number {
  for (;;) {
    i = skipWsp(s, i, end);
    if (i >= end) return end;
    if (s.charCodeAt(i) !== 59) return i; // not ';' -> caller decides
    i = skipWsp(s, i + 1, end);
    const ns = i;
    while (i < end && TOKEN[s.charCodeAt(i)] === 1) i++;
    if (i === ns) return -1;
    const name = s.slice(ns, i).toLowerCase();
    i = skipWsp(s, i, end);
    if (i < end && s.charCodeAt(i) === 61) {
      i = skipWsp(s, i + 1, end);
      const vs = i;
      if (i < end && s.charCodeAt(i) === 34) {
        const q = endOfQuoted(s, i, end);
        if (q < 0) return -1;
        i = q;
      } else {
        while (i < end) {
          const c = s.charCodeAt(i);
          // token plus ':' '[' ']' (IPv6 in received/maddr) and '/' '@' seen in the wild
          if (TOKEN[c] === 1 || c === 58 || c === 91 || c === 93 || c === 47 || c === 64) i++;
          else break;
        }
        if (i === vs) return -1;
      }
      params.set(name, s.slice(vs, i));
    } else {
      params.set(name, null);
    }
  }
}

export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? ';' + k : ';' + k + '=' + v;
  return out;
}

/** Parse an unsigned decimal of at most maxDigits digits; -1 when not one. */
export function parseUint(s: string, start: number, end: number, maxDigits: number): number {
  if (end <= start || end - start > maxDigits) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Wire strings are byte strings (one char per byte, latin1). Strings from
 * callers holding chars above 0xFF are taken as text and UTF-8 encoded. */
export function toByteString(s: string): string {
  return NON_LATIN1.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}
// a single char class: linear, and native speed compared with a charCodeAt loop
const NON_LATIN1 = /[^\u0000-\u00ff]/;
