// Every NATS subject the cluster uses is built (and parsed) here, nowhere else.
//   sbc.<cluster>.config.<kind>   config document changed (hot reload)
//   sbc.<cluster>.gateway.state   dispatcher destination state changed
//   sbc.<cluster>.ban             ipban table entry set/deleted
//   sbc.<cluster>.table.<name>    any other replicated table entry set/deleted
import { BusError } from './errors.ts';

export type ChannelKind = 'config' | 'gateway' | 'ban' | 'table';

/** One concrete subject to publish on. */
export type Channel =
  | { kind: 'config'; name: string }
  | { kind: 'gateway' }
  | { kind: 'ban' }
  | { kind: 'table'; name: string };

/** What to subscribe to: a channel, or every config kind / every table (name omitted). */
export type Selector = Channel | { kind: 'config' | 'table'; name?: undefined };

const ROOT = 'sbc';
// Subject tokens: no dots, wildcards or whitespace (NATS would split or match on them).
const TOKEN = /^[A-Za-z0-9_-]+$/;

export function assertToken(what: string, value: string): void {
  if (!TOKEN.test(value)) {
    throw new BusError('BUS_BAD_TOKEN', `${what} "${value}" is not usable in a NATS subject: use letters, digits, "_" and "-" only (no ".", "*", ">" or spaces)`);
  }
}

/** Subject for publishing on a channel. */
export function subjectFor(cluster: string, ch: Channel): string {
  assertToken('cluster name', cluster);
  switch (ch.kind) {
    case 'config':
      assertToken('config kind', ch.name);
      return `${ROOT}.${cluster}.config.${ch.name}`;
    case 'gateway':
      return `${ROOT}.${cluster}.gateway.state`;
    case 'ban':
      return `${ROOT}.${cluster}.ban`;
    case 'table':
      assertToken('table name', ch.name);
      return `${ROOT}.${cluster}.table.${ch.name}`;
  }
}

/** Subject (possibly with a `*` wildcard) for subscribing to a selector. */
export function subjectPattern(cluster: string, sel: Selector): string {
  if ((sel.kind === 'config' || sel.kind === 'table') && sel.name === undefined) {
    assertToken('cluster name', cluster);
    return `${ROOT}.${cluster}.${sel.kind}.*`;
  }
  return subjectFor(cluster, sel as Channel);
}

/** Every subject of one cluster (for tools such as `nats sub`). */
export function clusterWildcard(cluster: string): string {
  assertToken('cluster name', cluster);
  return `${ROOT}.${cluster}.>`;
}

/** The channel a received subject belongs to, or null if it is not one of ours. */
export function parseSubject(cluster: string, subject: string): Channel | null {
  const parts = subject.split('.');
  if (parts[0] !== ROOT || parts[1] !== cluster) return null;
  const [, , kind, name, ...rest] = parts;
  if (rest.length > 0) return null;
  if (kind === 'config' && name !== undefined && TOKEN.test(name)) return { kind: 'config', name };
  if (kind === 'table' && name !== undefined && TOKEN.test(name)) return { kind: 'table', name };
  if (kind === 'gateway' && name === 'state') return { kind: 'gateway' };
  if (kind === 'ban' && name === undefined) return { kind: 'ban' };
  return null;
}

/** NATS matching rules: `*` matches one token, `>` (last) one or more. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
