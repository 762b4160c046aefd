import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { parseMessage, parseUri, parseVia, type SipMessage, type Via } from '#libs/sip';
import type { ListenSocketInfo } from '#libs/transport';
import { createContext } from './context.ts';
import { hopForUri, recordRouteValue, relayBranch, viaValue } from './hops.ts';
import { OwnAddresses } from './own-addresses.ts';
import { looseRouteStep } from './steps/loose-route.ts';
import { recordRouteStep } from './steps/record-route.ts';
import { isOptionsToSelf } from './steps/options-self.ts';

const udp: ListenSocketInfo = { id: 'udp:127.0.0.1:5060', proto: 'udp', family: 'IPv4', host: '127.0.0.1', port: 5060, advertisedHost: '203.0.113.10', advertisedPort: 5060 };
const tcp: ListenSocketInfo = { id: 'tcp:10.0.0.5:5070', proto: 'tcp', family: 'IPv4', host: '10.0.0.5', port: 5070, advertisedHost: 'sbc.example.net', advertisedPort: 5070 };
const own = new OwnAddresses([udp, tcp], ['alias.example.org', '[2001:db8::1]:5080']);

/** a caller's top Via with `branch` and sent-by `sentBy` */
function via(branch: string, sentBy = '192.0.2.1:5070'): Via {
  const v = parseVia(`SIP/2.0/UDP ${sentBy};branch=${branch}`);
  if (v === undefined) throw new Error(`bad Via: ${sentBy} ${branch}`);
  return v;
}

