// A one-shot OPTIONS to a SIP server without sipp: used to wait until a proxy
// (Kamailio or our SBC node) answers before traffic starts.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Proto } from './proc.ts';

export interface PingOptions {
  host: string;
  port: number;
  transport?: Proto;
  timeoutMs?: number;
}

function optionsRequest(host: string, port: number, localPort: number, proto: Proto): string {
  const tag = randomBytes(4).toString('hex');
  const t = proto.toUpperCase();
  return [
    `OPTIONS sip:${host}:${port};transport=${proto} SIP/2.0`,
    `Via: SIP/2.0/${t} 127.0.0.1:${localPort};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
    `From: <sip:ping@127.0.0.1>;tag=${tag}`,
    `To: <sip:${host}:${port}>`,
    `Call-ID: ping-${tag}@127.0.0.1`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function statusOf(text: string): number | undefined {
  const m = /^SIP\/2\.0 (\d{3}) /.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Status code of the first final answer, or undefined on timeout / no answer. */
export function sipOptionsPing(opts: PingOptions): Promise<number | undefined> {
  const proto = opts.transport ?? 'udp';
  const timeoutMs = opts.timeoutMs ?? 1000;
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const sock = createSocket('udp4');
      const done = (v: number | undefined) => { clearTimeout(timer); sock.close(); resolve(v); };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      sock.on('error', () => done(undefined));
      sock.on('message', (buf) => {
        const status = statusOf(buf.toString('utf8'));
        if (status !== undefined && status >= 200) done(status);
      });
      sock.bind(0, '127.0.0.1', () => {
        const msg = optionsRequest(opts.host, opts.port, sock.address().port, 'udp');
        sock.send(msg, opts.port, opts.host);
      });
      return;
    }
    const sock = connect(opts.port, opts.host);
    let buf = '';
    const done = (v: number | undefined) => { clearTimeout(timer); sock.destroy(); resolve(v); };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('connect', () => sock.write(optionsRequest(opts.host, opts.port, sock.localPort ?? 0, 'tcp')));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      for (const head of buf.split('\r\n\r\n')) {
        const status = statusOf(head);
        if (status !== undefined && status >= 200) return done(status);
      }
    });
  });
}

/** Ping until the server gives a final answer (any status); returns it. */
export async function waitForSipAnswer(opts: PingOptions & { totalTimeoutMs?: number }): Promise<number> {
  const deadline = Date.now() + (opts.totalTimeoutMs ?? 10_000);
  for (;;) {
    const status = await sipOptionsPing({ ...opts, timeoutMs: opts.timeoutMs ?? 300 });
    if (status !== undefined) return status;
    if (Date.now() > deadline) throw new Error(`no SIP answer to OPTIONS from ${opts.host}:${opts.port} (${opts.transport ?? 'udp'}) within ${opts.totalTimeoutMs ?? 10_000} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
