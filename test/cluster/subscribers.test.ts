// Issue 16 "done when", on three node processes sharing a real Redis and NATS:
// a phone registers with digest through node 1, refreshes through node 2 with
// node 1's nonce, a replayed Authorization through node 3 is refused, a call
// to its AoR through node 3 reaches it at the address its REGISTER came from
// (its Contact names a private address nobody can reach), it unregisters
// through node 2 and the next call gets 404. Then password guessing spread
// over the three nodes is blocked on all of them, per user and per IP.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Message } from 'sip';
import digest from 'sip/digest';
import { uniqueName } from '../harness/index.ts';
import { newTag, ScriptedUa } from '../e2e/sip-ua.ts';
import { runUac, type SbcNodeHandle } from '../sipp/index.ts';
import { admin, metric, startClusterNode } from './cluster-kit.ts';
import { challengeAlgorithms, contactsOf, DOMAIN, md5OnlyProxy, Phone, viaNode } from './subscriber-kit.ts';

const FAILURES = 5;

function subscriberConfig(mode: 'user' | 'ip') {
  return {
    // the ip cluster offers MD5 first: sipp answers the first challenge and knows MD5 only
    auth: { enabled: true, domains: [DOMAIN], secret: 'test-cluster-nonce-secret-0001', nonce_expire: '60s', ...(mode === 'ip' ? { algorithms: ['MD5', 'SHA-256'] } : {}) },
    auth_block: { mode, failures: FAILURES, window: '60s', block_time: '120s' },
    // the ip cluster forks in parallel
    registrar: { enabled: true, min_expires: 10, branch_timeout: '1s', ...(mode === 'ip' ? { fork: 'parallel' } : {}) },
  };
}

async function startCluster(mode: 'user' | 'ip'): Promise<SbcNodeHandle[]> {
  const cluster = uniqueName(`subs-${mode}`).replace(/[^A-Za-z0-9_-]/g, '_');
  return Promise.all(['s1', 's2', 's3'].map((id) => startClusterNode({ id, cluster, redisUrl: inject('redisUrl'), natsUrl: inject('natsUrl'), config: subscriberConfig(mode) })));
}

/** An INVITE from a trunk (not a local domain: never challenged) to a local user, through a node. */
function invite(caller: ScriptedUa, node: SbcNodeHandle, user: string): Message {
  return {
    method: 'INVITE',
    uri: `sip:${user}@${DOMAIN}`,
    headers: {
      to: { uri: `sip:${user}@${DOMAIN}`, params: {} },
      from: { uri: 'sip:+15550100@pstn.example.net', params: { tag: newTag() } },
      'call-id': `call-${newTag()}`,
      cseq: { seq: 1, method: 'INVITE' },
      contact: [caller.contact],
      route: [viaNode(node)],
      'max-forwards': 70,
    },
  };
}

