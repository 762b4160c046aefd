// A tiny scripted SIP peer for robustness tests: sends raw bytes over UDP or
// TCP to a node and collects the parsed responses it gets back.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { frameStream, parseMessage, DEFAULT_PARSE_LIMITS, type SipMessage } from '#libs/sip';

export class RawSipPeer {
  readonly inbox: SipMessage[] = [];
  /** every message received, as text: answers our parser refuses (no From/To/Call-ID) are here too */
  readonly rawInbox: string[] = [];
  private udp?: UdpSocket;
  private tcp?: TcpSocket;
  private tcpBuf = Buffer.alloc(0);
  localPort = 0;

  private constructor(readonly proto: 'udp' | 'tcp', readonly host: string, readonly port: number, readonly localAddress = '127.0.0.1') {}

  /** localAddress: another loopback address (127.x.y.z) makes the peer look like another source */
  static async open(proto: 'udp' | 'tcp', host: string, port: number, localAddress = '127.0.0.1'): Promise<RawSipPeer> {
    const p = new RawSipPeer(proto, host, port, localAddress);
    if (proto === 'udp') {
      const s = createSocket('udp4');
      s.on('message', (m) => p.take(m));
      await new Promise<void>((r) => s.bind(0, localAddress, () => r()));
      p.udp = s;
      p.localPort = s.address().port;
    } else {
      await p.connectTcp();
    }
    return p;
  }

  private take(data: Buffer): void {
    this.rawInbox.push(data.toString('latin1'));
    const r = parseMessage(data);
    if (r.ok && !r.msg.isRequest) this.inbox.push(r.msg);
  }

  private connectTcp(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ port: this.port, host: this.host, localAddress: this.localAddress });
      s.once('connect', () => {
        this.tcp = s;
        this.localPort = s.localPort ?? 0;
        this.tcpBuf = Buffer.alloc(0);
        resolve();
      });
      s.once('error', reject);
      s.on('close', () => { if (this.tcp === s) this.tcp = undefined; });
      s.on('data', (chunk) => {
        this.tcpBuf = Buffer.concat([this.tcpBuf, chunk]);
        for (;;) {
          const f = frameStream(this.tcpBuf, DEFAULT_PARSE_LIMITS);
          if (f.kind === 'need-more') break;
          if (f.kind === 'error') { this.tcpBuf = Buffer.alloc(0); break; }
          const one = this.tcpBuf.subarray(0, f.length);
          this.tcpBuf = this.tcpBuf.subarray(f.length);
          if (f.kind === 'message') this.take(Buffer.from(one));
        }
      });
    });
  }

  /** true when the TCP connection is still open */
  get connected(): boolean {
    return this.proto === 'udp' || (this.tcp !== undefined && !this.tcp.destroyed);
  }

  async send(data: Buffer): Promise<void> {
    if (this.proto === 'udp') {
      await new Promise<void>((r) => this.udp!.send(data, this.port, this.host, () => r()));
      return;
    }
    if (!this.connected) await this.connectTcp();
    await new Promise<void>((r) => this.tcp!.write(data, () => r()));
  }

  /** Wait for a response whose Call-ID is `callId`. */
  async waitFor(callId: string, timeoutMs = 3000): Promise<SipMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.inbox.find((x) => x.callId() === callId);
      if (m !== undefined) return m;
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Wait for a parsed response matching `match`. */
  async waitForResponse(match: (m: SipMessage) => boolean, timeoutMs = 3000): Promise<SipMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.inbox.find(match);
      if (m !== undefined) return m;
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Wait for a message whose text matches (answers that lack From/To/Call-ID, which our parser refuses). */
  async waitForRaw(match: (text: string) => boolean, timeoutMs = 3000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.rawInbox.find(match);
      if (m !== undefined) return m;
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    this.udp?.close();
    this.tcp?.destroy();
  }
}

let n = 0;
/** An OPTIONS addressed to the node itself (no user part): answered 200 locally. */
export function optionsToSelf(proto: 'udp' | 'tcp', host: string, port: number, localPort: number): { data: Buffer; callId: string } {
  const callId = `self-${process.pid}-${++n}@127.0.0.1`;
  const t = proto.toUpperCase();
  const text = [
    `OPTIONS sip:${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/${t} 127.0.0.1:${localPort};branch=z9hG4bK-self-${n}-${Date.now()};rport`,
    `From: <sip:probe@127.0.0.1>;tag=p${n}`,
    `To: <sip:${host}:${port}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return { data: Buffer.from(text), callId };
}
