// The registrar and location service (Kamailio registrar + usrloc) over the
// shared LocationStore: save() answers a REGISTER, lookup() turns an AoR into
// next hops. Bindings expire in the store by themselves; an AoR index in a
// table (same TTL as the AoR's longest binding) lets ul.dump and the
// registered-contacts gauge see every AoR without scanning keys.
import type { Logger } from 'pino';
import { parseNameAddr, parseUri, type HeaderList, type SipMessage, type SipUri } from '#libs/sip';
import type { Contact, ContactInput, LocationStore, SaveResult, TableStore } from '#libs/state';
import { receivedUri } from './aor.ts';
import { okHeaders, planRegister, type ExpiryPolicy, type RegisterRefusal } from './register.ts';

export const AOR_INDEX_TABLE = 'location';

/** What a REGISTER got; `outcome` is the label of sbc_registrar_registers_total. */
export interface RegisterAnswer {
  status: number;
  reason: string;
  headers: HeaderList;
  outcome: 'saved' | 'removed' | 'fetched' | 'refused';
  /** the rejection code and what exactly was wrong, when refused */
  code?: RegisterRefusal | 'registrar.stale_cseq' | 'registrar.store_full';
  detail?: string;
  contacts: number;
}

export interface RegisterSourceInfo {
  proto: 'udp' | 'tcp';
  address: string;
  port: number;
  /** local socket id the request came in on */
  socketId: string;
}

/** One place to send a request for a registered contact. */
export interface LookupTarget {
  /** the new Request-URI: the registered Contact URI */
  uri: string;
  /** where to send it: the first Path hop, else the received address (NAT), else the Contact URI */
  target: { proto: 'udp' | 'tcp'; host: string; port: number };
  /** Route headers to add (the stored Path, RFC 3327) */
  routes: string[];
  q: number;
  /** the binding's socket (local socket id and node), for connection reuse */
  socket?: string;
}

export interface RegistrarDeps {
  policy: ExpiryPolicy;
  /** route to the received address (NAT) rather than the Contact URI (Kamailio: nathelper + received) */
  useReceived: boolean;
  locations: LocationStore;
  tables: TableStore;
  nodeId: string;
  logger: Logger;
  now?: () => number;
}

export class Registrar {
  private readonly now: () => number;

  constructor(private readonly deps: RegistrarDeps) {
    this.now = deps.now ?? Date.now;
  }

  async register(msg: SipMessage, aor: string, src: RegisterSourceInfo): Promise<RegisterAnswer> {
    const plan = planRegister(msg, {
      callId: msg.callId() ?? '',
      cseq: msg.cseq()?.seq ?? 0,
      received: receivedUri(src.proto, src.address, src.port),
      socket: `${src.socketId};node=${this.deps.nodeId}`,
      ...(msg.header('user-agent') !== undefined ? { userAgent: msg.header('user-agent') } : {}),
    }, this.deps.policy);
    switch (plan.kind) {
      case 'refuse':
        return { status: plan.status, reason: plan.reason, headers: plan.headers ?? [], outcome: 'refused', code: plan.code, detail: plan.detail, contacts: 0 };
      case 'fetch':
        return this.ok(msg, aor, await this.deps.locations.lookup(aor), 'fetched');
      case 'remove-all':
        await this.deps.locations.removeAll(aor);
        this.index(aor, []);
        return this.ok(msg, aor, [], 'removed');
      case 'save':
        return this.save(msg, aor, plan.contacts);
    }
  }

