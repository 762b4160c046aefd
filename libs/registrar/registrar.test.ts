import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseMessage, parseUri, type SipMessage } from '#libs/sip';
import { createMemoryState } from '#libs/state';
import { aorOf } from './aor.ts';
import { Registrar } from './registrar.ts';

const policy = { defaultExpires: 3600, minExpires: 60, maxExpires: 7200, maxContacts: 3 };
const src = { proto: 'udp' as const, address: '203.0.113.5', port: 40000, socketId: 'udp:0.0.0.0:5060' };

function reg(headers: string[], cseq = 1, callId = 'reg-1'): SipMessage {
  const text = [
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1',
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=1',
    'To: <sip:alice@example.com>',
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    ...headers,
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text, 'latin1'));
  if (!r.ok) throw new Error(r.error.detail);
  return r.msg;
}

function rig() {
  let t = 1_800_000_000_000;
  const state = createMemoryState({ now: () => t });
  const registrar = new Registrar({ policy, useReceived: true, locations: state.locations, tables: state.tables, nodeId: 'n1', logger: pino({ level: 'silent' }), now: () => t });
  return { registrar, state, advance: (ms: number) => { t += ms; } };
}

const contactsOf = (h: readonly (readonly [string, string])[]) => h.filter(([n]) => n === 'Contact').map(([, v]) => v);

describe('registrar save', () => {
  it('saves several contacts with q and expires, lists them all in the 200', async () => {
    const { registrar } = rig();
    const a = await registrar.register(reg(['Contact: <sip:alice@10.0.0.5:5060>;q=0.5, <sip:alice@10.0.0.6:5060>;expires=120', 'Expires: 600']), 'alice@example.com', src);
    expect(a).toMatchObject({ status: 200, outcome: 'saved', contacts: 2 });
    expect(contactsOf(a.headers)).toEqual(['<sip:alice@10.0.0.6:5060>;expires=120', '<sip:alice@10.0.0.5:5060>;expires=600;q=0.5']);
    const stored = await registrar.lookup('alice@example.com');
    expect(stored[1]).toMatchObject({ received: 'sip:203.0.113.5:40000;transport=udp', socket: 'udp:0.0.0.0:5060;node=n1', callId: 'reg-1', cseq: 1 });
  });

  it('applies default, min (423 + Min-Expires) and max expires', async () => {
    const { registrar } = rig();
    expect(contactsOf((await registrar.register(reg(['Contact: <sip:a@10.0.0.5>']), 'alice@example.com', src)).headers)).toEqual(['<sip:a@10.0.0.5>;expires=3600']);
    const brief = await registrar.register(reg(['Contact: <sip:a@10.0.0.5>;expires=10'], 2), 'alice@example.com', src);
    expect(brief).toMatchObject({ status: 423, reason: 'Interval Too Brief', code: 'registrar.too_brief' });
    expect(brief.headers).toEqual([['Min-Expires', '60']]);
    expect(contactsOf((await registrar.register(reg(['Contact: <sip:a@10.0.0.5>', 'Expires: 99999'], 3), 'alice@example.com', src)).headers)).toEqual(['<sip:a@10.0.0.5>;expires=7200']);
  });

  it('answers a query with the bindings, removes one with expires=0 and all with *', async () => {
    const { registrar } = rig();
    await registrar.register(reg(['Contact: <sip:a@10.0.0.5>, <sip:b@10.0.0.6>']), 'alice@example.com', src);
    expect(await registrar.register(reg([], 2), 'alice@example.com', src)).toMatchObject({ status: 200, outcome: 'fetched', contacts: 2 });
    expect(await registrar.register(reg(['Contact: <sip:a@10.0.0.5>;expires=0'], 3), 'alice@example.com', src)).toMatchObject({ status: 200, outcome: 'removed', contacts: 1 });
    expect(await registrar.register(reg(['Contact: *'], 4), 'alice@example.com', src)).toMatchObject({ status: 400, code: 'registrar.bad_star' });
    expect(await registrar.register(reg(['Contact: *', 'Expires: 0'], 5), 'alice@example.com', src)).toMatchObject({ status: 200, outcome: 'removed', contacts: 0 });
    expect(await registrar.lookup('alice@example.com')).toEqual([]);
  });

  it('keeps Call-ID/CSeq order: an older CSeq is refused, the same one is a retransmission', async () => {
    const { registrar } = rig();
    await registrar.register(reg(['Contact: <sip:a@10.0.0.5>'], 5), 'alice@example.com', src);
    expect(await registrar.register(reg(['Contact: <sip:a@10.0.0.5>'], 5), 'alice@example.com', src)).toMatchObject({ status: 200, contacts: 1 });
    expect(await registrar.register(reg(['Contact: <sip:a@10.0.0.5>;expires=0'], 4), 'alice@example.com', src)).toMatchObject({ status: 400, code: 'registrar.stale_cseq' });
    expect(await registrar.register(reg(['Contact: <sip:a@10.0.0.5>;expires=0'], 1, 'another-call-id'), 'alice@example.com', src)).toMatchObject({ status: 200, contacts: 0 });
  });

  it('bounds contacts per AoR and per request', async () => {
    const { registrar } = rig();
    expect(await registrar.register(reg(['Contact: <sip:a@1.1.1.1>, <sip:b@1.1.1.1>, <sip:c@1.1.1.1>, <sip:d@1.1.1.1>']), 'alice@example.com', src)).toMatchObject({ status: 403, code: 'registrar.too_many_contacts' });
    await registrar.register(reg(['Contact: <sip:a@1.1.1.1>, <sip:b@1.1.1.1>, <sip:c@1.1.1.1>']), 'alice@example.com', src);
    expect(await registrar.register(reg(['Contact: <sip:d@1.1.1.1>'], 2), 'alice@example.com', src)).toMatchObject({ status: 403, code: 'registrar.store_full' });
  });

  it('keeps +sip.instance/reg-id (one binding per flow) and Path, echoing Path when supported', async () => {
    const { registrar } = rig();
    await registrar.register(reg(['Contact: <sip:a@10.0.0.5>;+sip.instance="<urn:uuid:1>";reg-id=1']), 'alice@example.com', src);
    const a = await registrar.register(reg(['Contact: <sip:a@10.0.0.9>;+sip.instance="<urn:uuid:1>";reg-id=1', 'Path: <sip:edge.example.net;lr>', 'Supported: path'], 2), 'alice@example.com', src);
    expect(contactsOf(a.headers)).toEqual(['<sip:a@10.0.0.9>;expires=3600;+sip.instance="<urn:uuid:1>";reg-id=1']);
    expect(a.headers.filter(([n]) => n === 'Path')).toEqual([['Path', '<sip:edge.example.net;lr>']]);
    const [t] = registrar.targets(await registrar.lookup('alice@example.com'));
    expect(t).toMatchObject({ uri: 'sip:a@10.0.0.9', target: { proto: 'udp', host: 'edge.example.net', port: 5060 }, routes: ['<sip:edge.example.net;lr>'] });
  });

  it('refuses malformed Contact and Expires with 400', async () => {
    const { registrar } = rig();
    expect(await registrar.register(reg(['Contact: <sip:a@10.0.0.5>;expires=abc']), 'alice@example.com', src)).toMatchObject({ status: 400 });
    expect(await registrar.register(reg(['Contact: <sip:a@10.0.0.5>', 'Expires: -1']), 'alice@example.com', src)).toMatchObject({ status: 400 });
    expect(await registrar.register(reg(['Contact: <sip:a@10.0.0.5>;q=7']), 'alice@example.com', src)).toMatchObject({ status: 400 });
  });
});

