import { describe, expect, it } from 'vitest';
import { OwnAddresses, type RequestContext } from '#libs/proxy';
import { parseMessage, type SipMessage } from '#libs/sip';
import type { ListenSocketInfo, RemoteInfo } from '#libs/transport';
import { RouteSigner } from './signer.ts';
import { rrCheckStep, type CheckResult } from './steps.ts';

const SECRET = 'rr-sign-test-secret-0123456789';
const sock: ListenSocketInfo = { id: 'udp:127.0.0.1:5060', proto: 'udp', family: 'IPv4', host: '127.0.0.1', port: 5060, advertisedHost: '203.0.113.10', advertisedPort: 5060 };
const own = new OwnAddresses([sock], []);
const source: RemoteInfo = { proto: 'udp', address: '192.0.2.9', port: 5070, family: 'IPv4' };

describe('RouteSigner', () => {
  it('signs (Call-ID, ftag) with 16 base64url characters, the same on every node with the secret', () => {
    const a = new RouteSigner(SECRET);
    const sig = a.sign('call-1@x', 'tag1');
    expect(sig).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new RouteSigner(SECRET).verify('call-1@x', 'tag1', sig)).toBe(true);
  });

  it('refuses another Call-ID, another ftag, another secret, a shifted pair and a truncated signature', () => {
    const s = new RouteSigner(SECRET);
    const sig = s.sign('call-1@x', 'tag1');
    expect(s.verify('call-2@x', 'tag1', sig)).toBe(false);
    expect(s.verify('call-1@x', 'tag2', sig)).toBe(false);
    expect(s.verify('call-1@xt', 'ag1', sig)).toBe(false);
    expect(s.verify('call-1@x', 'tag1', sig.slice(0, 15))).toBe(false);
    expect(new RouteSigner('another-secret-0123456789').verify('call-1@x', 'tag1', sig)).toBe(false);
  });

  it('checks with previous secrets while rotating, and signs with the new one', () => {
    const old = new RouteSigner('old-secret-0123456789abcdef');
    const rotated = new RouteSigner('new-secret-0123456789abcdef', ['old-secret-0123456789abcdef']);
    expect(rotated.verify('c@x', 't', old.sign('c@x', 't'))).toBe(true);
    expect(old.verify('c@x', 't', rotated.sign('c@x', 't'))).toBe(false);
  });
});

function inDialog(route: string, method = 'BYE', callId = 'call-1@x'): SipMessage {
  const r = parseMessage(Buffer.from([
    `${method} sip:bob@192.0.2.50:5060 SIP/2.0`, 'Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-1', `Route: ${route}`,
    'From: <sip:alice@x>;tag=tag1', 'To: <sip:bob@y>;tag=tag2', `Call-ID: ${callId}`, `CSeq: 2 ${method}`, 'Max-Forwards: 70', 'Content-Length: 0', '', '',
  ].join('\r\n')));
  if (!r.ok) throw new Error(r.error.detail);
  return r.msg;
}

function check(msg: SipMessage, opts: { enforce: boolean; trusted?: boolean }) {
  const counted: CheckResult[] = [];
  const step = rrCheckStep({ signer: new RouteSigner(SECRET), own, enforce: opts.enforce, trusted: () => opts.trusted === true, count: (r) => counted.push(r) });
  const ctx = { msg, inDialog: msg.toTag() !== undefined, source } as unknown as RequestContext;
  return { verdict: step.run(ctx), counted };
}

describe('rr-check step', () => {
  const sig = new RouteSigner(SECRET).sign('call-1@x', 'tag1');
  const signed = `<sip:203.0.113.10:5060;lr;ftag=tag1;rrs=${sig}>, <sip:192.0.2.50;lr>`;

  it('passes a route this cluster signed, in both modes', () => {
    for (const enforce of [false, true]) expect(check(inDialog(signed), { enforce })).toEqual({ verdict: 'next', counted: ['valid'] });
  });

  it('refuses the signature of another dialog, and a forged one, in both modes', () => {
    for (const enforce of [false, true]) {
      expect(check(inDialog(signed, 'BYE', 'call-2@x'), { enforce }).verdict).toMatchObject({ reject: 'rr_sign.invalid' });
      expect(check(inDialog('<sip:203.0.113.10:5060;lr;ftag=tag1;rrs=AAAAAAAAAAAAAAAA>, <sip:198.51.100.66;lr>'), { enforce }).counted).toEqual(['refused']);
    }
  });

  it('accepts an unsigned route in mode sign (the upgrade grace), refuses it in enforce, drops such an ACK', () => {
    const unsigned = '<sip:203.0.113.10:5060;lr>, <sip:198.51.100.66;lr>';
    expect(check(inDialog(unsigned), { enforce: false })).toEqual({ verdict: 'next', counted: ['unsigned_accepted'] });
    expect(check(inDialog(unsigned), { enforce: true }).verdict).toMatchObject({ reject: 'rr_sign.invalid', detail: 'unsigned Route' });
    expect(check(inDialog(unsigned, 'ACK'), { enforce: true }).verdict).toMatchObject({ reject: 'rr_sign.invalid_ack' });
  });

  it('lets a trusted source through, and leaves requests not routed through this node to loose-route', () => {
    expect(check(inDialog('<sip:203.0.113.10:5060;lr>, <sip:198.51.100.66;lr>'), { enforce: true, trusted: true })).toEqual({ verdict: 'next', counted: ['trusted'] });
    expect(check(inDialog('<sip:198.51.100.66;lr>'), { enforce: true })).toEqual({ verdict: 'next', counted: [] });
  });
});
