// Destination attributes: "duid=gw1;weight=50;socket=udp:10.0.0.1:5060".
// Known names are checked (a weight of 150 is an error here, where Kamailio
// logs and ignores it); unknown names are kept for the routing to read.
import { parseUri } from '#libs/sip';
import type { DestinationAttrs, SocketProto, SocketSpec } from './types.ts';

const PROTOS: readonly SocketProto[] = ['udp', 'tcp', 'tls', 'sctp', 'ws', 'wss'];

export type AttrsInput = string | Readonly<Record<string, string | number>>;

export interface ParsedAttrs {
  readonly attrs: DestinationAttrs;
  /** one message per bad attribute */
  readonly problems: readonly string[];
}

/** "udp:10.0.0.1:5060", "tcp:[::1]:5060", "udp:10.0.0.1" (port = default) */
export function parseSocket(text: string): SocketSpec | string {
  const m = /^([a-z]+):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/i.exec(text.trim());
  if (!m) return `socket "${text}" is not proto:host:port`;
  const proto = m[1].toLowerCase() as SocketProto;
  if (!PROTOS.includes(proto)) return `socket "${text}": unknown protocol "${m[1]}" (${PROTOS.join(', ')})`;
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  if (m[3] === undefined) return { proto, host };
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `socket "${text}": port ${port} outside 1..65535`;
  return { proto, host, port };
}

function intIn(name: string, v: string, min: number, max: number, problems: string[]): number | undefined {
  if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) {
    problems.push(`attr ${name} must be an integer ${min}..${max}, got "${v}"`);
    return undefined;
  }
  return Number(v);
}

/** Parses attrs text or a YAML mapping of attrs. */
export function parseAttrs(input: AttrsInput): ParsedAttrs {
  const pairs: [string, string][] = [];
  const problems: string[] = [];
  if (typeof input === 'string') {
    for (const part of input.split(';')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      const name = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (name === '') {
        problems.push(`attr "${part}" has no name`);
        continue;
      }
      pairs.push([name, eq < 0 ? '' : part.slice(eq + 1).trim()]);
    }
  } else {
    for (const [k, v] of Object.entries(input)) pairs.push([k, String(v)]);
  }

  const out: {
    duid?: string;
    weight?: number;
    rweight?: number;
    maxload?: number;
    socket?: SocketSpec;
    pingFrom?: string;
    cc?: number;
  } = {};
  const extra: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase();
    if (seen.has(name)) {
      problems.push(`attr ${name} given twice`);
      continue;
    }
    seen.add(name);
    switch (name) {
      case 'duid':
        if (value === '') problems.push('attr duid must not be empty');
        else out.duid = value;
        break;
      case 'weight': {
        const w = intIn(name, value, 1, 100, problems);
        if (w !== undefined) out.weight = w;
        break;
      }
      case 'rweight': {
        const w = intIn(name, value, 1, 100, problems);
        if (w !== undefined) out.rweight = w;
        break;
      }
      case 'maxload': {
        const w = intIn(name, value, 0, 1_000_000_000, problems);
        if (w !== undefined) out.maxload = w;
        break;
      }
      case 'cc': {
        const w = intIn(name, value, 0, 1, problems);
        if (w !== undefined) out.cc = w;
        break;
      }
      case 'socket': {
        const s = parseSocket(value);
        if (typeof s === 'string') problems.push(s);
        else out.socket = s;
        break;
      }
      case 'ping_from': {
        const u = parseUri(value);
        if (!u || u.scheme === 'tel') problems.push(`attr ping_from must be a sip: URI, got "${value}"`);
        else out.pingFrom = value;
        break;
      }
      default:
        extra[name] = value;
    }
  }
  const text = pairs.map(([k, v]) => `${k}=${v}`).join(';');
  return { attrs: { ...out, extra, text }, problems };
}
