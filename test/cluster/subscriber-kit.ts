// A phone for the subscriber tests: a ScriptedUa (npm `sip`) that registers
// with digest authentication (the package's MD5 signer), keeps its digest
// context so refreshes reuse the nonce with the next nc, and can send any
// REGISTER exactly as given (for replays and malformed credentials).
import sip, { type Headers, type Message, type NameAddr } from 'sip';
import digest, { type DigestContext } from 'sip/digest';
import { newTag, ScriptedUa, type ClientTx } from '../e2e/sip-ua.ts';
import type { SbcNodeHandle } from '../sipp/index.ts';

export const DOMAIN = 'example.com';

export interface PhoneOptions {
  user: string;
  password: string;
  /** bound (source) address: 127.0.0.x */
  host: string;
  /** the Contact it registers: a private address it cannot be reached at (so only the received address works) */
  contact?: string;
  /** the Contact's q */
  q?: string;
}

export class Phone {
  readonly callId = `reg-${newTag()}@phone`;
  private cseq = 0;
  private ctx: DigestContext | null = null;
  /** the last REGISTER sent with credentials, as sent */
  lastSigned: Message | undefined;

  private constructor(readonly ua: ScriptedUa, readonly opts: PhoneOptions) {}

  static async start(opts: PhoneOptions): Promise<Phone> {
    return new Phone(await ScriptedUa.start({ name: opts.user, transport: 'udp', host: opts.host, waitMs: 4000 }), opts);
  }

  get contact(): string {
    return this.opts.contact ?? `sip:${this.opts.user}@192.168.77.7:5060`;
  }

  /** A REGISTER for the domain through this node (its outbound proxy: a Route to it), without credentials. */
  registerRequest(node: SbcNodeHandle, expires: number, extra: Headers = {}): Message {
    this.cseq++;
    return {
      method: 'REGISTER',
      uri: `sip:${DOMAIN}`,
      headers: {
        route: [viaNode(node)],
        to: { uri: `sip:${this.opts.user}@${DOMAIN}`, params: {} },
        from: { uri: `sip:${this.opts.user}@${DOMAIN}`, params: { tag: newTag() } },
        'call-id': this.callId,
        cseq: { seq: this.cseq, method: 'REGISTER' },
        contact: [{ uri: this.contact, params: { expires: String(expires), ...(this.opts.q !== undefined ? { q: this.opts.q } : {}) } }],
        'max-forwards': 70,
        ...extra,
      },
    };
  }

  /** Sends as is (no signing); through another node when given (its Route replaces the one in rq). */
  send(rq: Message, through?: SbcNodeHandle): ClientTx {
    const copy = sip.copyMessage(rq, true);
    if (through !== undefined) copy.headers.route = [viaNode(through)];
    return this.ua.request(copy);
  }

  /** REGISTER; on a 401 answers the MD5 challenge with this phone's password. Resolves to the final response. */
  async register(node: SbcNodeHandle, expires = 600, password = this.opts.password): Promise<Message> {
    const first = await this.ua.request(this.registerRequest(node, expires)).response('final');
    if (first.status !== 401) return first;
    return this.answer(node, first, expires, password);
  }

  /** Signs a fresh REGISTER for this challenge and sends it. */
  async answer(node: SbcNodeHandle, challenge: Message, expires: number, password = this.opts.password): Promise<Message> {
    const rq = this.registerRequest(node, expires);
    this.ctx = digest.signRequest({}, rq, md5Only(challenge), { user: this.opts.user, password });
    this.lastSigned = sip.copyMessage(rq, true);
    return this.ua.request(rq).response('final');
  }

  /** A refresh reusing the nonce it holds (next nc), to whichever node: no new challenge round. */
  async refresh(node: SbcNodeHandle, expires = 600): Promise<Message> {
    if (this.ctx === null) throw new Error('no digest context: register first');
    const rq = this.registerRequest(node, expires);
    digest.signRequest(this.ctx, rq);
    this.lastSigned = sip.copyMessage(rq, true);
    return this.ua.request(rq).response('final');
  }

  close(): void {
    this.ua.close();
  }
}

export function viaNode(node: SbcNodeHandle): NameAddr {
  return { uri: `sip:${node.host}:${node.port};lr`, params: {} };
}

/** The package's signer takes the first challenge of the realm: hand it the MD5 one (it cannot do SHA-256). */
export function md5Only(rs: Message): Message {
  const copy = sip.copyMessage(rs, true);
  const list = copy.headers['www-authenticate'] as { algorithm?: string }[] | undefined;
  if (list) copy.headers['www-authenticate'] = list.filter((c) => (c.algorithm ?? 'MD5').toUpperCase() === 'MD5');
  return copy;
}

/** The same for a 407 (Proxy-Authenticate). */
export function md5OnlyProxy(rs: Message): Message {
  const copy = sip.copyMessage(rs, true);
  const list = copy.headers['proxy-authenticate'] as { algorithm?: string }[] | undefined;
  if (list) copy.headers['proxy-authenticate'] = list.filter((c) => (c.algorithm ?? 'MD5').toUpperCase() === 'MD5');
  return copy;
}

export function challengeAlgorithms(rs: Message): string[] {
  return ((rs.headers['www-authenticate'] as { algorithm?: string }[] | undefined) ?? []).map((c) => String(c.algorithm));
}

export function contactsOf(rs: Message): string[] {
  const c = rs.headers.contact;
  return Array.isArray(c) ? c.map((x) => sip.stringifyUri(x.uri)) : [];
}
