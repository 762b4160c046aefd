// A scripted SIP user agent on raw sockets for the topology-hiding tests: it
// writes every message as text (so a test controls each header, e.g. an
// internal-looking Via sent-by), keeps every byte it receives (the leak check
// reads them), and follows RFC 3261 dialog rules just enough to send ACK,
// re-INVITE, UPDATE and BYE along a route set (§12.1, §12.2).
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { DEFAULT_PARSE_LIMITS, frameStream, parseMessage, parseUri, type SipMessage } from '#libs/sip';

export type Transport = 'udp' | 'tcp';

export interface Addr {
  host: string;
  port: number;
}

export interface Inbound {
  msg: SipMessage;
  from: Addr;
  /** TCP: the connection it came on (a response goes back on it) */
  conn?: TcpSocket;
}

/** One datagram or TCP chunk as it arrived. */
export interface Captured {
  from: Addr;
  data: Buffer;
}

export interface UaOptions {
  name: string;
  /** loopback address the UA binds (its sockets send from it) */
  host: string;
  transport: Transport;
  /** user part of its Contact */
  user: string;
  /** sent-by host written in its Via; default its bound address */
  viaHost?: string;
}

const rand = () => randomBytes(6).toString('hex');
export const newTag = () => `t${rand()}`;
export const newBranch = () => `z9hG4bK-${rand()}`;

export class RawUa {
  /** every datagram / TCP chunk received, whoever sent it */
  readonly captured: Captured[] = [];
  private readonly inbox: Inbound[] = [];
  private udp?: UdpSocket;
  private server?: Server;
  /** TCP connections this UA opened, by "host:port" of the peer */
  private readonly outbound = new Map<string, TcpSocket>();
  private readonly sockets = new Set<TcpSocket>();
  port = 0;

  private constructor(readonly o: UaOptions) {}

  static async open(o: UaOptions): Promise<RawUa> {
    const ua = new RawUa(o);
    if (o.transport === 'udp') await ua.bindUdp();
    else await ua.listenTcp();
    return ua;
  }

  get name(): string { return this.o.name; }
  get host(): string { return this.o.host; }
  get transport(): Transport { return this.o.transport; }
  private get tp(): string { return this.o.transport === 'tcp' ? ';transport=tcp' : ''; }
  /** the URI other UAs reach this one at */
  get contactUri(): string { return `sip:${this.o.user}@${this.o.host}:${this.port}${this.tp}`; }
  get contact(): string { return `<${this.contactUri}>`; }

  /** A Via value for a new request (or for a CANCEL / non-2xx ACK: the INVITE's branch). */
  via(branch = newBranch()): string {
    return `SIP/2.0/${this.o.transport.toUpperCase()} ${this.o.viaHost ?? this.o.host}:${this.port};branch=${branch};rport`;
  }

