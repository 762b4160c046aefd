// Small text helpers shared by the lists and the SQL-injection detector.
// Strings are libs/sip byte strings (one char per wire byte).

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** One pass of %HH decoding; malformed escapes are kept as written. */
export function percentDecode(s: string): string {
  let i = s.indexOf('%');
  if (i < 0) return s;
  let out = s.slice(0, i);
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length) {
      const h = hexValue(s.charCodeAt(i + 1));
      const l = hexValue(s.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        out += String.fromCharCode(h * 16 + l);
        i += 3;
        continue;
      }
    }
    out += s[i];
    i++;
  }
  return out;
}

/**
 * A called number as the dst lists compare it: %-decoded, user parameters
 * (";npdi", ";phone-context=...") cut off, visual separators of RFC 3966
 * ("-", ".", "(", ")", spaces) removed, lower-cased. So "0900-123" cannot
 * slip past a "0900" prefix.
 */
export function normalizeNumber(user: string): string {
  const d = percentDecode(user);
  const semi = d.indexOf(';');
  const core = semi < 0 ? d : d.slice(0, semi);
  let out = '';
  for (let i = 0; i < core.length; i++) {
    const c = core.charCodeAt(i);
    if (c === 45 || c === 46 || c === 40 || c === 41 || c === 32 || c === 9) continue;
    out += core[i];
  }
  return out.toLowerCase();
}

/** Shortened, printable copy of a value for a log detail. */
export function shown(v: string, max = 64): string {
  const s = v.length > max ? `${v.slice(0, max)}…` : v;
  return JSON.stringify(s);
}
