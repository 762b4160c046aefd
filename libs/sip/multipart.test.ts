import { describe, expect, it } from 'vitest';
import { multipartBoundary, parseMessage, splitMultipart } from './index.ts';
import { FREESWITCH_MULTIPART_INVITE } from './fixtures/ua.ts';

describe('splitMultipart', () => {
  it('splits SDP + ISUP by the boundary from Content-Type, parts are views', () => {
    const r = parseMessage(FREESWITCH_MULTIPART_INVITE);
    if (!r.ok) throw new Error(r.error.code);
    const parts = splitMultipart(r.msg.body, r.msg.header('content-type')!);
    expect(parts).toHaveLength(2);
    expect(parts?.[0].contentType).toBe('application/sdp');
    expect(parts?.[0].body.toString()).toMatch(/^v=0\r\n[\s\S]*telephone-event\/8000\r\n$/);
    expect(parts?.[1].contentType).toBe('application/ISUP;version=itu-t92+');
    expect(parts?.[1].headers).toEqual([['Content-Type', 'application/ISUP;version=itu-t92+'], ['Content-Disposition', 'signal;handling=optional']]);
    expect(parts?.[1].body.toString()).toBe('ISUPDATA');
    expect(parts?.[1].body.buffer).toBe(FREESWITCH_MULTIPART_INVITE.buffer);
  });

  it('boundary parameter: quoted, token, absent, not multipart', () => {
    expect(multipartBoundary('multipart/mixed;boundary="a b"')).toBe('a b');
    expect(multipartBoundary('Multipart/Related; type="application/sdp"; boundary=xyz')).toBe('xyz');
    expect(multipartBoundary('multipart/mixed')).toBeUndefined();
    expect(multipartBoundary('application/sdp;boundary=x')).toBeUndefined();
    expect(splitMultipart(Buffer.from('v=0'), 'application/sdp')).toBeUndefined();
  });

  it('a body without the opening delimiter or without a close delimiter', () => {
    expect(splitMultipart(Buffer.from('no delimiters here'), 'multipart/mixed;boundary=b')).toBeUndefined();
    const parts = splitMultipart(Buffer.from('preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello'), 'multipart/mixed;boundary=b');
    expect(parts?.map((p) => p.body.toString())).toEqual(['hello']);
  });
});