  private async save(msg: SipMessage, aor: string, contacts: ContactInput[]): Promise<RegisterAnswer> {
    // concurrent calls leave in one pipelined write; the store applies them in order
    const results = await Promise.all(contacts.map((c) => this.deps.locations.save(aor, c, { maxContacts: this.deps.policy.maxContacts })));
    const last = results[results.length - 1];
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (r.ok) continue;
      if (r.reason === 'too-many-contacts') return this.refused(403, 'Too Many Registered Contacts', 'registrar.store_full', `AoR holds max_contacts (${this.deps.policy.maxContacts}) bindings`, last);
      if (!isRetransmission(r, contacts[i])) return this.refused(400, 'Out Of Order CSeq', 'registrar.stale_cseq', `binding ${contacts[i].uri} has a higher CSeq for Call-ID ${contacts[i].callId}`, last);
    }
    this.index(aor, last.contacts);
    const removing = contacts.every((c) => c.expiresMs <= 0);
    return this.ok(msg, aor, last.contacts, removing ? 'removed' : 'saved');
  }

  private refused(status: number, reason: string, code: RegisterAnswer['code'], detail: string, last: SaveResult): RegisterAnswer {
    return { status, reason, headers: [], outcome: 'refused', code, detail, contacts: last.contacts.length };
  }

  private ok(msg: SipMessage, _aor: string, contacts: Contact[], outcome: RegisterAnswer['outcome']): RegisterAnswer {
    return { status: 200, reason: 'OK', headers: okHeaders(contacts, msg, this.now()), outcome, contacts: contacts.length };
  }

  /** Keeps the AoR index in step (after the answer: a failure here only delays ul.dump). */
  private index(aor: string, contacts: readonly Contact[]): void {
    const now = this.now();
    const last = contacts.reduce((m, c) => Math.max(m, c.expiresAt), 0);
    const write = contacts.length === 0
      ? this.deps.tables.delete(AOR_INDEX_TABLE, aor)
      : this.deps.tables.set(AOR_INDEX_TABLE, aor, String(contacts.length), Math.max(1, Math.ceil(last - now)));
    write.catch((err: unknown) => this.deps.logger.warn({ err, aor }, 'registrar: AoR index not updated'));
  }

  lookup(aor: string): Promise<Contact[]> {
    return this.deps.locations.lookup(aor);
  }

  /** Next hops for the bindings, in the order given (q desc, newest first). */
  targets(contacts: readonly Contact[]): LookupTarget[] {
    const out: LookupTarget[] = [];
    for (const c of contacts) {
      const t = this.targetOf(c);
      if (t !== undefined) out.push(t);
    }
    return out;
  }

  private targetOf(c: Contact): LookupTarget | undefined {
    const routes = c.path ?? [];
    const via = routes.length > 0 ? parseNameAddr(routes[0])?.uri : this.deps.useReceived && c.received !== undefined ? parseUri(c.received) : parseUri(c.uri);
    const target = targetOfUri(via);
    if (target === undefined) return undefined;
    return { uri: c.uri, target, routes, q: c.q, ...(c.socket !== undefined ? { socket: c.socket } : {}) };
  }

  /** ul.dump: AoRs from the index with their bindings (at most `limit` AoRs). */
  async dump(limit: number): Promise<{ aor: string; contacts: Contact[] }[]> {
    const aors = (await this.deps.tables.dump(AOR_INDEX_TABLE)).map((e) => e.key).sort().slice(0, limit);
    const lists = await Promise.all(aors.map((a) => this.deps.locations.lookup(a)));
    return aors.map((aor, i) => ({ aor, contacts: lists[i] })).filter((e) => e.contacts.length > 0);
  }

  /** ul.rm: one binding, or all of the AoR's. Resolves to the bindings left. */
  async remove(aor: string, contactUri?: string): Promise<number> {
    if (contactUri === undefined) {
      await this.deps.locations.removeAll(aor);
      this.index(aor, []);
      return 0;
    }
    const left = await this.deps.locations.remove(aor, contactUri);
    this.index(aor, left);
    return left.length;
  }

  /** Registered AoRs and contacts, cluster-wide, from the index. */
  async counts(): Promise<{ aors: number; contacts: number }> {
    const entries = await this.deps.tables.dump(AOR_INDEX_TABLE);
    return { aors: entries.length, contacts: entries.reduce((s, e) => s + (Number(e.value) || 0), 0) };
  }
}

/** A refused save whose stored binding has exactly this Call-ID and CSeq: the same REGISTER again (a retransmission, perhaps through another node). */
function isRetransmission(r: SaveResult, c: ContactInput): boolean {
  return r.contacts.some((b) => b.uri === c.uri && b.callId === c.callId && b.cseq === c.cseq);
}

function targetOfUri(uri: SipUri | undefined): LookupTarget['target'] | undefined {
  if (uri === undefined || uri.scheme === 'tel' || uri.host === '') return undefined;
  const t = uri.params.get('transport');
  const proto = t !== undefined && t !== null && t.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  const host = uri.host.charCodeAt(0) === 91 ? uri.host.slice(1, -1) : uri.host;
  return { proto, host, port: uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060) };
}
