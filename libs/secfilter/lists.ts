// The five list types, how an entry is written and normalised, and the
// precompiled matchers the step uses (Sets for exact lookups, short arrays
// for prefixes/substrings, lower-cased once at compile time).
import { AddressMatcher, formatCidr, formatIp, parseCidr, parseIp, type Cidr } from '#libs/address';
import { normalizeNumber } from './text.ts';

export const LIST_TYPES = ['ua', 'ip', 'domain', 'user', 'dst'] as const;
export type ListType = (typeof LIST_TYPES)[number];
export type ListName = 'blacklist' | 'whitelist';

/** How a text entry matches: whole value, start of the value, or anywhere in it. Case-insensitive. */
export type TextMatch = 'exact' | 'prefix' | 'contains';

/** One entry after normalisation: `key` decides identity (dedupe, delete), `text` is what print shows. */
export interface Entry {
  readonly key: string;
  readonly text: string;
}

const HOST_RE = /^[a-z0-9._:-]+$/;

/** Normalise an entry of a list type; a string result says what is wrong. */
export function normalizeEntry(type: ListType, raw: string): Entry | string {
  const v = raw.trim();
  if (v === '') return 'an empty entry would match nothing (or everything)';
  switch (type) {
    case 'ua':
    case 'user':
      return { key: v.toLowerCase(), text: v };
    case 'dst': {
      const n = normalizeNumber(v);
      if (n === '') return `"${v}" holds no digits once separators are removed`;
      return { key: n, text: n };
    }
    case 'domain': {
      let d = v.toLowerCase();
      if (d.startsWith('[') && d.endsWith(']')) d = d.slice(1, -1);
      if (d.endsWith('.')) d = d.slice(0, -1);
      if (d.startsWith('*.')) return `"${v}": write the domain without "*." ("${d.slice(2)}" already covers its subdomains)`;
      if (!HOST_RE.test(d) || d.startsWith('.')) return `"${v}" is not a host name or address`;
      const ip = parseIp(d);
      const text = ip === undefined ? d : formatIp(ip);
      return { key: text, text };
    }
    case 'ip': {
      const c = parseCidr(v);
      if (typeof c === 'string') return c;
      const text = formatCidr(c);
      return { key: text, text };
    }
  }
}

/** Case-insensitive text list: a Set for exact entries, an array for prefix/substring ones. */
export class TextMatcher {
  private readonly exact: Set<string>;
  private readonly parts: readonly string[];
  readonly size: number;

  constructor(keys: readonly string[], private readonly match: TextMatch) {
    this.exact = match === 'exact' ? new Set(keys) : new Set();
    this.parts = match === 'exact' ? [] : [...keys];
    this.size = keys.length;
  }

  /** `lower` must already be lower-cased */
  matches(lower: string): boolean {
    if (this.match === 'exact') return this.exact.has(lower);
    const parts = this.parts;
    if (this.match === 'prefix') {
      for (let i = 0; i < parts.length; i++) if (lower.startsWith(parts[i])) return true;
      return false;
    }
    for (let i = 0; i < parts.length; i++) if (lower.includes(parts[i])) return true;
    return false;
  }
}

/**
 * Domains: an entry matches the host itself and every subdomain of it, on a
 * label boundary ("example.com" matches "sip.example.com", not
 * "badexample.com"). Address literals match exactly. One Set lookup per label.
 */
export class DomainMatcher {
  private readonly hosts: Set<string>;
  readonly size: number;

  constructor(keys: readonly string[]) {
    this.hosts = new Set(keys);
    this.size = keys.length;
  }

  /** `host` as a URI carries it; lower-cased and unbracketed here */
  matches(host: string): boolean {
    if (this.size === 0 || host === '') return false;
    let h = host.toLowerCase();
    if (h.charCodeAt(0) === 91) {
      const ip = parseIp(h);
      return ip !== undefined && this.hosts.has(formatIp(ip));
    }
    if (h.endsWith('.')) h = h.slice(0, -1);
    if (this.hosts.has(h)) return true;
    // an IPv4 literal matches exactly (no TLD ends in a digit, so most hosts skip the parse)
    const last = h.charCodeAt(h.length - 1);
    if (last >= 48 && last <= 57 && parseIp(h) !== undefined) return false;
    for (let i = h.indexOf('.'); i >= 0; i = h.indexOf('.', i + 1)) if (this.hosts.has(h.slice(i + 1))) return true;
    return false;
  }
}

/** The entries of one list, in insertion order, deduplicated by key. */
export class EntryList {
  private readonly byKey = new Map<string, string>();

  constructor(entries: readonly Entry[] = []) {
    for (const e of entries) if (!this.byKey.has(e.key)) this.byKey.set(e.key, e.text);
  }

  add(e: Entry): boolean {
    if (this.byKey.has(e.key)) return false;
    this.byKey.set(e.key, e.text);
    return true;
  }

  delete(key: string): boolean {
    return this.byKey.delete(key);
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  texts(): string[] {
    return [...this.byKey.values()];
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** The IP matcher of a list of normalised ip entries (the shared address matcher, libs/address). */
export function ipMatcher(keys: readonly string[]): { readonly size: number; matches(address: string): boolean } {
  const m = new AddressMatcher(keys.map((k) => ({ cidr: parseCidr(k) as Cidr, value: true as const })));
  return { size: m.size, matches: (address) => m.has(address) };
}
