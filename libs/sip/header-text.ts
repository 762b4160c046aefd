// Small header-value helpers shared by the parser, the message and the
// builders: CSeq values, method tokens, and editing one parameter in place.
import type { CSeq } from './types.ts';
import * as scanMod from './scan.ts';

// Module-local copies of imported bindings (see parser.ts).
const { endOfQuoted, parseUint, skipWsp, trimEnd } = scanMod;

/** Parse "seq METHOD". */
export function parseCSeqValue(v: string): CSeq | undefined {
  const end = v.length;
  let i = 0;
  while (i < end && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) i++;
  const seq = parseUint(v, 0, i, 10);
  if (seq < 0 || seq > 0x7fffffff) return undefined;
  const ms = skipWsp(v, i, end);
  if (ms === i || ms >= end) return undefined;
  let j = ms;
  while (j < end) {
    const c = v.charCodeAt(j);
    if (c === 32 || c === 9) break;
    j++;
  }
  if (skipWsp(v, j, end) !== end) return undefined;
  const method = v.slice(ms, j);
  if (!isToken(method)) return undefined;
  return { seq, method };
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 33 || c === 37 || c === 42 || c === 95 || c === 43 || c === 96 || c === 39 || c === 126;
    if (!ok) return false;
  }
  return true;
}

/** Replace or add `;name[=value]` in the params of one header value (outside quotes). */
export function setParamText(text: string, name: string, value: string | null): string {
  const want = name.toLowerCase();
  const piece = value === null ? ';' + name : ';' + name + '=' + value;
  const end = text.length;
  let i = 0;
  let seg = -1; // index of the ';' opening the current param
  for (;;) {
    // find next ';' outside quotes and <>
    let j = i;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c === 59) break;
      if (c === 34) {
        const q = endOfQuoted(text, j, end);
        j = q < 0 ? end : q;
        continue;
      }
      if (c === 60) {
        const g = text.indexOf('>', j);
        j = g < 0 ? end : g + 1;
        continue;
      }
      j++;
    }
    if (seg >= 0) {
      const ns = skipWsp(text, seg + 1, j);
      let ne = ns;
      while (ne < j && text.charCodeAt(ne) !== 61 && text.charCodeAt(ne) !== 32 && text.charCodeAt(ne) !== 9) ne++;
      if (text.slice(ns, ne).toLowerCase() === want) return text.slice(0, seg) + piece + text.slice(j);
    }
    if (j >= end) break;
    seg = j;
    i = j + 1;
  }
  return text.slice(0, trimEnd(text, 0, end)) + piece;
}
