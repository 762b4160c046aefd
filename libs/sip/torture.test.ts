import { describe, expect, it } from 'vitest';
import { isAbsoluteUri, parseAndValidate, parseMessage, parseUri, validateMessage } from './index.ts';
import { ESCAPED_INVITE, INVALID_CASES, MIXED_SCHEMES_MESSAGE, ODD_NAMES_OPTIONS, TORTUOUS_INVITE, longRequest } from './fixtures/torture.ts';

describe('RFC 4475-style valid messages', () => {
  it('tortuous INVITE (wsinv): spacing, folding, case, compact names', () => {
    const r = parseAndValidate(TORTUOUS_INVITE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.msg;
    expect(m.toTag()).toBe('1918181833n');
    expect(m.to()?.uriText).toBe('sip:vivekg@chair-dnrc.example.com');
    expect(m.from()?.displayName).toBe('J Rosenberg \\"');
    expect(m.fromTag()).toBe('98asjd8');
    expect(m.maxForwards()).toBe(68);
    expect(m.cseq()).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.header('subject')).toBe('');
    expect(m.header('newfangledheader')).toBe('newfangled value continued newfangled value');
    expect(m.header('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    const vias = m.vias();
    expect(vias.map((v) => [v.transport, v.host, v.params.get('branch')])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.routes()[0].uri?.params.get('unknown-no-value')).toBeNull();
    const c = m.contacts()[0];
    expect(c.displayName).toBe('Quoted string ""');
    expect(c.params.get('newparam')).toBe('newvalue');
    expect(c.params.get('secondparam')).toBeNull();
    expect(c.params.get('q')).toBe('0.33');
    expect(m.body.length).toBe(m.contentLength());
    // untouched: byte-for-byte, folding included
    expect(m.serialize().equals(TORTUOUS_INVITE)).toBe(true);
  });

  it('escaped characters stay escaped in URIs (esc01)', () => {
    const r = parseAndValidate(ESCAPED_INVITE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.msg.requestUri()?.user).toBe('sips%3Auser%40example.com');
    expect(r.msg.requestUri()?.host).toBe('example.net');
    expect(r.msg.to()?.uri?.user).toBe('%75se%72');
    expect(r.msg.contacts()[0].uri?.params.get('n%61me')).toBe('v%61lue%25%34%31');
    expect(r.msg.header('content-type')).toBe('application/sdp'); // "C:" compact, upper case
  });

  it('display names and Contact lists with separators in quotes (lwsdisp)', () => {
    const r = parseAndValidate(ODD_NAMES_OPTIONS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.msg.from()?.displayName).toBe('caller');
    const c = r.msg.contacts();
    expect(c.map((x) => x.displayName)).toEqual(['Bob, Jr. <the boss>', undefined]);
    expect(c[1].uri).toMatchObject({ host: '[2001:db8::10]', port: 5070 });
  });

  it('very long values, names and many Vias (longreq)', () => {
    const buf = longRequest();
    const r = parseAndValidate(buf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.msg.vias()).toHaveLength(20);
    expect(r.msg.fromTag()).toMatch(/^123{500}$/);
    expect(r.msg.to()?.uri?.port).toBe(6000);
    expect(r.msg.serialize().equals(buf)).toBe(true);
  });

  it('non-SIP Request-URI scheme, sips From, tel To, IPv6 received', () => {
    const r = parseAndValidate(MIXED_SCHEMES_MESSAGE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.msg.uri).toBe('urn:service:sos');
    expect(r.msg.requestUri()).toBeUndefined();
    expect(r.msg.from()?.uri?.scheme).toBe('sips');
    expect(r.msg.to()?.uri).toMatchObject({ scheme: 'tel', user: '+1-201-555-0123' });
    expect(r.msg.to()?.uri?.params.get('phone-context')).toBe('example.com');
    expect(r.msg.topVia()?.params.get('received')).toBe('2001:db8::9:255');
    expect(r.msg.body.toString()).toBe('hello');
  });
});

describe('RFC 4475-style invalid messages', () => {
  for (const c of INVALID_CASES) {
    it(`${c.name} -> ${c.code}${c.answerable ? ' (answerable)' : ''}`, () => {
      const shallow = parseMessage(c.bytes);
      if (c.deep) {
        // parseMessage indexes it; the sanity check (validateMessage) rejects it
        expect(shallow.ok).toBe(true);
        if (!shallow.ok) return;
        const e = validateMessage(shallow.msg);
        expect(e?.code).toBe(c.code);
        expect(e?.partial !== undefined).toBe(c.answerable === true);
      } else {
        expect(shallow.ok).toBe(false);
        if (shallow.ok) return;
        expect(shallow.error.code).toBe(c.code);
        expect(shallow.error.detail.length).toBeGreaterThan(0);
        expect(shallow.error.partial !== undefined).toBe(c.answerable === true);
      }
      const full = parseAndValidate(c.bytes);
      expect(full.ok).toBe(false);
      if (!full.ok) expect(full.error.code).toBe(c.code);
    });
  }
});

describe('control characters in header values (validateMessage)', () => {
  const msg = (extra: string): Buffer =>
    Buffer.from(`OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-1\r\nFrom: <sip:b@192.0.2.2>;tag=1\r\nTo: <sip:a@192.0.2.1>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n${extra}Content-Length: 0\r\n\r\n`, 'latin1');
  const parsed = (b: Buffer) => {
    const r = parseMessage(b);
    if (!r.ok) throw new Error(r.error.detail);
    return r.msg;
  };

  it('names the header holding one, also DEL, in a parsed value', () => {
    expect(validateMessage(parsed(msg('Subject: hi\x01there\r\n')))?.detail).toBe('control character in Subject');
    expect(validateMessage(parsed(msg('X-A: ok\r\nX-B: del\x7f\r\n')))?.detail).toBe('control character in X-B');
  });

  it('lets HT and folded lines through', () => {
    expect(validateMessage(parsed(msg('Subject: a\tb\r\n  continued\r\n')))).toBeUndefined();
  });

  it('checks values added after parsing, where CR and LF are control characters', () => {
    const m = parsed(msg(''));
    m.appendHeader('X-Injected', 'a\r\nVia: x');
    expect(validateMessage(m)?.detail).toBe('control character in X-Injected');
  });
});

describe('legal but unusual syntax (RFC 4475 intmeth, unksm2)', () => {
  it('a quoted display name may escape NUL, BEL and DEL (quoted-pair); a bare NUL is still refused', () => {
    const head = (to: string) => Buffer.from(`OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-1\r\nFrom: <sip:b@192.0.2.2>;tag=1\r\nTo: ${to}\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`, 'latin1');
    const ok = parseAndValidate(head('"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:a@192.0.2.1>'));
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(ok.msg.to()?.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(parseAndValidate(head('"NUL:\x00" <sip:a@192.0.2.1>')).ok).toBe(false);
    expect(parseAndValidate(head('NUL:\\\x00 <sip:a@192.0.2.1>')).ok).toBe(false);
  });

  it("user-unreserved '?' and ';' in the user part, and an odd password", () => {
    const u = parseUri("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
    expect(u).toMatchObject({ user: "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", password: "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)", host: 'example.com' });
    // '@' in a header value after '?' with no userinfo stays a header
    expect(parseUri('sip:host.example.com?Replaces=abc@def')).toMatchObject({ host: 'host.example.com', headers: 'Replaces=abc@def' });
  });

  it('absoluteURI syntax for schemes we do not parse', () => {
    for (const ok of ['isbn:2983792873', 'http://www.example.com', 'name:John_Smith', 'urn:service:sos']) expect(isAbsoluteUri(ok), ok).toBe(true);
    for (const bad of ['1http:x', 'name:', ':x', 'ht tp:x', 'a:b c', 'a:<b>']) expect(isAbsoluteUri(bad), bad).toBe(false);
  });

  it('another SIP version is parsed on so it can be answered 505 (badvers)', () => {
    const r = parseMessage(Buffer.from('OPTIONS sip:a@example.org SIP/7.0\r\nVia: SIP/7.0/UDP c.example.com;branch=z9hG4bKx\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.org>\r\nCall-ID: v7\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n'));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad_version');
      expect(r.error.partial?.callId()).toBe('v7');
    }
  });
});