  private bindUdp(): Promise<void> {
    const s = createSocket('udp4');
    s.on('message', (data, rinfo) => this.receive(data, { host: rinfo.address, port: rinfo.port }));
    this.udp = s;
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, this.o.host, () => { this.port = s.address().port; resolve(); });
    });
  }

  private listenTcp(): Promise<void> {
    const srv = createServer((conn) => this.adopt(conn));
    this.server = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(0, this.o.host, () => {
        const a = srv.address();
        this.port = typeof a === 'object' && a ? a.port : 0;
        resolve();
      });
    });
  }

  /** Read framed messages off a TCP connection (ours or the peer's). */
  private adopt(conn: TcpSocket): void {
    this.sockets.add(conn);
    let buf = Buffer.alloc(0);
    conn.on('error', () => undefined);
    conn.on('close', () => this.sockets.delete(conn));
    conn.on('data', (chunk) => {
      const from = { host: conn.remoteAddress ?? '?', port: conn.remotePort ?? 0 };
      this.captured.push({ from, data: Buffer.from(chunk) });
      buf = Buffer.concat([buf, chunk]);
      for (let i = 0; i < 1000; i++) {
        const f = frameStream(buf, DEFAULT_PARSE_LIMITS);
        if (f.kind === 'need-more') break;
        if (f.kind === 'error') { buf = Buffer.alloc(0); break; }
        const one = Buffer.from(buf.subarray(0, f.length));
        buf = buf.subarray(f.length);
        if (f.kind === 'message') this.take(one, from, conn);
      }
    });
  }

  private receive(data: Buffer, from: Addr): void {
    this.captured.push({ from, data: Buffer.from(data) });
    this.take(data, from);
  }

  private take(data: Buffer, from: Addr, conn?: TcpSocket): void {
    const r = parseMessage(data);
    if (r.ok) this.inbox.push({ msg: r.msg, from, conn });
  }

  /** Send a message to a peer (TCP: over the connection this UA opened to it, opened on first use). */
  async send(text: string, to: Addr): Promise<void> {
    const data = Buffer.from(text, 'latin1');
    if (this.udp) {
      await new Promise<void>((r) => this.udp!.send(data, to.port, to.host, () => r()));
      return;
    }
    const conn = await this.connection(to);
    await new Promise<void>((r) => conn.write(data, () => r()));
  }

  private async connection(to: Addr): Promise<TcpSocket> {
    const key = `${to.host}:${to.port}`;
    const open = this.outbound.get(key);
    if (open && !open.destroyed) return open;
    const conn = await new Promise<TcpSocket>((resolve, reject) => {
      const c = connect({ host: to.host, port: to.port, localAddress: this.o.host });
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
    this.outbound.set(key, conn);
    this.adopt(conn);
    return conn;
  }

  /** Answer a request: UDP to where it came from (the node), TCP on its connection. */
  async reply(to: Inbound, text: string): Promise<void> {
    if (this.udp || !to.conn) return this.send(text, to.from);
    const conn = to.conn;
    await new Promise<void>((r) => conn.write(Buffer.from(text, 'latin1'), () => r()));
  }

  /** Take the first received message matching `match`, waiting up to timeoutMs (bounded poll). */
  async next(what: string, match: (m: SipMessage) => boolean, timeoutMs = 3000): Promise<Inbound> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((x) => match(x.msg));
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`${this.o.name}: no ${what} within ${timeoutMs} ms; inbox: ${this.describeInbox()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Messages matching `match` that arrive (or arrived) within `ms`: for "the other side sees nothing". */
  async collect(match: (m: SipMessage) => boolean, ms: number): Promise<SipMessage[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.inbox.filter((x) => match(x.msg)).map((x) => x.msg);
  }

  describeInbox(): string {
    if (this.inbox.length === 0) return '(empty)';
    return this.inbox.map((x) => `[${startLine(x.msg)} | ${x.msg.cseq()?.seq} ${x.msg.cseq()?.method} | ${x.msg.callId()}]`).join(' ');
  }

  close(): void {
    this.udp?.close();
    for (const s of this.sockets) s.destroy();
    this.server?.close();
  }
}

export function startLine(m: SipMessage): string {
  return m.isRequest ? `${m.method} ${m.uri}` : `${m.status} ${m.reason}`;
}

// ------------------------------------------------------------------ matching

export const isRequest = (method: string, fromTag: string) => (m: SipMessage) =>
  m.isRequest && m.method === method && m.fromTag() === fromTag;

/** A response to the request with this Call-ID and CSeq; `status` 'final' = any >= 200. */
export const isResponse = (callId: string, seq: number, method: string, status: number | 'final') => (m: SipMessage) =>
  !m.isRequest && m.callId() === callId && m.cseq()?.seq === seq && m.cseq()?.method === method &&
  (status === 'final' ? m.status >= 200 : m.status === status);

// ------------------------------------------------------------------ building

export interface RequestSpec {
  method: string;
  uri: string;
  via: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  contact?: string;
  routes?: readonly string[];
  headers?: readonly string[];
  body?: string;
}

export function request(s: RequestSpec): string {
  const lines = [
    `${s.method} ${s.uri} SIP/2.0`,
    `Via: ${s.via}`,
    ...(s.routes ?? []).map((r) => `Route: ${r}`),
    'Max-Forwards: 70',
    `From: ${s.from}`,
    `To: ${s.to}`,
    `Call-ID: ${s.callId}`,
    `CSeq: ${s.cseq} ${s.method}`,
    ...(s.contact ? [`Contact: ${s.contact}`] : []),
    ...(s.headers ?? []),
  ];
  return withBody(lines, s.body);
}

export interface ResponseSpec {
  /** added to To when it has none */
  toTag?: string;
  contact?: string;
  /** copy the request's Record-Route (a UAS does for dialog-creating requests, §12.1.1) */
  copyRecordRoute?: boolean;
  /** a Record-Route value placed above the copied ones: the entry of a proxy in front of this UA */
  ownRecordRoute?: string;
  headers?: readonly string[];
  body?: string;
}

/** A response to `req` (§8.2.6): Via stack, From, To, Call-ID and CSeq copied. */
export function response(req: SipMessage, status: number, reason: string, o: ResponseSpec = {}): string {
  const to = req.header('to') ?? '';
  const lines = [
    `SIP/2.0 ${status} ${reason}`,
    ...req.headerValues('via').map((v) => `Via: ${v}`),
    ...(o.ownRecordRoute ? [`Record-Route: ${o.ownRecordRoute}`] : []),
    ...(o.copyRecordRoute ? req.headerValues('record-route').map((r) => `Record-Route: ${r}`) : []),
    `From: ${req.header('from') ?? ''}`,
    `To: ${o.toTag && req.toTag() === undefined ? `${to};tag=${o.toTag}` : to}`,
    `Call-ID: ${req.callId() ?? ''}`,
    `CSeq: ${req.header('cseq') ?? ''}`,
    ...(o.contact ? [`Contact: ${o.contact}`] : []),
    ...(o.headers ?? []),
  ];
  return withBody(lines, o.body);
}

function withBody(lines: string[], body?: string): string {
  const b = body ?? '';
  if (b.length > 0) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(b, 'latin1')}`, '', b);
  return lines.join('\r\n');
}

