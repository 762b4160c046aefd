import { describe, expect, it } from 'vitest';
import { parseMessage, type SipMessage } from '#libs/sip';
import { createMemoryState } from '#libs/state';
import { Authenticator, consumeCredentials, type AuthOutcome } from './authenticator.ts';
import { AuthBlockList, type BlockTable } from './block-list.ts';
import { CREDENTIALS_LIMITS, parseCredentials, type DigestCredentials } from './credentials.ts';
import { computeHa1, expectedResponse } from './digest.ts';
import { parseImport } from './import-file.ts';
import { NonceCodec } from './nonce.ts';
import { SubscriberStore } from './subscribers.ts';

const SECRET = 'a-secret-of-enough-length';

describe('digest computations (RFC 7616 §3.9.1 vectors)', () => {
  const base = { username: 'Mufasa', realm: 'http-auth@example.org', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', uri: '/dir/index.html', qop: 'auth' as const, nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', response: '' };
  it('MD5', () => {
    const c: DigestCredentials = { ...base, algorithm: 'MD5' };
    expect(expectedResponse(c, computeHa1('MD5', 'Mufasa', 'http-auth@example.org', 'Circle of Life'), 'GET')).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });
  it('SHA-256', () => {
    const c: DigestCredentials = { ...base, algorithm: 'SHA-256' };
    expect(expectedResponse(c, computeHa1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life'), 'GET')).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });
  it('without qop (RFC 2069 form, RFC 2617 vector)', () => {
    const c: DigestCredentials = { username: 'Mufasa', realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', uri: '/dir/index.html', response: '', algorithm: 'MD5' };
    expect(expectedResponse(c, computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life'), 'GET')).toBe('670fd8c2df070c60b045671b8b24ff02');
  });
});

describe('credentials parser', () => {
  const good = 'Digest username="alice", realm="example.com", nonce="abc", uri="sip:example.com", response="0123456789abcdef0123456789abcdef", algorithm=MD5, qop=auth, nc=00000001, cnonce="xyz", opaque=""';
  it('reads a well-formed value', () => {
    const r = parseCredentials(good);
    expect(r).toMatchObject({ ok: true, credentials: { username: 'alice', realm: 'example.com', nonce: 'abc', uri: 'sip:example.com', algorithm: 'MD5', qop: 'auth', nc: '00000001', cnonce: 'xyz' } });
  });
  it('handles escapes and defaults the algorithm to MD5', () => {
    const r = parseCredentials('digest username="a\\"b",realm="r",nonce="n",uri="sip:x",response="0123456789abcdef0123456789abcdef"');
    expect(r).toMatchObject({ ok: true, credentials: { username: 'a"b', algorithm: 'MD5' } });
  });
  const cases: [string, string, string][] = [
    ['Basic YWxpY2U6cGFzcw==', 'not_digest', ''],
    ['Digest username="alice, realm="r"', 'bad_syntax', 'unterminated quote'],
    ['Digest username=', 'bad_syntax', 'missing value'],
    ['Digest username="a" realm="r"', 'bad_syntax', 'missing comma'],
    ['Digest username="a", username="b", realm="r"', 'duplicate_param', ''],
    ['Digest realm="r", nonce="n", uri="sip:x", response="0123456789abcdef0123456789abcdef"', 'missing_param', 'username'],
    ['Digest username="a", realm="r", nonce="n", uri="sip:x", response="0123456789abcdef0123456789abcdef", algorithm=SHA-512-256', 'unknown_algorithm', ''],
    ['Digest username="a", realm="r", nonce="n", uri="sip:x", response="0123456789abcdef0123456789abcdef", qop=auth-int, nc=00000001, cnonce="c"', 'unsupported_qop', ''],
    ['Digest username="a", realm="r", nonce="n", uri="sip:x", response="0123456789abcdef0123456789abcdef", qop=auth, nc=1, cnonce="c"', 'bad_nc', ''],
    ['Digest username="a", realm="r", nonce="n", uri="sip:x", response="zz"', 'bad_response', ''],
    ['Digest username="a", realm="r", nonce="n", uri="sip:x", response="0123456789abcdef0123456789abcdef", algorithm=SHA-256', 'bad_response', 'MD5-length response for SHA-256'],
    [`Digest username="${'x'.repeat(CREDENTIALS_LIMITS.maxParamChars + 1)}", realm="r"`, 'bad_syntax', 'param too long'],
    [`Digest ${'a'.repeat(CREDENTIALS_LIMITS.maxValueChars)}`, 'too_long', ''],
    [`Digest ${Array.from({ length: 20 }, (_, i) => `p${i}=1`).join(', ')}`, 'too_long', 'too many params'],
  ];
  it.each(cases)('%s -> %s (%s)', (value, problem) => {
    const r = parseCredentials(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toBe(problem);
  });
  it('never throws on garbage', () => {
    for (let i = 0; i < 2000; i++) {
      const s = 'Digest ' + Array.from({ length: 1 + (i % 60) }, () => String.fromCharCode(32 + Math.floor(Math.random() * 95))).join('');
      expect(() => parseCredentials(s)).not.toThrow();
    }
  });
});

describe('nonces', () => {
  const ctx = { srcIp: '192.0.2.1', callId: 'c1', ruri: 'sip:example.com' };
  it('verify on another codec with the same ring, expire, and carry no state', () => {
    let t = 1_800_000_000_000;
    const a = new NonceCodec({ secrets: [SECRET], lifetimeMs: 30_000, now: () => t });
    const b = new NonceCodec({ secrets: [SECRET], lifetimeMs: 30_000, now: () => t });
    const n = a.issue(ctx);
    expect(b.check(n, ctx)).toMatchObject({ ok: true });
    t += 31_000;
    expect(b.check(n, ctx)).toMatchObject({ ok: false, reason: 'expired' });
  });
  it('refuse tampering, foreign secrets and garbage', () => {
    const a = new NonceCodec({ secrets: [SECRET], lifetimeMs: 30_000 });
    const other = new NonceCodec({ secrets: ['another-secret-long-enough'], lifetimeMs: 30_000 });
    const n = a.issue(ctx);
    const flipped = n.slice(0, 10) + (n[10] === 'A' ? 'B' : 'A') + n.slice(11);
    expect(a.check(flipped, ctx)).toEqual({ ok: false, reason: 'invalid' });
    expect(other.check(n, ctx)).toEqual({ ok: false, reason: 'invalid' });
    for (const g of ['', 'x', n + 'x', '!'.repeat(n.length)]) expect(a.check(g, ctx)).toEqual({ ok: false, reason: 'invalid' });
  });
  it('rotate: a nonce of the previous secret still verifies', () => {
    const old = new NonceCodec({ secrets: [SECRET], lifetimeMs: 30_000 });
    const rotated = new NonceCodec({ secrets: ['the-new-secret-is-long-too', SECRET], lifetimeMs: 30_000 });
    expect(rotated.check(old.issue(ctx), ctx)).toMatchObject({ ok: true });
    const retired = new NonceCodec({ secrets: ['the-new-secret-is-long-too'], lifetimeMs: 30_000 });
    expect(retired.check(old.issue(ctx), ctx)).toMatchObject({ ok: false });
  });
  it('bind to source IP, Call-ID and R-URI when asked', () => {
    const a = new NonceCodec({ secrets: [SECRET], lifetimeMs: 30_000, bindings: ['src_ip', 'call_id'] });
    const n = a.issue(ctx);
    expect(a.check(n, { ...ctx, ruri: 'sip:other' })).toMatchObject({ ok: true });
    expect(a.check(n, { ...ctx, srcIp: '192.0.2.2' })).toMatchObject({ ok: false, reason: 'invalid' });
    expect(a.check(n, { ...ctx, callId: 'c2' })).toMatchObject({ ok: false, reason: 'invalid' });
  });
  it('refuse short secrets', () => {
    expect(() => new NonceCodec({ secrets: ['short'], lifetimeMs: 1000 })).toThrow(/16 chars/);
  });
});

describe('subscriber import file', () => {
  it('reads passwords and HA1s and reports bad lines by number', () => {
    const r = parseImport(['# users', 'alice@example.com s3cret', '', `bob@example.com ha1=${'a'.repeat(32)}`, 'nodomain pw', 'carol@example.com', 'dave@example.com two words'].join('\n'));
    expect(r.entries.map((e) => [e.line, e.username, e.domain])).toEqual([[2, 'alice', 'example.com'], [4, 'bob', 'example.com']]);
    expect(r.problems.map((p) => p.line)).toEqual([5, 6, 7]);
  });
});

// ---------------------------------------------------------------- the authenticator

class MapBlocks implements BlockTable {
  readonly m = new Map<string, string>();
  has(k: string) { return this.m.has(k); }
  async set(k: string, v: string) { this.m.set(k, v); }
  async delete(k: string) { return this.m.delete(k); }
  entries() { return [...this.m].map(([key, value]) => ({ key, value, expiresAt: null })); }
}

function register(auth?: string, opts: { user?: string; callId?: string } = {}): SipMessage {
  const user = opts.user ?? 'alice';
  const text = [
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1',
    'Max-Forwards: 70',
    `From: <sip:${user}@example.com>;tag=1`,
    `To: <sip:${user}@example.com>`,
    `Call-ID: ${opts.callId ?? 'reg-1'}`,
    'CSeq: 1 REGISTER',
    'Contact: <sip:alice@192.0.2.1:5060>',
    ...(auth ? [`Authorization: ${auth}`] : []),
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text, 'latin1'));
  if (!r.ok) throw new Error(r.error.detail);
  return r.msg;
}

function answer(challenge: AuthOutcome, password: string, o: { nc?: string; username?: string; algorithm?: 'MD5' | 'SHA-256' } = {}): string {
  if (challenge.kind !== 'challenge') throw new Error('not a challenge');
  const algorithm = o.algorithm ?? 'SHA-256';
  const nonce = /nonce="([^"]+)"/.exec(challenge.headers[0])![1];
  const c: DigestCredentials = { username: o.username ?? 'alice', realm: 'example.com', nonce, uri: 'sip:example.com', response: '', algorithm, qop: 'auth', nc: o.nc ?? '00000001', cnonce: 'cn' };
  const response = expectedResponse(c, computeHa1(algorithm, c.username, 'example.com', password), 'REGISTER');
  return `Digest username="${c.username}", realm="example.com", nonce="${nonce}", uri="sip:example.com", response="${response}", algorithm=${algorithm}, qop=auth, nc=${c.nc}, cnonce="cn"`;
}

async function rig(mode: 'user' | 'ip' | 'both' = 'user') {
  const state = createMemoryState();
  const subscribers = new SubscriberStore(state.tables);
  await subscribers.put('alice', 'example.com', { password: 'right' });
  const blocks = new MapBlocks();
  const auth = new Authenticator({
    options: { algorithms: ['SHA-256', 'MD5'], checkIdentity: true },
    nonces: { www: new NonceCodec({ secrets: [SECRET], lifetimeMs: 30_000 }), proxy: new NonceCodec({ secrets: [SECRET], lifetimeMs: 30_000 }) },
    subscribers,
    claims: state.leases,
    blocks: new AuthBlockList({ mode, failures: 3, windowMs: 60_000, blockMs: 60_000 }, blocks, state.tables),
  });
  const run = (msg: SipMessage, ip = '192.0.2.1') => auth.authenticate({ msg, srcIp: ip, kind: 'www', realm: 'example.com' });
  return { auth, run, blocks, state };
}

describe('authenticator', () => {
  it('challenges with both algorithms, strongest first, then accepts and strips the credentials', async () => {
    const { run } = await rig();
    const ch = await run(register());
    expect(ch).toMatchObject({ kind: 'challenge', status: 401, headerName: 'WWW-Authenticate', failure: 'no_credentials' });
    if (ch.kind !== 'challenge') return;
    expect(ch.headers[0]).toMatch(/^Digest realm="example.com", nonce="[^"]+", qop="auth", algorithm=SHA-256$/);
    expect(ch.headers[1]).toMatch(/algorithm=MD5$/);
    const msg = register(answer(ch, 'right'));
    expect(await run(msg)).toEqual({ kind: 'ok', username: 'alice', domain: 'example.com' });
    expect(msg.hasHeader('authorization')).toBe(true); // removed just before relaying (auth.consume)
    consumeCredentials(msg, 'www', 'example.com');
    expect(msg.hasHeader('authorization')).toBe(false);
    const md5 = register(answer(ch, 'right', { algorithm: 'MD5', nc: '00000002' }));
    expect(await run(md5)).toMatchObject({ kind: 'ok' });
  });

  it('refuses a replayed nonce + nc, accepts the next nc', async () => {
    const { run } = await rig();
    const ch = await run(register());
    const auth = answer(ch, 'right');
    expect((await run(register(auth))).kind).toBe('ok');
    expect(await run(register(auth))).toMatchObject({ kind: 'challenge', failure: 'replayed_nc' });
    expect((await run(register(answer(ch, 'right', { nc: '00000002' })))).kind).toBe('ok');
  });

  it('does not use up the nc of an attempt with a wrong password (Kamailio marks nc only once the digest is right)', async () => {
    const { run } = await rig();
    const ch = await run(register());
    expect(await run(register(answer(ch, 'wrong')))).toMatchObject({ kind: 'challenge', failure: 'bad_password' });
    // the same nonce and nc, now with the right password: not a replay
    expect((await run(register(answer(ch, 'right')))).kind).toBe('ok');
    expect(await run(register(answer(ch, 'right')))).toMatchObject({ kind: 'challenge', failure: 'replayed_nc' });
  });

  it('answers an expired nonce with stale=true', async () => {
    const state = createMemoryState();
    const subscribers = new SubscriberStore(state.tables);
    await subscribers.put('alice', 'example.com', { password: 'right' });
    let t = Date.now();
    const auth = new Authenticator({
      options: { algorithms: ['SHA-256'], checkIdentity: true },
      nonces: { www: new NonceCodec({ secrets: [SECRET], lifetimeMs: 5000, now: () => t }), proxy: new NonceCodec({ secrets: [SECRET], lifetimeMs: 5000, now: () => t }) },
      subscribers, claims: state.leases,
      blocks: new AuthBlockList({ mode: 'user', failures: 3, windowMs: 60_000, blockMs: 60_000 }, new MapBlocks(), state.tables),
    });
    const run = (msg: SipMessage) => auth.authenticate({ msg, srcIp: '192.0.2.1', kind: 'www', realm: 'example.com' });
    const ch = await run(register());
    t += 6000;
    const r = await run(register(answer(ch, 'right')));
    expect(r).toMatchObject({ kind: 'challenge', failure: 'stale', stale: true });
    if (r.kind === 'challenge') expect(r.headers[0]).toMatch(/stale=true$/);
  });

  it('blocks a user after N failures: "Blocked", then "Already Blocked", even with the right password', async () => {
    const { run, blocks } = await rig('user');
    const ch = await run(register());
    expect(await run(register(answer(ch, 'wrong1')))).toMatchObject({ kind: 'challenge', failure: 'bad_password' });
    expect(await run(register(answer(ch, 'wrong2', { nc: '00000002' })))).toMatchObject({ kind: 'challenge', failure: 'bad_password' });
    expect(await run(register(answer(ch, 'wrong3', { nc: '00000003' })))).toMatchObject({ kind: 'reject', code: 'auth.blocked' });
    expect([...blocks.m.keys()]).toEqual(['user:alice@example.com']);
    expect(await run(register(answer(ch, 'right', { nc: '00000004' })), '198.51.100.9')).toMatchObject({ kind: 'reject', code: 'auth.already_blocked' });
  });

  it('per-IP mode blocks the source and not the user elsewhere', async () => {
    const { run, blocks } = await rig('ip');
    const ch = await run(register());
    for (const nc of ['00000001', '00000002', '00000003']) await run(register(answer(ch, 'wrong', { nc })));
    expect([...blocks.m.keys()]).toEqual(['ip:192.0.2.1']);
    expect(await run(register())).toMatchObject({ kind: 'reject', code: 'auth.already_blocked' });
    const other = await run(register(), '198.51.100.9');
    expect((await run(register(answer(other, 'right')), '198.51.100.9')).kind).toBe('ok');
  });

  it('counts unknown users as failures', async () => {
    const { run } = await rig('ip');
    const ch = await run(register(undefined, { user: 'mallory' }));
    expect(await run(register(answer(ch, 'x', { username: 'mallory' }), { user: 'mallory' }))).toMatchObject({ kind: 'challenge', failure: 'unknown_user' });
  });

  it('answers malformed credentials with 400 or a new challenge, never a throw', async () => {
    const { run } = await rig();
    expect(await run(register('Digest username="alice", realm="example.com", nonce="n"'))).toMatchObject({ kind: 'reject', code: 'auth.malformed' });
    expect(await run(register('Digest username="alice", realm="example.com", nonce="n", uri="sip:example.com", response="0123456789abcdef0123456789abcdef", algorithm=MD5-sess'))).toMatchObject({ kind: 'challenge', failure: 'unknown_algorithm' });
    expect(await run(register('Digest username="alice", realm="elsewhere.org", nonce="n", uri="sip:example.com", response="0123456789abcdef0123456789abcdef"'))).toMatchObject({ kind: 'challenge', failure: 'other_realm' });
    expect(await run(register('Basic YWxpY2U='))).toMatchObject({ kind: 'challenge', failure: 'malformed' });
    expect(await run(register('Digest username="alice", realm="example.com", nonce="forged", uri="sip:example.com", response="0123456789abcdef0123456789abcdef"'))).toMatchObject({ kind: 'challenge', failure: 'bad_nonce' });
    expect(await run(register('Digest username="alice", realm="example.com", nonce="n", uri="sip:elsewhere.org", response="0123456789abcdef0123456789abcdef"'))).toMatchObject({ kind: 'reject', code: 'auth.uri_mismatch' });
  });

  it('refuses a user authenticating for somebody else\'s identity (auth_check)', async () => {
    const { run, state } = await rig();
    await new SubscriberStore(state.tables).put('bob', 'example.com', { password: 'bobs' });
    const ch = await run(register());
    expect(await run(register(answer(ch, 'bobs', { username: 'bob' })))).toMatchObject({ kind: 'reject', code: 'auth.identity_mismatch' });
  });
});
