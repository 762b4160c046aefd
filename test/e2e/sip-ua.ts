// A scripted SIP user agent for end-to-end tests, on the npm `sip` package:
// every request it receives and every response to what it sends lands in a
// mailbox the test takes from, with a bounded wait. Dialog state (RFC 3261
// §12) is kept by the test through the small helpers below, so the test says
// exactly which Request-URI, Route set, tags and CSeq each request carries.
import { randomBytes } from 'node:crypto';
import sip, { type Headers, type Message, type NameAddr, type Remote, type Stack } from 'sip';
import { freePort, waitForPort } from '../harness/index.ts';

export type SipTransport = 'udp' | 'tcp';

/**
 * Host the stack writes in its Via and compares next hops with. The `sip`
 * package treats any next hop whose host equals its own hostname as "me"
 * (it drops that Route entry and looks for a flow token in the user part),
 * so with the UA and the node both on 127.0.0.1 nothing could be sent. A
 * name that differs from the bound address avoids that; the node answers to
 * the Via's received/rport (or the TCP connection), as RFC 3261 §18.2.2 and
 * RFC 3581 require.
 */
const VIA_HOST = 'localhost';

export const newTag = (): string => randomBytes(5).toString('hex');

export const uriOf = (a: NameAddr | undefined): string => (a === undefined ? '' : sip.stringifyUri(a.uri));

