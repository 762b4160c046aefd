import { describe, expect, it } from 'vitest';
import { formatConfigErrors, loadConfig } from '#libs/config';
import { contextOf, sip } from './fixtures.ts';
import { createHeaderHygiene, DEFAULT_REMOVED_HEADERS, hygieneOptions, hygieneSection, hygieneStep, type HeaderHygieneOptions } from './index.ts';

/** Asterisk (chan_pjsip) answering a call: the product and version in Server, hang-up debugging headers. */
const ASTERISK_200 = `
SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.20.0.5:5060;rport=5060;received=10.20.0.5;branch=z9hG4bK.a1b2c3d4.1
Via: SIP/2.0/UDP 192.0.2.101:5060;rport=5060;branch=z9hG4bK776asdhds
Record-Route: <sip:10.20.0.5;lr>
Call-ID: a84b4c76e66710@192.0.2.101
From: "Alice" <sip:alice@example.com>;tag=1928301774
To: <sip:6001@pbx.internal>;tag=5f3b1a2e-9c4d-4e3f
CSeq: 314159 INVITE
Server: Asterisk PBX 18.9.0
Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER
Contact: <sip:10.20.0.9:5060>
Supported: 100rel, timer, replaces, norefersub
X-Asterisk-HangupCause: Normal Clearing
X-Asterisk-HangupCauseCode: 16
P-Asserted-Identity: "Sales" <sip:6001@pbx.internal>
Content-Length: 0
`;

/** FreeSWITCH (mod_sofia) refusing a call: version in User-Agent, X-FS-*, a Warning naming an internal host. */
const FREESWITCH_486 = `
SIP/2.0 486 Busy Here
Via: SIP/2.0/UDP 10.20.0.5:5060;rport=5060;branch=z9hG4bK.b2.1
Via: SIP/2.0/UDP 192.0.2.101:5060;rport=5060;branch=z9hG4bK776asdhds
Max-Forwards: 70
From: "Alice" <sip:alice@example.com>;tag=1928301774
To: <sip:1000@10.20.0.7>;tag=Qm9vS7p1Hc3aB
Call-ID: a84b4c76e66710@192.0.2.101
CSeq: 314159 INVITE
User-Agent: FreeSWITCH-mod_sofia/1.10.7-release~64bit
Accept: application/sdp
Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY
Supported: timer, path, replaces
X-FS-Support: update_display,send_info
x-fs-display-name: fs-node-3
Warning: 399 fs3.pbx.internal "Gateway busy on fs3 (10.20.0.7)"
Reason: Q.850;cause=17;text="USER_BUSY"
Content-Length: 0
`;

/** Kamailio in front of the PBX, leaking its debug hints, as a BYE toward the caller. */
const KAMAILIO_BYE = `
BYE sip:alice@192.0.2.101:5060 SIP/2.0
Via: SIP/2.0/UDP 10.20.0.5:5060;branch=z9hG4bK.c3.1
Max-Forwards: 69
From: <sip:6001@pbx.internal>;tag=5f3b1a2e-9c4d-4e3f
To: "Alice" <sip:alice@example.com>;tag=1928301774
Call-ID: a84b4c76e66710@192.0.2.101
CSeq: 102 BYE
User-Agent: kamailio (5.6.4 (x86_64/linux))
P-hint: outbound
P-Kamailio-Route: gw2
X-Debug-Trace: route[RELAY] t_relay ok
Reason: Q.850;cause=16
Content-Length: 0
`;

const defaults = (): HeaderHygieneOptions => {
  const res = loadConfig({ sections: [hygieneSection], env: {}, text: '' });
  if (!res.ok) throw new Error(formatConfigErrors(res.errors));
  return hygieneOptions(res.config.hygiene);
};

const names = (text: string) =>
  text
    .split('\r\n')
    .slice(1)
    .filter((l) => l.includes(':'))
    .map((l) => l.slice(0, l.indexOf(':')));

