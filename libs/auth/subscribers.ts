// Subscribers (Kamailio auth_db `subscriber` table): username, domain and the
// HA1 per algorithm, kept in the shared state's tables (Redis in a cluster,
// memory on one node). Passwords are never stored: add/passwd hash them
// (calculate_ha1) and forget them. The realm is the domain (Kamailio's
// www_authorize("$td", "subscriber")), so the HA1s are computed with it.
import type { TableStore } from '#libs/state';
import { computeHa1 } from './digest.ts';
import type { DigestAlgorithm } from './credentials.ts';

export const SUBSCRIBER_TABLE = 'subscriber';

export interface Subscriber {
  username: string;
  domain: string;
  /** H(username:domain:password) per algorithm; an algorithm without one cannot be used by this user */
  ha1: Partial<Record<DigestAlgorithm, string>>;
}

/** What add/passwd take: a password (hashed here) or ready-made HA1s. */
export type SubscriberSecret =
  | { password: string }
  | { ha1?: string; ha1Sha256?: string };

const USERNAME = /^[^\s@:;,"<>]{1,64}$/;
const DOMAIN = /^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]{2,45}\]$/;
const MD5_HEX = /^[0-9a-f]{32}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_PASSWORD = 256;

export class SubscriberError extends Error {}

/** The table key: username case kept (SIP users are case-sensitive), domain lower-cased. */
export function subscriberKey(username: string, domain: string): string {
  return `${username}@${domain.toLowerCase()}`;
}

export function checkIdentity(username: string, domain: string): void {
  if (typeof username !== 'string' || !USERNAME.test(username)) throw new SubscriberError('username must be 1-64 chars without spaces, @ : ; , " < >');
  if (typeof domain !== 'string' || !DOMAIN.test(domain)) throw new SubscriberError('domain must be a host name or an IP address');
}

/** The HA1s to store for a secret; throws SubscriberError on a bad one. */
export function ha1sOf(username: string, domain: string, secret: SubscriberSecret): Subscriber['ha1'] {
  const realm = domain.toLowerCase();
  if ('password' in secret) {
    if (typeof secret.password !== 'string' || secret.password.length === 0 || secret.password.length > MAX_PASSWORD) throw new SubscriberError(`password must be 1-${MAX_PASSWORD} chars`);
    return { MD5: computeHa1('MD5', username, realm, secret.password), 'SHA-256': computeHa1('SHA-256', username, realm, secret.password) };
  }
  const out: Subscriber['ha1'] = {};
  if (secret.ha1 !== undefined) {
    if (!MD5_HEX.test(String(secret.ha1).toLowerCase())) throw new SubscriberError('ha1 must be 32 hex digits (MD5 of username:domain:password)');
    out.MD5 = String(secret.ha1).toLowerCase();
  }
  if (secret.ha1Sha256 !== undefined) {
    if (!SHA256_HEX.test(String(secret.ha1Sha256).toLowerCase())) throw new SubscriberError('ha1_sha256 must be 64 hex digits (SHA-256 of username:domain:password)');
    out['SHA-256'] = String(secret.ha1Sha256).toLowerCase();
  }
  if (out.MD5 === undefined && out['SHA-256'] === undefined) throw new SubscriberError('give a password, or ha1 and/or ha1_sha256');
  return out;
}

interface StoredSubscriber {
  md5?: string;
  sha256?: string;
}

export class SubscriberStore {
  constructor(private readonly tables: TableStore) {}

  async get(username: string, domain: string): Promise<Subscriber | undefined> {
    const e = await this.tables.get(SUBSCRIBER_TABLE, subscriberKey(username, domain));
    return e === null ? undefined : decode(username, domain.toLowerCase(), e.value);
  }

  /** Adds or replaces a subscriber (kamctl add / passwd). */
  async put(username: string, domain: string, secret: SubscriberSecret): Promise<Subscriber> {
    checkIdentity(username, domain);
    const ha1 = ha1sOf(username, domain, secret);
    const stored: StoredSubscriber = {};
    if (ha1.MD5 !== undefined) stored.md5 = ha1.MD5;
    if (ha1['SHA-256'] !== undefined) stored.sha256 = ha1['SHA-256'];
    await this.tables.set(SUBSCRIBER_TABLE, subscriberKey(username, domain), JSON.stringify(stored));
    return { username, domain: domain.toLowerCase(), ha1 };
  }

  async exists(username: string, domain: string): Promise<boolean> {
    return (await this.tables.get(SUBSCRIBER_TABLE, subscriberKey(username, domain))) !== null;
  }

  async remove(username: string, domain: string): Promise<boolean> {
    return this.tables.delete(SUBSCRIBER_TABLE, subscriberKey(username, domain));
  }

  /** Subscribers (without their HA1s), optionally of one domain, at most `limit`. */
  async list(domain?: string, limit = 1000): Promise<{ username: string; domain: string; algorithms: DigestAlgorithm[] }[]> {
    const all = await this.tables.dump(SUBSCRIBER_TABLE);
    const out: { username: string; domain: string; algorithms: DigestAlgorithm[] }[] = [];
    for (const e of all) {
      const at = e.key.lastIndexOf('@');
      const d = e.key.slice(at + 1);
      if (domain !== undefined && d !== domain.toLowerCase()) continue;
      const s = decode(e.key.slice(0, at), d, e.value);
      if (s === undefined) continue;
      out.push({ username: s.username, domain: s.domain, algorithms: Object.keys(s.ha1) as DigestAlgorithm[] });
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => a.domain.localeCompare(b.domain) || a.username.localeCompare(b.username));
  }

  async count(): Promise<number> {
    return this.tables.count(SUBSCRIBER_TABLE);
  }
}

function decode(username: string, domain: string, value: string): Subscriber | undefined {
  try {
    const v = JSON.parse(value) as StoredSubscriber;
    const ha1: Subscriber['ha1'] = {};
    if (typeof v.md5 === 'string') ha1.MD5 = v.md5;
    if (typeof v.sha256 === 'string') ha1['SHA-256'] = v.sha256;
    return { username, domain, ha1 };
  } catch {
    return undefined;
  }
}
