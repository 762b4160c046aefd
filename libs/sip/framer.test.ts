import { describe, expect, it } from 'vitest';
import { frameStream, parseMessage } from './index.ts';
import { FREESWITCH_OPTIONS, GRANDSTREAM_NOTIFY, YEALINK_INVITE } from './fixtures/ua.ts';

describe('frameStream', () => {
  it('frames back-to-back messages, including compact "l:"', () => {
    const stream = Buffer.concat([YEALINK_INVITE, GRANDSTREAM_NOTIFY, FREESWITCH_OPTIONS]);
    const lengths: number[] = [];
    let rest = stream;
    for (;;) {
      const f = frameStream(rest);
      if (f.kind !== 'message') {
        expect(f.kind).toBe('need-more');
        break;
      }
      expect(parseMessage(rest.subarray(0, f.length)).ok).toBe(true);
      lengths.push(f.length);
      rest = rest.subarray(f.length);
    }
    expect(lengths).toEqual([YEALINK_INVITE.length, GRANDSTREAM_NOTIFY.length, FREESWITCH_OPTIONS.length]);
    expect(rest.length).toBe(0);
  });

  it('asks for more on every prefix of a message', () => {
    for (let n = 1; n < YEALINK_INVITE.length; n += 7) {
      expect(frameStream(YEALINK_INVITE.subarray(0, n)).kind).toBe('need-more');
    }
    expect(frameStream(YEALINK_INVITE)).toEqual({ kind: 'message', length: YEALINK_INVITE.length });
  });

  it('CRLF keep-alives (RFC 5626 §3.5.1): ping, pong, pong before a message', () => {
    expect(frameStream(Buffer.from('\r\n\r\n'))).toEqual({ kind: 'keepalive', length: 4 });
    expect(frameStream(Buffer.from('\r\n')).kind).toBe('need-more');
    expect(frameStream(Buffer.concat([Buffer.from('\r\n'), FREESWITCH_OPTIONS]))).toEqual({ kind: 'keepalive', length: 2 });
    expect(frameStream(Buffer.from('\r\n\r\n\r\n\r\n'))).toEqual({ kind: 'keepalive', length: 4 });
  });

  it('errors: bad or conflicting Content-Length, oversize, endless line', () => {
    const head = 'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n';
    expect(frameStream(Buffer.from(`${head}Content-Length: -1\r\n\r\n`))).toEqual({ kind: 'error', code: 'bad_content_length' });
    expect(frameStream(Buffer.from(`${head}Content-Length: 2\r\nl: 3\r\n\r\nabc`))).toEqual({ kind: 'error', code: 'bad_content_length' });
    expect(frameStream(Buffer.from(`${head}Content-Length: 99999999\r\n\r\n`))).toEqual({ kind: 'error', code: 'too_large' });
    expect(frameStream(Buffer.alloc(70_000, 0x41))).toEqual({ kind: 'error', code: 'too_large' });
    expect(frameStream(Buffer.alloc(9_000, 0x41))).toEqual({ kind: 'error', code: 'line_too_long' });
    expect(frameStream(Buffer.from(`${head}Content-Length: 5\r\n\r\nab`)).kind).toBe('need-more');
  });

  it('a missing Content-Length counts as an empty body', () => {
    const msg = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\nNEXT');
    expect(frameStream(msg)).toEqual({ kind: 'message', length: msg.length - 4 });
  });
});

describe('frameStream resuming where it stopped (from)', () => {
  it('finds the same message end fed in 1- to 7-byte steps as in one piece, wherever the empty line falls', () => {
    const msg = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 3\r\n\r\nabcOPTIONS');
    for (let step = 1; step <= 7; step++) {
      let scanned = 0;
      let got: ReturnType<typeof frameStream> | undefined;
      for (let n = step; n <= msg.length && got === undefined; n += step) {
        const r = frameStream(msg.subarray(0, n), undefined, scanned);
        if (r.kind === 'need-more') scanned = r.scanned;
        else got = r;
      }
      expect(got, `step ${step}`).toEqual({ kind: 'message', length: msg.indexOf('abc') + 3 });
    }
  });
});
