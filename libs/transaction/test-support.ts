// Helpers for this folder's tests: message factories over libs/sip and a
// recording `send`. Not part of the public surface.
import { createResponse, parseMessage, type SipMessage } from '#libs/sip';
import { FakeClock } from './fake-clock.ts';
import { TransactionLayer } from './layer.ts';
import type { TransactionConfig } from './config.ts';
import type { Proto, Send, Target } from './types.ts';

export interface ReqOpts {
  branch?: string;
  host?: string;
  port?: number;
  transport?: 'UDP' | 'TCP';
  callId?: string;
  cseq?: number;
  toTag?: string;
  routes?: string[];
  extraVia?: string;
  uri?: string;
}

export function makeRequest(method: string, o: ReqOpts = {}): SipMessage {
  const transport = o.transport ?? 'UDP';
  const host = o.host ?? '192.0.2.10';
  const port = o.port ?? 5060;
  const branch = o.branch ?? 'z9hG4bKtest1';
  const uri = o.uri ?? 'sip:bob@example.com';
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${host}:${port};branch=${branch}`,
    ...(o.extraVia !== undefined ? [`Via: ${o.extraVia}`] : []),
    ...(o.routes ?? []).map((r) => `Route: ${r}`),
    'Max-Forwards: 69',
    'From: "Alice" <sip:alice@example.org>;tag=fromtag1',
    `To: <sip:bob@example.com>${o.toTag !== undefined ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId ?? 'call-1@example.org'}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
    'Contact: <sip:alice@192.0.2.10:5060>',
    'Content-Length: 0',
    '',
    '',
  ];
  const r = parseMessage(Buffer.from(lines.join('\r\n'), 'latin1'));
  if (!r.ok) throw new Error(`test request did not parse: ${r.error.code} ${r.error.detail}`);
  return r.msg;
}

/** A response as the peer would send it (re-parsed from bytes, like the wire). */
export function makeResponse(req: SipMessage, status: number, reason = 'X', toTag?: string): SipMessage {
  const built = createResponse(req, status, reason, toTag === undefined ? {} : { toTag });
  const r = parseMessage(built.serialize());
  if (!r.ok) throw new Error(`test response did not parse: ${r.error.code}`);
  return r.msg;
}

export function reparse(msg: SipMessage): SipMessage {
  const r = parseMessage(msg.serialize());
  if (!r.ok) throw new Error(`message did not re-parse: ${r.error.code} ${r.error.detail}`);
  return r.msg;
}

export interface Sent {
  msg: SipMessage;
  target: Target;
  at: number;
}

export function recorder(clock: FakeClock): { send: Send; sent: Sent[]; labels(): string[] } {
  const sent: Sent[] = [];
  return {
    sent,
    send: (msg, target) => {
      sent.push({ msg, target, at: clock.now() });
    },
    /** "INVITE" for requests, "408" for responses, in send order */
    labels: () => sent.map((s) => (s.msg.isRequest ? s.msg.method : String(s.msg.status))),
  };
}

/** A layer on a fake clock. The tests check RFC 3261 timers, so J/L/M linger 64*T1 (waitTimer 0) unless a test says otherwise. */
export function setup(config: Partial<TransactionConfig> = {}, send?: Send) {
  const clock = new FakeClock();
  const rec = recorder(clock);
  const layer = new TransactionLayer({ send: send ?? rec.send, clock, config: { waitTimer: 0, ...config } });
  return { clock, rec, layer };
}

export function target(proto: Proto = 'udp'): Target {
  return { proto, host: '198.51.100.7', port: 5080 };
}

export function source(proto: Proto = 'udp'): Target {
  return { proto, host: '192.0.2.10', port: 5060 };
}

/** times (ms) at which messages matching the label were sent */
export function timesOf(sent: Sent[], label: string): number[] {
  return sent.filter((s) => (s.msg.isRequest ? s.msg.method : String(s.msg.status)) === label).map((s) => s.at);
}