describe('registrar lookup', () => {
  it('routes to the received address (NAT) by default, by q', async () => {
    const { registrar } = rig();
    await registrar.register(reg(['Contact: <sip:alice@192.168.1.20:5060>;q=0.4, <sip:alice@192.168.1.21:5062;transport=tcp>;q=0.9']), 'alice@example.com', src);
    const targets = registrar.targets(await registrar.lookup('alice@example.com'));
    expect(targets.map((t) => [t.uri, t.target])).toEqual([
      ['sip:alice@192.168.1.21:5062;transport=tcp', { proto: 'udp', host: '203.0.113.5', port: 40000 }],
      ['sip:alice@192.168.1.20:5060', { proto: 'udp', host: '203.0.113.5', port: 40000 }],
    ]);
  });

  it('lists AoRs for ul.dump and counts them; ul.rm removes', async () => {
    const { registrar } = rig();
    await registrar.register(reg(['Contact: <sip:a@10.0.0.5>, <sip:b@10.0.0.5>']), 'alice@example.com', src);
    await new Promise((r) => setTimeout(r, 0));
    expect(await registrar.counts()).toEqual({ aors: 1, contacts: 2 });
    expect((await registrar.dump(10)).map((e) => [e.aor, e.contacts.length])).toEqual([['alice@example.com', 2]]);
    expect(await registrar.remove('alice@example.com', 'sip:a@10.0.0.5')).toBe(1);
    expect(await registrar.remove('alice@example.com')).toBe(0);
    await new Promise((r) => setTimeout(r, 0));
    expect(await registrar.counts()).toEqual({ aors: 0, contacts: 0 });
  });

  it('aorOf keeps the user, lower-cases the domain, drops port and params', () => {
    const m = reg([]);
    expect(aorOf(m.to()?.uri)).toBe('alice@example.com');
    expect(aorOf(parseUri('sip:Bob@EXAMPLE.com:5070;transport=tcp'))).toBe('Bob@example.com');
    expect(aorOf(parseUri('sip:example.com'))).toBeUndefined();
    expect(aorOf(parseUri('tel:+15551234'))).toBeUndefined();
  });
});