async function blockedEverywhere(nodes: SbcNodeHandle[], key: string, timeoutMs = 3000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const seen = await Promise.all(nodes.map(async (n) => ((await admin(n, 'auth.blocks')) as { key: string }[]).some((b) => b.key === key)));
    if (seen.every(Boolean)) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${key} not blocked on every node within ${timeoutMs} ms: ${seen}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('subscribers on three nodes (auth_block mode user)', () => {
  let nodes: SbcNodeHandle[] = [];
  const phones: Phone[] = [];
  let caller: ScriptedUa;

  beforeAll(async () => {
    nodes = await startCluster('user');
    caller = await ScriptedUa.start({ name: 'trunk', transport: 'udp', host: '127.0.0.80' });
    await admin(nodes[0], 'subscriber.add', { username: 'alice', domain: DOMAIN, password: 'alice-secret' });
    await admin(nodes[1], 'subscriber.add', { username: 'bob', domain: DOMAIN, password: 'bob-secret' });
  }, 90_000);

  afterAll(async () => {
    for (const p of phones) p.close();
    caller?.close();
    await Promise.all(nodes.map((n) => n.stop()));
  });

  const phone = async (user: string, password: string, host: string) => {
    const p = await Phone.start({ user, password, host });
    phones.push(p);
    return p;
  };

  it('registers through node 1, refreshes through node 2 with node 1\'s nonce, refuses a replay through node 3, routes a call through node 3 to the NATed address, unregisters through node 2', async () => {
    const alice = await phone('alice', 'alice-secret', '127.0.0.81');
    // 1. challenge from node 1: SHA-256 first, then MD5
    const challenge = await alice.ua.request(alice.registerRequest(nodes[0], 600)).response('final');
    expect(challenge.status).toBe(401);
    expect(challengeAlgorithms(challenge)).toEqual(['SHA-256', 'MD5']);
    const ok = await alice.answer(nodes[0], challenge, 600);
    expect(ok.status).toBe(200);
    expect(contactsOf(ok)).toEqual([alice.contact]);

    // 2. refresh through node 2, same nonce, next nc: no new challenge
    const refreshed = await alice.refresh(nodes[1], 600);
    expect(refreshed.status).toBe(200);

    // 3. the refresh's Authorization again (same nonce, same nc) through node 3: refused with a new challenge
    const replay = await alice.send(alice.lastSigned!, nodes[2]).response('final');
    expect(replay.status).toBe(401);
    expect(await metric(nodes[2], 'sbc_auth_failures_total', 'reason="replayed_nc"')).toBe(1);

    // the binding holds the address the REGISTER came from
    const bindings = (await admin(nodes[2], 'ul.lookup', { aor: `alice@${DOMAIN}` })) as { uri: string; received: string }[];
    expect(bindings).toHaveLength(1);
    expect(bindings[0]).toMatchObject({ uri: alice.contact, received: `sip:127.0.0.81:${alice.ua.port};transport=udp` });

    // 4. a call to alice@example.com through node 3 reaches the phone at its received address
    const inv = invite(caller, nodes[2], 'alice');
    const tx = caller.request(inv);
    const got = await alice.ua.nextRequest('INVITE', String(inv.headers['call-id']));
    expect(String(got.rq.uri)).toBe(alice.contact);
    alice.ua.reply(got.rq, 486, 'Busy Here', { toTag: newTag() });
    expect((await tx.response('final')).status).toBe(486);

    // 5. unregister through node 2 (nonce still node 1's), then the next call gets 404
    const gone = await alice.refresh(nodes[1], 0);
    expect(gone.status).toBe(200);
    expect(contactsOf(gone)).toEqual([]);
    const after = await caller.request(invite(caller, nodes[2], 'alice')).response('final');
    expect(after.status).toBe(404);
  });

  it('a wrong password does not use up the nonce count: the right answer to the same challenge, through another node, registers', async () => {
    await admin(nodes[0], 'subscriber.add', { username: 'gina', domain: DOMAIN, password: 'gina-secret' });
    const gina = await phone('gina', 'gina-secret', '127.0.0.85');
    const challenge = await gina.ua.request(gina.registerRequest(nodes[0], 600)).response('final');
    expect(challenge.status).toBe(401);
    // nonce N, nc 1, a wrong password: refused (the claim of N:1 is given back)
    expect((await gina.answer(nodes[0], challenge, 600, 'not-gina-secret')).status).toBe(401);
    expect(await metric(nodes[0], 'sbc_auth_failures_total', 'reason="bad_password"')).toBeGreaterThanOrEqual(1);
    // nonce N, nc 1 again, the right password, through node 2: not a replay
    expect((await gina.answer(nodes[1], challenge, 600)).status).toBe(200);
    // and that one did use it: the same Authorization again through node 3 is a replay
    expect((await gina.send(gina.lastSigned!, nodes[2]).response('final')).status).toBe(401);
  });

  it('tries a user\'s contacts by q: a silent one is given up after branch_timeout, 480 when none answers', async () => {
    await admin(nodes[0], 'subscriber.add', { username: 'dave', domain: DOMAIN, password: 'dave-secret' });
    const desk = await Phone.start({ user: 'dave', password: 'dave-secret', host: '127.0.0.87', contact: `sip:dave@192.168.77.9:5060`, q: '0.5' });
    phones.push(desk);
    const goneWithQ = await Phone.start({ user: 'dave', password: 'dave-secret', host: '127.0.0.88', contact: `sip:dave@192.168.77.8:5060`, q: '0.9' });
    expect((await goneWithQ.register(nodes[0])).status).toBe(200);
    goneWithQ.close(); // its binding stays: nobody answers there any more
    expect((await desk.register(nodes[1])).status).toBe(200);

    const inv = invite(caller, nodes[1], 'dave');
    const t0 = Date.now();
    const tx = caller.request(inv);
    const got = await desk.ua.nextRequest('INVITE', String(inv.headers['call-id']));
    const waited = Date.now() - t0;
    expect(String(got.rq.uri)).toBe('sip:dave@192.168.77.9:5060');
    expect(waited).toBeGreaterThanOrEqual(900); // the q=0.9 contact was tried first and given up
    desk.ua.reply(got.rq, 486, 'Busy Here', { toTag: newTag() });
    expect((await tx.response('final')).status).toBe(486);

    // the desk phone leaves; only the silent contact is left: 480
    expect((await desk.register(nodes[2], 0)).status).toBe(200);
    const last = await caller.request(invite(caller, nodes[1], 'dave')).response('final', 8000);
    expect([last.status, last.reason]).toEqual([480, 'Temporarily Unavailable']);
  });

  it('challenges a local user\'s INVITE with 407 and relays it without the credentials', async () => {
    await admin(nodes[0], 'subscriber.add', { username: 'frank', domain: DOMAIN, password: 'frank-secret' });
    const callee = await phone('frank', 'frank-secret', '127.0.0.77');
    expect((await callee.register(nodes[0])).status).toBe(200);
    const alice = await phone('alice', 'alice-secret', '127.0.0.78');
    const call = (cseq: number): Message => ({
      method: 'INVITE',
      uri: `sip:frank@${DOMAIN}`,
      headers: {
        to: { uri: `sip:frank@${DOMAIN}`, params: {} },
        from: { uri: `sip:alice@${DOMAIN}`, params: { tag: 'a-tag-1' } },
        'call-id': 'proxy-auth-call@phone',
        cseq: { seq: cseq, method: 'INVITE' },
        contact: [alice.ua.contact],
        route: [viaNode(nodes[1])],
        'max-forwards': 70,
      },
    });
    const challenge = await alice.ua.request(call(1)).response('final');
    expect(challenge.status).toBe(407);
    const signed = call(2);
    digest.signRequest({}, signed, md5OnlyProxy(challenge), { user: 'alice', password: 'alice-secret' });
    const tx = alice.ua.request(signed);
    const got = await callee.ua.nextRequest('INVITE', 'proxy-auth-call@phone');
    expect(got.rq.headers['proxy-authorization']).toBeUndefined();
    callee.ua.reply(got.rq, 486, 'Busy Here', { toTag: newTag() });
    expect((await tx.response('final')).status).toBe(486);
    expect(await metric(nodes[1], 'sbc_auth_successes_total', 'kind="proxy"')).toBe(1);
  });

  it('refuses malformed credentials with 400 or a new challenge, counted', async () => {
    const bob = await phone('bob', 'bob-secret', '127.0.0.82');
    const cases: [Record<string, string>, number][] = [
      [{ scheme: 'Digest', username: '"bob', realm: `"${DOMAIN}"` }, 400],
      [{ scheme: 'Digest', username: '"bob"', realm: `"${DOMAIN}"`, nonce: '"x"' }, 400],
      [{ scheme: 'Digest', username: '"bob"', realm: `"${DOMAIN}"`, nonce: '"x"', uri: `"sip:${DOMAIN}"`, response: '"0123456789abcdef0123456789abcdef"', algorithm: 'SHA-512' }, 401],
      [{ scheme: 'Digest', username: '"bob"', realm: '"elsewhere.org"', nonce: '"x"', uri: `"sip:${DOMAIN}"`, response: '"0123456789abcdef0123456789abcdef"' }, 401],
      [{ scheme: 'Digest', username: '"bob"', realm: `"${DOMAIN}"`, nonce: '"forged"', uri: `"sip:${DOMAIN}"`, response: '"0123456789abcdef0123456789abcdef"' }, 401],
      [{ scheme: 'Digest', username: `"${'b'.repeat(5000)}"`, realm: `"${DOMAIN}"` }, 400],
    ];
    for (const [auth, status] of cases) {
      const rs = await bob.send(bob.registerRequest(nodes[0], 600, { authorization: [auth] })).response('final');
      expect(rs.status, JSON.stringify(auth).slice(0, 80)).toBe(status);
    }
    expect(await metric(nodes[0], 'sbc_sip_rejected_total', 'reason="auth_malformed"')).toBe(3);
    expect(await metric(nodes[0], 'sbc_auth_failures_total', 'reason="bad_nonce"')).toBeGreaterThanOrEqual(1);
    // and the node still serves
    expect((await bob.register(nodes[0])).status).toBe(200);
  });

  it('blocks a password-guessing user on every node (mode user): the user on another IP too, until lifted', async () => {
    const guesser = await phone('bob', 'bob-secret', '127.0.0.83');
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES; i++) statuses.push((await guesser.register(nodes[i % 3], 600, `guess-${i}`)).status ?? 0);
    expect(statuses).toEqual([401, 401, 401, 401, 403]);
    const ms = await blockedEverywhere(nodes, `user:bob@${DOMAIN}`);
    console.log(`[auth_block user] bob blocked on all 3 nodes ${ms} ms after the node that blocked answered`);
    for (const n of nodes) {
      const rs = await guesser.register(n, 600, 'guess-again');
      expect([rs.status, rs.reason]).toEqual([403, 'Already Blocked Forbidden']);
    }
    const legit = await phone('bob', 'bob-secret', '127.0.0.84');
    expect((await legit.register(nodes[1])).reason).toBe('Already Blocked Forbidden');
    expect(await admin(nodes[2], 'auth.unblock', { key: `user:bob@${DOMAIN}` })).toEqual({ lifted: true });
    await new Promise((r) => setTimeout(r, 200));
    expect((await legit.register(nodes[0])).status).toBe(200);
  });
});