/** Items arrive in any order; a taker waits (bounded) for the first one matching. */
class Mailbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: { match: (t: T) => boolean; resolve: (t: T) => void }[] = [];

  push(item: T): void {
    const i = this.waiters.findIndex((w) => w.match(item));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(item);
    else this.items.push(item);
  }

  take(match: (t: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const i = this.items.findIndex(match);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (t: T) => { clearTimeout(timer); resolve(t); },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  left(match: (t: T) => boolean): T[] {
    return this.items.filter(match);
  }
}

export interface Received {
  rq: Message;
  remote: Remote;
}

/** A request in flight: what went on the wire and the responses so far. */
export interface ClientTx {
  /** the request as sent (the stack added its Via and branch) */
  readonly sent: Message;
  /** every response in arrival order, provisional ones included */
  readonly responses: Message[];
  /** waits for the first response with this status (or, for 'final', any >= 200) */
  response(status: number | 'final', timeoutMs?: number): Promise<Message>;
}

export interface UaOptions {
  /** user part of the Contact */
  name: string;
  transport: SipTransport;
  /** bound address; default 127.0.0.1 */
  host?: string;
  /** default wait of every take, ms; default 5000 */
  waitMs?: number;
}

export class ScriptedUa {
  readonly errors: unknown[] = [];
  private readonly inbox = new Mailbox<Received>();
  private stack!: Stack;

  private constructor(
    readonly name: string,
    readonly transport: SipTransport,
    readonly host: string,
    readonly port: number,
    private readonly waitMs: number,
  ) {}

  static async start(opts: UaOptions): Promise<ScriptedUa> {
    const host = opts.host ?? '127.0.0.1';
    const port = await freePort(host);
    const ua = new ScriptedUa(opts.name, opts.transport, host, port, opts.waitMs ?? 5000);
    ua.stack = sip.create(
      {
        address: host,
        port,
        udp: opts.transport === 'udp',
        tcp: opts.transport === 'tcp',
        publicAddress: VIA_HOST,
        logger: { error: (e) => ua.errors.push(e) },
      },
      (rq, remote) => ua.inbox.push({ rq, remote }),
    );
    if (opts.transport === 'tcp') await waitForPort(port, host, 5000);
    return ua;
  }

  /** sip:<name>@host:port, with ;transport=tcp on TCP */
  get contactUri(): string {
    return `sip:${this.name}@${this.host}:${this.port}${this.transport === 'tcp' ? ';transport=tcp' : ''}`;
  }

  get contact(): NameAddr {
    return { uri: this.contactUri, params: {} };
  }

  /** Sends a request (not ACK) through the stack's transaction layer. */
  request(rq: Message): ClientTx {
    const responses: Message[] = [];
    const box = new Mailbox<Message>();
    this.stack.send(rq, (rs) => {
      responses.push(rs);
      box.push(rs);
    });
    const what = `a response to ${rq.method} ${rq.headers.cseq?.seq ?? ''} at ${this.name}`;
    return {
      sent: rq,
      responses,
      response: (status, timeoutMs = this.waitMs) =>
        box.take((rs) => (status === 'final' ? (rs.status ?? 0) >= 200 : rs.status === status), timeoutMs, `${status} ${what}`),
    };
  }

  /** ACK for a 2xx: no transaction, sent once along its Route set. */
  ack(rq: Message): void {
    this.stack.send(rq);
  }

  /** The next request of this method in this call, waited for (bounded). */
  nextRequest(method: string, callId: string, timeoutMs = this.waitMs): Promise<Received> {
    return this.inbox.take((r) => r.rq.method === method && r.rq.headers['call-id'] === callId, timeoutMs, `${method} of ${callId} at ${this.name}`);
  }

  /** Requests of this call received and not taken by the test. */
  unexpected(callId: string): Message[] {
    return this.inbox.left((r) => r.rq.headers['call-id'] === callId).map((r) => r.rq);
  }

  /** Answers a received request; toTag is added when the request's To has none. */
  reply(rq: Message, status: number, reason: string, extra: { toTag?: string; headers?: Headers; sdp?: string } = {}): Message {
    const rs = sip.makeResponse(rq, status, reason);
    const to = rq.headers.to;
    if (extra.toTag !== undefined && to !== undefined && !to.params.tag) rs.headers.to = { ...to, params: { ...to.params, tag: extra.toTag } };
    Object.assign(rs.headers, extra.headers);
    if (extra.sdp !== undefined) {
      rs.headers['content-type'] = 'application/sdp';
      rs.content = extra.sdp;
    }
    this.stack.send(rs);
    return rs;
  }

  close(): void {
    this.stack.destroy();
  }
}

/** Dialog state as one side keeps it (RFC 3261 §12.1). */
export interface Dialog {
  callId: string;
  local: NameAddr;
  remote: NameAddr;
  /** Request-URI of requests in the dialog: the peer's Contact */
  remoteTarget: string;
  /** Route header of requests in the dialog */
  routeSet: NameAddr[];
  localSeq: number;
}

const routeEntries = (rr: NameAddr[] | undefined): NameAddr[] => (rr ?? []).map((r) => ({ uri: sip.stringifyUri(r.uri), params: { ...r.params } }));

const firstContact = (m: Message): string => {
  const c = m.headers.contact;
  if (!Array.isArray(c) || c.length === 0) throw new Error(`no Contact in ${m.method ?? m.status}`);
  return sip.stringifyUri(c[0].uri);
};

/** The caller's view after a 2xx (§12.1.2): route set = Record-Route reversed, target = the answer's Contact. */
export function uacDialog(invite: Message, answer: Message): Dialog {
  const h = answer.headers;
  if (!invite.headers.from || !h.to) throw new Error('INVITE or answer without From/To');
  return {
    callId: String(invite.headers['call-id']),
    local: { uri: invite.headers.from.uri, params: { ...invite.headers.from.params } },
    remote: { uri: h.to.uri, params: { ...h.to.params } },
    remoteTarget: firstContact(answer),
    routeSet: routeEntries(h['record-route']).reverse(),
    localSeq: invite.headers.cseq?.seq ?? 1,
  };
}

/** The callee's view of a received INVITE (§12.1.1): route set = Record-Route in order, target = its Contact. */
export function uasDialog(invite: Message, localTag: string, firstSeq: number): Dialog {
  const h = invite.headers;
  if (!h.from || !h.to) throw new Error('INVITE without From/To');
  return {
    callId: String(h['call-id']),
    local: { uri: h.to.uri, params: { ...h.to.params, tag: localTag } },
    remote: { uri: h.from.uri, params: { ...h.from.params } },
    remoteTarget: firstContact(invite),
    routeSet: routeEntries(h['record-route']),
    // the next request takes localSeq + 1
    localSeq: firstSeq - 1,
  };
}

/** A new request in the dialog (not ACK): the next local CSeq. */
export function inDialogRequest(d: Dialog, method: string, contact: NameAddr, sdp?: string): Message {
  d.localSeq += 1;
  return dialogMessage(d, method, d.localSeq, contact, sdp);
}

/** The ACK of a 2xx to the INVITE that had this CSeq (§13.2.2.4). */
export function ackFor(d: Dialog, inviteSeq: number): Message {
  return dialogMessage(d, 'ACK', inviteSeq);
}

function dialogMessage(d: Dialog, method: string, seq: number, contact?: NameAddr, sdp?: string): Message {
  const headers: Headers = {
    via: [],
    to: { uri: d.remote.uri, params: { ...d.remote.params } },
    from: { uri: d.local.uri, params: { ...d.local.params } },
    'call-id': d.callId,
    cseq: { seq, method },
    'max-forwards': 70,
  };
  if (d.routeSet.length > 0) headers.route = d.routeSet.map((r) => ({ uri: r.uri, params: { ...r.params } }));
  if (contact) headers.contact = [contact];
  if (sdp !== undefined) headers['content-type'] = 'application/sdp';
  return { method, uri: d.remoteTarget, headers, ...(sdp !== undefined ? { content: sdp } : {}) };
}