function msg(lines: string[]): SipMessage {
  const r = parseMessage(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`));
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
  return r.msg;
}

function req(method: string, ruri: string, extra: string[] = [], toTag = ''): SipMessage {
  return msg([
    `${method} ${ruri} SIP/2.0`,
    'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-abc123',
    'From: <sip:alice@example.com>;tag=a1',
    `To: <sip:bob@example.com>${toTag}`,
    'Call-ID: c1@example.com',
    `CSeq: 2 ${method}`,
    'Max-Forwards: 70',
    ...extra,
    'Content-Length: 0',
  ]);
}

const ctxOf = (m: SipMessage) => createContext(m, { proto: 'udp', address: '198.51.100.7', port: 5060, family: 'IPv4' }, udp, pino({ level: 'silent' }));

describe('OwnAddresses', () => {
  it('knows bound and advertised addresses, default ports and aliases', () => {
    expect(own.isOwn('127.0.0.1', 5060)).toBe(true);
    expect(own.isOwn('127.0.0.1', undefined)).toBe(true); // port-less means 5060
    expect(own.isOwn('203.0.113.10', 5060)).toBe(true);
    expect(own.isOwn('SBC.example.NET', 5070)).toBe(true);
    expect(own.isOwn('sbc.example.net', undefined)).toBe(false); // listens on 5070, not the default port
    expect(own.isOwn('alias.example.org', 7777)).toBe(true);
    expect(own.isOwn('[2001:db8::1]', 5080)).toBe(true);
    expect(own.isOwn('127.0.0.1', 5061)).toBe(false);
    expect(own.isOwn('192.0.2.1', 5060)).toBe(false);
    expect(own.isOwnUri(parseUri('tel:+15551234'))).toBe(false);
  });
});

describe('hops and inserted headers', () => {
  it('turns URIs into next hops with transport and default port', () => {
    expect(hopForUri(parseUri('sip:10.1.1.1;transport=TCP'))?.target).toEqual({ proto: 'tcp', host: '10.1.1.1', port: 5060 });
    expect(hopForUri(parseUri('sip:[2001:db8::9]:5090'))?.target).toEqual({ proto: 'udp', host: '2001:db8::9', port: 5090 });
    expect(hopForUri(parseUri('sips:gw.example.com'))?.target.port).toBe(5061);
    expect(hopForUri(parseUri('tel:+15551234'))).toBeUndefined();
  });

  it('derives the relayed branch from the incoming branch and sent-by: same input same branch, other attempt other branch', () => {
    const a = relayBranch(via('z9hG4bK-abc123'), 0);
    expect(a).toBe(relayBranch(via('z9hG4bK-abc123'), 0));
    expect(a).toMatch(/^z9hG4bK-sbc2-[0-9a-f]{16}$/);
    expect(relayBranch(via('z9hG4bK-abc123'), 1)).not.toBe(a);
    expect(relayBranch(via('z9hG4bK-abc124'), 0)).not.toBe(a);
    // a non-RFC 3261 branch (or none) gets a fresh random one
    expect(relayBranch(via('1234'), 0)).not.toBe(relayBranch(via('1234'), 0));
    expect(relayBranch(parseVia('SIP/2.0/UDP 192.0.2.1:5070'), 0)).toMatch(/^z9hG4bK/);
    const many = new Set(Array.from({ length: 20_000 }, (_, i) => relayBranch(via(`z9hG4bK${i}`), 0)));
    expect(many.size).toBe(20_000);
  });

  it('keeps two clients that use one branch apart (RFC 3261 §17.2.3: branch + sent-by), and sent-by is compared as the transaction layer does', () => {
    const a = relayBranch(via('z9hG4bK-abc123', '192.0.2.1:5070'), 0);
    expect(relayBranch(via('z9hG4bK-abc123', '192.0.2.1:5071'), 0)).not.toBe(a);
    expect(relayBranch(via('z9hG4bK-abc123', '192.0.2.2:5070'), 0)).not.toBe(a);
    // the parts are separated: moving characters between branch and host changes the branch
    expect(relayBranch(via('z9hG4bK-abc1231', '92.0.2.1:5070'), 0)).not.toBe(a);
    // host case-folded, default port filled in (libs/transaction keys.ts sentBy)
    expect(relayBranch(via('z9hG4bK-abc123', 'UA.Example.COM'), 0)).toBe(relayBranch(via('z9hG4bK-abc123', 'ua.example.com:5060'), 0));
    expect(relayBranch(parseVia('SIP/2.0/TLS ua.example.com;branch=z9hG4bK-abc123'), 0)).toBe(relayBranch(parseVia('SIP/2.0/TLS ua.example.com:5061;branch=z9hG4bK-abc123'), 0));
    // other Via parameters (received, rport the node stamps) do not count
    expect(relayBranch(parseVia('SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK-abc123;rport=5070;received=198.51.100.1'), 0)).toBe(a);
  });

  // Every node of a cluster must derive the same branch for one request, so a
  // change of these values is a change of the cluster protocol: old and new
  // nodes derive different branches during a rolling upgrade. It must be
  // deliberate, versioned in the prefix and documented (docs/cluster.md
  // "Relayed branches": v1 hashed the branch alone, v2 adds sent-by).
  it('keeps the relayed branch stable across versions: nodes of a rolling upgrade must derive the same branch', () => {
    expect(relayBranch(via('z9hG4bK-abc123'), 0)).toBe('z9hG4bK-sbc2-eeaf1a578297cdcb');
    expect(relayBranch(via('z9hG4bK-abc123'), 1)).toBe('z9hG4bK-sbc2-f949491ffd0529f3');
    expect(relayBranch(via('z9hG4bK-abc123'), 7)).toBe('z9hG4bK-sbc2-0c6908d46a7c324c');
    expect(relayBranch(via('z9hG4bK776asdhds', '[2001:db8::9]:5090'), 0)).toBe('z9hG4bK-sbc2-f28fc680d4e29358');
  });

  it('puts the advertised address in Record-Route and the own address in Via', () => {
    expect(recordRouteValue(udp, false)).toBe('<sip:203.0.113.10:5060;lr>');
    expect(recordRouteValue(tcp, true)).toBe('<sip:sbc.example.net:5070;transport=tcp;lr;r2=on>');
    expect(viaValue(udp, 'z9hG4bKx')).toBe('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx;rport');
  });

  it('builds every variant of the inserted headers, the same on each call (per-socket parts are cached)', () => {
    const wild: ListenSocketInfo = { id: 'tcp:0.0.0.0:5060', proto: 'tcp', family: 'IPv4', host: '0.0.0.0', port: 5060, advertisedHost: '198.51.100.1', advertisedPort: 5080 };
    const v6: ListenSocketInfo = { id: 'udp:2001:db8::5:5060', proto: 'udp', family: 'IPv6', host: '2001:db8::5', port: 5060, advertisedHost: '2001:db8::5', advertisedPort: 5060 };
    for (let i = 0; i < 2; i++) {
      expect(viaValue(wild, 'z9hG4bKa')).toBe('SIP/2.0/TCP 198.51.100.1:5080;branch=z9hG4bKa;rport');
      expect(viaValue(v6, 'z9hG4bKb')).toBe('SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bKb;rport');
      expect(recordRouteValue(wild, false)).toBe('<sip:198.51.100.1:5080;transport=tcp;lr>');
      expect(recordRouteValue(wild, true)).toBe('<sip:198.51.100.1:5080;transport=tcp;lr;r2=on>');
      expect(recordRouteValue(v6, true)).toBe('<sip:[2001:db8::5]:5060;lr;r2=on>');
      expect(recordRouteValue(udp, true)).toBe('<sip:203.0.113.10:5060;lr;r2=on>');
      expect(recordRouteValue(tcp, false)).toBe('<sip:sbc.example.net:5070;transport=tcp;lr>');
    }
  });
});

describe('record-route step', () => {
  it('marks dialog-creating out-of-dialog requests only', () => {
    const step = recordRouteStep();
    for (const [m, want] of [[req('INVITE', 'sip:bob@example.com'), true], [req('SUBSCRIBE', 'sip:bob@example.com'), true], [req('MESSAGE', 'sip:bob@example.com'), false], [req('INVITE', 'sip:bob@example.com', [], ';tag=b1'), false]] as const) {
      const ctx = ctxOf(m);
      expect(step.run(ctx)).toBe('next');
      expect(ctx.recordRoute).toBe(want);
    }
  });
});

describe('loose-route step', () => {
  const step = looseRouteStep({ own });

  it('pops its own Route (both entries of a double Record-Route) and routes to the next one', () => {
    const m = req('BYE', 'sip:bob@192.0.2.50:5062', ['Route: <sip:203.0.113.10:5060;lr;r2=on>, <sip:sbc.example.net:5070;transport=tcp;lr;r2=on>', 'Route: <sip:192.0.2.60;lr>'], ';tag=b1');
    const ctx = ctxOf(m);
    expect(step.run(ctx)).toBe('next');
    expect(ctx.hops.map((h) => h.target)).toEqual([{ proto: 'udp', host: '192.0.2.60', port: 5060 }]);
    expect(m.routes().map((r) => r.uriText)).toEqual(['sip:192.0.2.60;lr']);
  });

  it('routes to the Request-URI when its own Route was the last one', () => {
    const m = req('BYE', 'sip:bob@192.0.2.50:5062;transport=tcp', ['Route: <sip:127.0.0.1;lr>'], ';tag=b1');
    const ctx = ctxOf(m);
    expect(step.run(ctx)).toBe('next');
    expect(ctx.hops[0].target).toEqual({ proto: 'tcp', host: '192.0.2.50', port: 5062 });
    expect(m.hasHeader('route')).toBe(false);
  });

  it('refuses in-dialog requests not routed through it, and pre-loaded foreign routes', () => {
    expect(step.run(ctxOf(req('BYE', 'sip:bob@192.0.2.50', [], ';tag=b1')))).toEqual({ reject: 'proxy.not_here' });
    expect(step.run(ctxOf(req('ACK', 'sip:bob@192.0.2.50', [], ';tag=b1')))).toEqual({ reject: 'proxy.ack_not_routable' });
    expect(step.run(ctxOf(req('INVITE', 'sip:bob@example.com', ['Route: <sip:192.0.2.99;lr>'])))).toEqual({ reject: 'proxy.foreign_route' });
  });

  it('never routes back to itself when the Request-URI names the node after its Route is popped', () => {
    const initial = ctxOf(req('INVITE', 'sip:100@127.0.0.1:5060', ['Route: <sip:203.0.113.10;lr>']));
    expect(step.run(initial)).toBe('next');
    expect(initial.hops).toEqual([]); // left to the dispatcher
    expect(step.run(ctxOf(req('BYE', 'sip:100@127.0.0.1', ['Route: <sip:127.0.0.1;lr>'], ';tag=b1')))).toEqual({ reject: 'proxy.not_here' });
  });

  it('leaves out-of-dialog requests without Route to the routing steps', () => {
    const ctx = ctxOf(req('INVITE', 'sip:bob@example.com'));
    expect(step.run(ctx)).toBe('next');
    expect(ctx.hops).toEqual([]);
  });
});

describe('options to self', () => {
  it('is an out-of-dialog OPTIONS to an own address without user part', () => {
    expect(isOptionsToSelf(req('OPTIONS', 'sip:127.0.0.1:5060'), own)).toBe(true);
    expect(isOptionsToSelf(req('OPTIONS', 'sip:alias.example.org'), own)).toBe(true);
    expect(isOptionsToSelf(req('OPTIONS', 'sip:bob@127.0.0.1:5060'), own)).toBe(false);
    expect(isOptionsToSelf(req('OPTIONS', 'sip:192.0.2.1'), own)).toBe(false);
    expect(isOptionsToSelf(req('INVITE', 'sip:127.0.0.1'), own)).toBe(false);
  });
});