describe('subscribers on three nodes (auth_block mode ip)', () => {
  let nodes: SbcNodeHandle[] = [];
  const phones: Phone[] = [];

  beforeAll(async () => {
    nodes = await startCluster('ip');
    await admin(nodes[0], 'subscriber.add', { username: 'carol', domain: DOMAIN, password: 'carol-secret' });
  }, 90_000);

  afterAll(async () => {
    for (const p of phones) p.close();
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('blocks the guessing source on every node and keeps the user working from another address', async () => {
    const guesser = await Phone.start({ user: 'carol', password: 'x', host: '127.0.0.90' });
    const legit = await Phone.start({ user: 'carol', password: 'carol-secret', host: '127.0.0.91' });
    phones.push(guesser, legit);
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES; i++) statuses.push((await guesser.register(nodes[i % 3], 600, `guess-${i}`)).status ?? 0);
    expect(statuses).toEqual([401, 401, 401, 401, 403]);
    const ms = await blockedEverywhere(nodes, 'ip:127.0.0.90');
    console.log(`[auth_block ip] 127.0.0.90 blocked on all 3 nodes ${ms} ms after the node that blocked answered`);
    for (const n of nodes) {
      // refused before any challenge: the source itself is blocked
      const rs = await guesser.send(guesser.registerRequest(n, 600)).response('final');
      expect([rs.status, rs.reason]).toEqual([403, 'Already Blocked Forbidden']);
    }
    for (const n of nodes) expect((await legit.register(n)).status).toBe(200);
    expect(await metric(nodes[0], 'sbc_auth_blocks_active', '')).toBe(1);
  });

  it('rings every contact at once with fork: parallel, and relays the best answer (a 6xx over a 480)', async () => {
    await admin(nodes[0], 'subscriber.add', { username: 'erin', domain: DOMAIN, password: 'erin-secret' });
    const caller = await ScriptedUa.start({ name: 'trunk', transport: 'udp', host: '127.0.0.98' });
    const a = await Phone.start({ user: 'erin', password: 'erin-secret', host: '127.0.0.96', contact: 'sip:erin@192.168.70.1:5060' });
    const b = await Phone.start({ user: 'erin', password: 'erin-secret', host: '127.0.0.97', contact: 'sip:erin@192.168.70.2:5060', q: '0.5' });
    phones.push(a, b);
    try {
      expect((await a.register(nodes[0])).status).toBe(200);
      expect((await b.register(nodes[1])).status).toBe(200);
      const inv = invite(caller, nodes[2], 'erin');
      const tx = caller.request(inv);
      const [ga, gb] = await Promise.all([a.ua.nextRequest('INVITE', String(inv.headers['call-id'])), b.ua.nextRequest('INVITE', String(inv.headers['call-id']))]);
      expect([String(ga.rq.uri), String(gb.rq.uri)]).toEqual(['sip:erin@192.168.70.1:5060', 'sip:erin@192.168.70.2:5060']);
      a.ua.reply(ga.rq, 480, 'Temporarily Unavailable', { toTag: newTag() });
      b.ua.reply(gb.rq, 603, 'Decline', { toTag: newTag() });
      expect((await tx.response('final')).status).toBe(603);
    } finally {
      caller.close();
    }
  });

  it('registers sipp phones with digest ([authentication]) through every node', async () => {
    const auth = ['-key', 'domain', DOMAIN, '-auth_uri', DOMAIN, '-au', 'carol', '-ap', 'carol-secret'];
    const runs = await Promise.all(nodes.map((n, i) => runUac({ scenario: 'uac_register_auth', target: `${n.host}:${n.port}`, localHost: `127.0.0.9${2 + i}`, service: 'carol', calls: 5, rate: 10, timeoutMs: 15_000, traceMessages: false, extraArgs: auth })));
    for (const r of runs) expect([r.successful, r.failed]).toEqual([5, 0]);
    const bindings = (await admin(nodes[0], 'ul.lookup', { aor: `carol@${DOMAIN}` })) as { received: string }[];
    for (const i of [0, 1, 2]) expect(bindings.some((b) => b.received.startsWith(`sip:127.0.0.9${2 + i}:`))).toBe(true);
  });
});