export function sdp(user: string, ip: string, mediaPort: number): string {
  return ['v=0', `o=${user} 1 1 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0', `m=audio ${mediaPort} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
}

// ------------------------------------------------------------------ dialogs

/** One side's view of a dialog: what it needs to send requests inside it. */
export interface Dialog {
  callId: string;
  /** our From value (with our tag) */
  local: string;
  /** their To value (with their tag) */
  remote: string;
  /** remote target: the Request-URI of our in-dialog requests */
  target: string;
  /** Route values, in the order they go into a request */
  routes: string[];
  cseq: number;
}

const firstContactUri = (m: SipMessage): string => {
  const c = m.contacts()[0];
  if (!c) throw new Error(`${startLine(m)} has no Contact`);
  return c.uriText;
};

/** The caller's view once it has the 2xx (§12.1.2): target = its Contact, route set = Record-Route reversed. */
export function dialogAsUac(sent: { from: string; callId: string; cseq: number }, ok: SipMessage): Dialog {
  return {
    callId: sent.callId,
    local: sent.from,
    remote: ok.header('to') ?? '',
    target: firstContactUri(ok),
    routes: ok.headerValues('record-route').reverse(),
    cseq: sent.cseq,
  };
}

/** The callee's view (§12.1.1): target = the request's Contact, route set = its Record-Route in order. */
export function dialogAsUas(req: SipMessage, localTag: string, firstSeq: number): Dialog {
  return {
    callId: req.callId() ?? '',
    local: `${req.header('to') ?? ''};tag=${localTag}`,
    remote: req.header('from') ?? '',
    target: firstContactUri(req),
    routes: req.headerValues('record-route'),
    cseq: firstSeq,
  };
}

/** Where a request inside the dialog goes: the first Route's host:port, or the target's when there is no Route. */
export function nextHop(d: Pick<Dialog, 'target' | 'routes'>): Addr {
  const text = d.routes.length > 0 ? /<([^>]*)>/.exec(d.routes[0])?.[1] ?? d.routes[0] : d.target;
  const uri = parseUri(text);
  if (!uri) throw new Error(`cannot route to ${text}`);
  return { host: uri.host, port: uri.port ?? 5060 };
}

/** A request inside the dialog; ACK keeps the INVITE's CSeq number, other methods take the next one. */
export function inDialog(ua: RawUa, d: Dialog, method: string, o: { contact?: boolean; body?: string; seq?: number } = {}): { text: string; seq: number } {
  const seq = o.seq ?? (method === 'ACK' ? d.cseq : ++d.cseq);
  const text = request({
    method,
    uri: d.target,
    via: ua.via(),
    from: d.local,
    to: d.remote,
    callId: d.callId,
    cseq: seq,
    routes: d.routes,
    contact: o.contact ? ua.contact : undefined,
    body: o.body,
  });
  return { text, seq };
}
