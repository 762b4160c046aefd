import { describe, expect, it } from 'vitest';
import { createResponse, type SipMessage } from '#libs/sip';
import { chooseBestResponse, withMergedChallenges } from './best-response.ts';
import { makeRequest } from './test-support.ts';

const invite = makeRequest('INVITE');
function r(status: number, extra: [string, string][] = []): SipMessage {
  return createResponse(invite, status, `R${status}`, { toTag: `t${status}`, headers: extra });
}
function pick(...statuses: number[]): number | string {
  const b = chooseBestResponse(statuses.map((s) => r(s)));
  return b.kind === 'forward' ? b.response.status : `generate ${b.status}`;
}

describe('chooseBestResponse (RFC 3261 §16.7 step 6/7)', () => {
  it('a 6xx wins over every other class, whatever the order', () => {
    expect(pick(302, 486, 603, 500)).toBe(603);
    expect(pick(404, 600, 606)).toBe(600);
  });

  it('otherwise the lowest class wins', () => {
    expect(pick(500, 404, 302)).toBe(302);
    expect(pick(503, 480)).toBe(480);
  });

  it('inside 4xx: 401/407 first, then 415/420/484, then the earliest other', () => {
    expect(pick(404, 486, 407, 415)).toBe(407);
    expect(pick(404, 484, 408)).toBe(484);
    expect(pick(486, 404)).toBe(486);
  });

  it('503 only as a last resort; only 503s -> generate 500', () => {
    expect(pick(503, 502)).toBe(502);
    const b = chooseBestResponse([r(503), r(503)]);
    expect(b).toMatchObject({ kind: 'generate', status: 500, reason: 'Server Internal Error' });
  });

  it('provisionals are ignored; no final at all -> generate 408', () => {
    expect(pick(180, 183)).toBe('generate 408');
    expect(pick()).toBe('generate 408');
  });

  it('a 2xx in the set beats everything (it must be forwarded)', () => {
    expect(pick(603, 200)).toBe(200);
  });

  it('a chosen 401/407 collects the challenges of the other 401/407 responses, leaving inputs untouched', () => {
    const a = r(407, [['Proxy-Authenticate', 'Digest realm="a.example", nonce="n1"']]);
    const b = r(401, [['WWW-Authenticate', 'Digest realm="b.example", nonce="n2"']]);
    const c = r(407, [['Proxy-Authenticate', 'Digest realm="c.example", nonce="n3"']]);
    const best = chooseBestResponse([r(404), a, b, c]);
    if (best.kind !== 'forward') throw new Error('expected forward');
    expect(best.index).toBe(1);
    expect(best.challenges).toEqual([
      { name: 'WWW-Authenticate', value: 'Digest realm="b.example", nonce="n2"' },
      { name: 'Proxy-Authenticate', value: 'Digest realm="c.example", nonce="n3"' },
    ]);
    const merged = withMergedChallenges(best);
    expect(merged.headerValues('proxy-authenticate')).toEqual(['Digest realm="a.example", nonce="n1"', 'Digest realm="c.example", nonce="n3"']);
    expect(merged.headerValues('www-authenticate')).toEqual(['Digest realm="b.example", nonce="n2"']);
    expect(a.headerValues('proxy-authenticate')).toHaveLength(1);
  });
});