describe('header hygiene', () => {
  it('defaults strip versions and internal headers from an Asterisk 200 OK, keep PAI and SIP headers', () => {
    const msg = sip(ASTERISK_200);
    createHeaderHygiene(defaults()).scrub(msg);
    const out = msg.serialize().toString('latin1');
    expect(out).not.toMatch(/Asterisk PBX|X-Asterisk|HangupCause/);
    expect(names(out)).toEqual(['Via', 'Via', 'Record-Route', 'Call-ID', 'From', 'To', 'CSeq', 'Allow', 'Contact', 'Supported', 'P-Asserted-Identity', 'Content-Length']);
  });

  it('defaults strip FreeSWITCH User-Agent, X-FS-* in any case, and the Warning naming an internal host', () => {
    const msg = sip(FREESWITCH_486);
    createHeaderHygiene(defaults()).scrub(msg);
    const out = msg.serialize().toString('latin1');
    expect(out).not.toMatch(/FreeSWITCH|X-FS|x-fs|fs3|Warning/);
    expect(out).toMatch(/^SIP\/2\.0 486 Busy Here\r\n/);
    expect(msg.header('reason')).toBe('Q.850;cause=17;text="USER_BUSY"');
  });

  it('defaults strip Kamailio hints and debug headers from a relayed BYE', () => {
    const msg = sip(KAMAILIO_BYE);
    createHeaderHygiene(defaults()).scrub(msg);
    expect(names(msg.serialize().toString('latin1'))).toEqual(['Via', 'Max-Forwards', 'From', 'To', 'Call-ID', 'CSeq', 'Reason', 'Content-Length']);
  });

  it('rewrites Server and User-Agent when asked, and keeps them when asked', () => {
    const rewrite = createHeaderHygiene({ server: { action: 'rewrite', value: 'Acme SBC' }, userAgent: { action: 'rewrite', value: 'Acme SBC' }, removeHeaders: [] });
    const a = sip(ASTERISK_200);
    rewrite.scrub(a);
    expect(a.header('server')).toBe('Acme SBC');
    expect(a.header('x-asterisk-hangupcause')).toBe('Normal Clearing');
    const f = sip(FREESWITCH_486);
    rewrite.scrub(f);
    expect(f.header('user-agent')).toBe('Acme SBC');
    expect(f.hasHeader('server')).toBe(false); // rewrite never adds a header that was not there
    const keep = createHeaderHygiene({ server: { action: 'keep' }, userAgent: { action: 'keep' }, removeHeaders: ['Warning'] });
    const k = sip(FREESWITCH_486);
    keep.scrub(k);
    expect(k.header('user-agent')).toMatch(/^FreeSWITCH/);
    expect(k.hasHeader('warning')).toBe(false);
  });

  it('refuses to remove headers SIP needs, even through a prefix', () => {
    expect(() => createHeaderHygiene({ server: { action: 'keep' }, userAgent: { action: 'keep' }, removeHeaders: ['Via'] })).toThrow(/"Via" would remove via/);
    expect(() => createHeaderHygiene({ server: { action: 'keep' }, userAgent: { action: 'keep' }, removeHeaders: ['C*'] })).toThrow(/call-id, cseq, contact/);
    expect(() => createHeaderHygiene({ server: { action: 'rewrite', value: 'a\r\nVia: x' }, userAgent: { action: 'keep' }, removeHeaders: [] })).toThrow(/one non-empty line/);
  });

  it('the config section validates names and rewrite values', () => {
    const res = loadConfig({
      sections: [hygieneSection],
      env: {},
      text: 'hygiene:\n  server: rewrite\n  user_agent_value: Acme\n  remove_headers: [Warning, "Call-ID", "X Bad"]\n',
      file: 'h.yaml',
    });
    expect(res.ok).toBe(false);
    const text = res.ok ? '' : formatConfigErrors(res.errors);
    expect(text).toMatch(/hygiene\.remove_headers.*"Call-ID" would remove call-id/);
    expect(text).toMatch(/"X Bad" is not a header name/);
  });

  it('the section check wants a value for rewrite and refuses one that does nothing', () => {
    const res = loadConfig({ sections: [hygieneSection], env: {}, text: 'hygiene:\n  server: rewrite\n  user_agent_value: Acme\n', file: 'h.yaml' });
    const text = res.ok ? '' : formatConfigErrors(res.errors);
    expect(text).toMatch(/hygiene\.server_value.*required when server is "rewrite"/);
    expect(text).toMatch(/hygiene\.user_agent_value.*does nothing unless user_agent is "rewrite"/);
  });

  it('defaults are the documented list', () => {
    expect(defaults()).toEqual({ server: { action: 'remove' }, userAgent: { action: 'remove' }, removeHeaders: DEFAULT_REMOVED_HEADERS });
  });

  it('the hygiene step scrubs the request and goes on', () => {
    const step = hygieneStep(createHeaderHygiene(defaults()));
    const msg = sip(KAMAILIO_BYE);
    expect(step.run(contextOf(msg))).toBe('next');
    expect(msg.hasHeader('user-agent')).toBe(false);
    expect(msg.hasHeader('p-hint')).toBe(false);
  });
});
