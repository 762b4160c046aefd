import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildMessage, createResponse, type SipMessage } from '#libs/sip';
import { FakeClock } from './fake-clock.ts';
import { TransactionLayer, TransactionError, TM_METRIC_NAMES, type RequestDisposition, type ServerTransaction } from './index.ts';
import { makeRequest, makeResponse, recorder, setup, source, target } from './test-support.ts';

describe('server matching (RFC 3261 §17.2.3)', () => {
  it('branch + sent-by + method: a different sent-by or method is another transaction; host case and default port do not matter', () => {
    const { layer } = setup();
    const a = layer.receiveRequest(makeRequest('INVITE', { branch: 'z9hG4bKsame', host: 'ua.example.org', port: 5060 }), source());
    expect(a.kind).toBe('new');
    expect(layer.receiveRequest(makeRequest('INVITE', { branch: 'z9hG4bKsame', host: 'UA.Example.ORG', port: 5060 }), source()).kind).toBe('retransmission');
    const viaNoPort = makeRequest('INVITE', { branch: 'z9hG4bKsame', host: 'ua.example.org' });
    viaNoPort.setHeader('Via', 'SIP/2.0/UDP ua.example.org;branch=z9hG4bKsame');
    expect(layer.receiveRequest(viaNoPort, source()).kind).toBe('retransmission');
    expect(layer.receiveRequest(makeRequest('INVITE', { branch: 'z9hG4bKsame', host: 'other.example.org' }), source()).kind).toBe('new');
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bKsame', host: 'ua.example.org' }), source()).kind).toBe('new');
    expect(layer.size()).toBe(3);
  });

  it('RFC 2543 requests (no magic cookie) still pair retransmissions and the ACK, without crashing', () => {
    const { layer, rec } = setup();
    const invite = makeRequest('INVITE', { branch: 'old2543branch' });
    const d = layer.receiveRequest(invite, source());
    expect(d.kind).toBe('new');
    expect(layer.receiveRequest(makeRequest('INVITE', { branch: 'old2543branch' }), source()).kind).toBe('retransmission');
    const noBranch = makeRequest('OPTIONS');
    noBranch.setHeader('Via', 'SIP/2.0/UDP 192.0.2.10:5060');
    expect(layer.receiveRequest(noBranch, source()).kind).toBe('new');
    expect(layer.receiveRequest(noBranch, source()).kind).toBe('retransmission');
    (d as { tx: ServerTransaction }).tx.respond(createResponse(invite, 486, 'Busy', { toTag: 'x' }));
    expect(layer.receiveRequest(makeRequest('ACK', { branch: 'old2543branch', toTag: 'x' }), source()).kind).toBe('ack-absorbed');
    expect(rec.labels()).toEqual(['100', '100', '486']);
  });

  it('a request without top Via or CSeq creates nothing', () => {
    const { layer } = setup();
    const bad = buildMessage('OPTIONS sip:x@example.com SIP/2.0', [['Call-ID', 'c'], ['CSeq', '1 OPTIONS']]);
    expect(layer.receiveRequest(bad, source())).toEqual({ kind: 'invalid', detail: 'request without a readable top Via or CSeq' });
    expect(layer.size()).toBe(0);
  });
});

describe('client matching (RFC 3261 §17.1.3)', () => {
  it('top Via branch + CSeq method; unmatched responses are emitted as stray', () => {
    const { layer } = setup({ frTimer: 0 });
    const inv = makeRequest('INVITE', { branch: 'z9hG4bKc1' });
    const tx = layer.sendRequest(inv, target());
    const stray: number[] = [];
    layer.on('response', (e) => stray.push(e.msg.status));
    expect(layer.receiveResponse(makeResponse(inv, 180, 'Ringing', 't'), target())).toEqual({ kind: 'matched', tx });
    // same branch, other CSeq method: not ours
    const other = makeRequest('OPTIONS', { branch: 'z9hG4bKc1' });
    expect(layer.receiveResponse(makeResponse(other, 200, 'OK', 't'), target()).kind).toBe('stray');
    expect(layer.receiveResponse(makeResponse(makeRequest('INVITE', { branch: 'z9hG4bKzzz' }), 200, 'OK', 't'), target()).kind).toBe('stray');
    expect(stray).toEqual([200, 200]);
  });

  it('sendRequest refuses ACK, a branch without magic cookie, and a duplicate branch, with codes', () => {
    const { layer } = setup();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as TransactionError).code;
      }
      return 'none';
    };
    expect(code(() => layer.sendRequest(makeRequest('ACK'), target()))).toBe('ack_not_transactional');
    expect(code(() => layer.sendRequest(makeRequest('INVITE', { branch: 'nocookie' }), target()))).toBe('bad_branch');
    layer.sendRequest(makeRequest('INVITE', { branch: 'z9hG4bKdup' }), target());
    expect(code(() => layer.sendRequest(makeRequest('INVITE', { branch: 'z9hG4bKdup' }), target()))).toBe('duplicate_transaction');
    expect(layer.size()).toBe(1);
  });
});

describe('robustness and lifecycle', () => {
  it('a throwing listener does not break the state machine', () => {
    const { layer, rec } = setup({ frTimer: 0 });
    const inv = makeRequest('INVITE', { branch: 'z9hG4bKthrow' });
    const tx = layer.sendRequest(inv, target());
    tx.on('final', () => {
      throw new Error('proxy bug');
    });
    layer.receiveResponse(makeResponse(inv, 486, 'Busy', 't'), target());
    expect(tx.state.name).toBe('completed');
    expect(rec.labels()).toEqual(['INVITE', 'ACK']);
  });

  it('no leak: a mixed UDP/TCP workload drains to size() 0 and no pending timer once every timer fired', () => {
    const { layer, clock } = setup();
    for (let i = 0; i < 20; i++) {
      const proto = i % 2 === 0 ? 'udp' : 'tcp';
      const transport = proto === 'udp' ? 'UDP' : 'TCP';
      // server side: INVITE answered 486 (some ACKed), 200; OPTIONS answered; one never answered
      const inv = makeRequest('INVITE', { branch: `z9hG4bKs${i}`, transport });
      const d = layer.receiveRequest(inv, source(proto));
      if (d.kind !== 'new') throw new Error('expected new');
      if (i % 3 === 0) d.tx.respond(createResponse(inv, 200, 'OK', { toTag: 't' }));
      else if (i % 3 === 1) {
        d.tx.respond(createResponse(inv, 486, 'Busy', { toTag: 't' }));
        if (i % 4 === 1) layer.receiveRequest(makeRequest('ACK', { branch: `z9hG4bKs${i}`, transport, toTag: 't' }), source(proto));
      }
      const opt = makeRequest('OPTIONS', { branch: `z9hG4bKo${i}`, transport });
      const od = layer.receiveRequest(opt, source(proto));
      if (od.kind === 'new' && i % 2 === 0) od.tx.respond(createResponse(opt, 200, 'OK', { toTag: 't' }));
      // client side: INVITEs answered, provisional-then-cancelled, silent; non-INVITE answered / silent
      const out = makeRequest('INVITE', { branch: `z9hG4bKc${i}`, transport });
      const ctx = layer.sendRequest(out, target(proto));
      if (i % 4 === 0) layer.receiveResponse(makeResponse(out, 200, 'OK', 't'), target(proto));
      else if (i % 4 === 1) layer.receiveResponse(makeResponse(out, 480, 'Unavailable', 't'), target(proto));
      else if (i % 4 === 2 && ctx.kind === 'invite-client') {
        layer.receiveResponse(makeResponse(out, 180, 'Ringing', 't'), target(proto));
        layer.cancelBranch(ctx);
      }
      const bye = makeRequest('BYE', { branch: `z9hG4bKb${i}`, transport });
      layer.sendRequest(bye, target(proto));
      if (i % 2 === 0) layer.receiveResponse(makeResponse(bye, 200, 'OK', 't'), target(proto));
    }
    expect(layer.size()).toBeGreaterThan(60);
    clock.runAll();
    expect(layer.size()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('registers sbc_tm_* metrics on the given registry; the active gauge reads size()', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock);
    const registry = new Registry();
    const layer = new TransactionLayer({ send: rec.send, clock, registry, config: { frTimer: 0 } });
    layer.receiveRequest(makeRequest('OPTIONS'), source());
    const inv = makeRequest('INVITE', { branch: 'z9hG4bKm' });
    layer.sendRequest(inv, target());
    clock.advance(32000); // Timer B
    const active = await registry.getSingleMetric(TM_METRIC_NAMES.active)!.get();
    expect(active.values.map((v) => [v.labels.side, v.value])).toEqual([
      ['server', 1],
      ['client', 0],
    ]);
    const text = await registry.metrics();
    expect(text).toMatch(/sbc_tm_timeouts_total\{timer="B"\} 1/);
    expect(text).toMatch(/sbc_tm_retransmissions_total\{kind="request"\} 6/);
  });

  it('close() ends everything with reason shutdown and refuses new work', () => {
    const { layer, clock } = setup();
    const reasons: string[] = [];
    const d = layer.receiveRequest(makeRequest('INVITE'), source());
    if (d.kind === 'new') d.tx.on('terminated', (e) => reasons.push(e.reason));
    layer.sendRequest(makeRequest('OPTIONS', { branch: 'z9hG4bKclose' }), target()).on('terminated', (e) => reasons.push(e.reason));
    layer.close();
    expect(reasons).toEqual(['shutdown', 'shutdown']);
    expect(layer.size()).toBe(0);
    expect(clock.pending()).toBe(0);
    expect(layer.receiveRequest(makeRequest('INVITE'), source()).kind).toBe('invalid');
    expect(() => layer.sendRequest(makeRequest('OPTIONS', { branch: 'z9hG4bKx' }), target())).toThrow(TransactionError);
  });
});

describe('live server transaction limits', () => {
  it('refuses new requests over the node and the per-source limits; retransmissions and CANCELs pass; finished ones free their slot', () => {
    const clock = new FakeClock();
    const rec = recorder(clock);
    const layer = new TransactionLayer({ send: rec.send, clock, config: { waitTimer: 0 }, limits: { maxServer: 3, maxServerPerSource: 2 } });
    const a = { ...source(), host: '192.0.2.1' };
    const b = { ...source(), host: '192.0.2.2' };
    const r1 = makeRequest('INVITE', { branch: 'z9hG4bK-l1' });
    const first = layer.receiveRequest(r1, a);
    expect(first.kind).toBe('new');
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-l2' }), a).kind).toBe('new');
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-l3' }), a)).toEqual({ kind: 'overloaded', scope: 'source' });
    expect(layer.receiveRequest(makeRequest('INVITE', { branch: 'z9hG4bK-l1' }), a).kind).toBe('retransmission');
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-l4' }), b).kind).toBe('new');
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-l5' }), b)).toEqual({ kind: 'overloaded', scope: 'node' });
    expect(layer.receiveRequest(makeRequest('CANCEL', { branch: 'z9hG4bK-l1' }), a).kind).toBe('cancel');
    // the INVITE is answered and its transaction ends: its slot (node and source) is free again
    (first as { tx: ServerTransaction }).tx.respond(createResponse(r1, 487, 'Request Terminated', { toTag: 't' }));
    layer.receiveRequest(makeRequest('ACK', { branch: 'z9hG4bK-l1', toTag: 't' }), a);
    clock.advance(60_000);
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-l6' }), a).kind).toBe('new');
  });

  it('lets a BYE use a reserve above the node-wide limit (a tenth of it, at least 10), still within the per-source limit', () => {
    const clock = new FakeClock();
    const rec = recorder(clock);
    const layer = new TransactionLayer({ send: rec.send, clock, config: { waitTimer: 5000 }, limits: { maxServer: 3, maxServerPerSource: 100 } });
    const from = (i: number) => ({ ...source(), host: `192.0.2.${i}` });
    for (let i = 0; i < 3; i++) expect(layer.receiveRequest(makeRequest('INVITE', { branch: `z9hG4bK-r${i}` }), from(i)).kind).toBe('new');
    expect(layer.receiveRequest(makeRequest('INVITE', { branch: 'z9hG4bK-r3' }), from(3))).toEqual({ kind: 'overloaded', scope: 'node' });
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-r4' }), from(4))).toEqual({ kind: 'overloaded', scope: 'node' });
    // ten BYEs fit in the reserve, the eleventh does not
    for (let i = 0; i < 10; i++) expect(layer.receiveRequest(makeRequest('BYE', { branch: `z9hG4bK-b${i}`, toTag: 't' }), from(10 + i)).kind).toBe('new');
    expect(layer.receiveRequest(makeRequest('BYE', { branch: 'z9hG4bK-b10', toTag: 't' }), from(30))).toEqual({ kind: 'overloaded', scope: 'node' });
    // the per-source limit still binds a BYE
    const strict = new TransactionLayer({ send: rec.send, clock, config: { waitTimer: 5000 }, limits: { maxServer: 3, maxServerPerSource: 1 } });
    const a = from(1);
    expect(strict.receiveRequest(makeRequest('INVITE', { branch: 'z9hG4bK-s1' }), a).kind).toBe('new');
    expect(strict.receiveRequest(makeRequest('BYE', { branch: 'z9hG4bK-s2', toTag: 't' }), a)).toEqual({ kind: 'overloaded', scope: 'source' });
  });

  it('counts only unanswered transactions per source: an answered one lingers for retransmissions but frees its source slot (the node-wide limit still counts it)', () => {
    const clock = new FakeClock();
    const rec = recorder(clock);
    const layer = new TransactionLayer({ send: rec.send, clock, config: { waitTimer: 5000 }, limits: { maxServer: 4, maxServerPerSource: 1 } });
    const a = { ...source(), host: '192.0.2.1' };
    const r1 = makeRequest('OPTIONS', { branch: 'z9hG4bK-u1' });
    const first = layer.receiveRequest(r1, a) as { kind: string; tx: ServerTransaction };
    expect(first.kind).toBe('new');
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-u2' }), a)).toEqual({ kind: 'overloaded', scope: 'source' });
    first.tx.respond(createResponse(r1, 200, 'OK', { toTag: 't' }));
    // still alive (Timer J over UDP) and still answering retransmissions, but no longer the source's share
    expect(layer.counts().server).toBe(1);
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-u1' }), a).kind).toBe('retransmission');
    const second = layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-u3' }), a);
    expect(second.kind).toBe('new');
    // its end (Timer J, wait_timer here) does not free a second slot
    clock.advance(10_000);
    expect(layer.counts().server).toBe(1);
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-u4' }), a)).toEqual({ kind: 'overloaded', scope: 'source' });
  });

  it('at the node limit ends the oldest lingering server transaction (reason reclaimed) instead of refusing; refuses only when none lingers', async () => {
    const clock = new FakeClock();
    const rec = recorder(clock);
    const registry = new Registry();
    const layer = new TransactionLayer({ send: rec.send, clock, registry, config: { waitTimer: 5000 }, limits: { maxServer: 3, maxServerPerSource: 100 } });
    const reasons: string[] = [];
    const start = (branch: string) => {
      const req = makeRequest('OPTIONS', { branch });
      const d = layer.receiveRequest(req, source());
      if (d.kind === 'new') d.tx.on('terminated', (e) => reasons.push(`${branch} ${e.reason}`));
      return { req, d };
    };
    const answer = (c: { req: SipMessage; d: RequestDisposition }) => {
      if (c.d.kind !== 'new') throw new Error(`not a new transaction: ${c.d.kind}`);
      c.d.tx.respond(createResponse(c.req, 200, 'OK', { toTag: 't' }));
    };
    const [a, b, c] = [start('z9hG4bK-g1'), start('z9hG4bK-g2'), start('z9hG4bK-g3')];
    answer(b);
    answer(a);
    // full: the first to linger (b) makes room, not the first created
    expect(start('z9hG4bK-g4').d.kind).toBe('new');
    expect(reasons).toEqual(['z9hG4bK-g2 reclaimed']);
    expect(layer.counts().server).toBe(3);
    expect(start('z9hG4bK-g5').d.kind).toBe('new');
    expect(reasons).toEqual(['z9hG4bK-g2 reclaimed', 'z9hG4bK-g1 reclaimed']);
    // c, g4 and g5 are still at work: nothing lingers, the next is refused
    expect(start('z9hG4bK-g6').d).toEqual({ kind: 'overloaded', scope: 'node' });
    answer(c);
    expect(start('z9hG4bK-g7').d.kind).toBe('new');
    expect(await registry.getSingleMetricAsString(TM_METRIC_NAMES.reclaimed)).toContain('sbc_tm_reclaimed_total{side="server"} 3');
    // one that ended on its own timer leaves the queue: nothing stale is reclaimed later
    clock.advance(10_000);
    expect(reasons.filter((r) => r.endsWith('normal'))).toEqual([]);
  });

  it('holds client transactions to the server limit plus the BYE reserve by reclaiming the oldest lingering one; never refuses a send', () => {
    const clock = new FakeClock();
    const rec = recorder(clock);
    const layer = new TransactionLayer({ send: rec.send, clock, config: { waitTimer: 5000 }, limits: { maxServer: 1, maxServerPerSource: 100 } });
    // limit 1 + reserve 10 = 11 client transactions
    const reasons: string[] = [];
    const send = (i: number) => {
      const req = makeRequest('OPTIONS', { branch: `z9hG4bK-c${i}` });
      const tx = layer.sendRequest(req, target());
      tx.on('terminated', (e) => reasons.push(`${i} ${e.reason}`));
      return { req, tx };
    };
    const first = Array.from({ length: 11 }, (_, i) => send(i));
    for (const { req, tx } of first.slice(0, 3)) tx.receiveResponse(makeResponse(req, 200, 'OK', 't'));
    send(11);
    expect(reasons).toEqual(['0 reclaimed']);
    expect(layer.counts().client).toBe(11);
    // the unanswered ones are never reclaimed: past the lingering ones the layer simply grows
    send(12);
    send(13);
    send(14);
    expect(reasons).toEqual(['0 reclaimed', '1 reclaimed', '2 reclaimed']);
    expect(layer.counts().client).toBe(12);
  });

  it('keeps counting an INVITE refused with a non-2xx until its source ACKs it (a flooder never does)', () => {
    const clock = new FakeClock();
    const rec = recorder(clock);
    const layer = new TransactionLayer({ send: rec.send, clock, config: { waitTimer: 5000 }, limits: { maxServer: 10, maxServerPerSource: 1 } });
    const a = { ...source(), host: '192.0.2.9' };
    const inv = makeRequest('INVITE', { branch: 'z9hG4bK-v1' });
    const first = layer.receiveRequest(inv, a) as { kind: string; tx: ServerTransaction };
    first.tx.respond(createResponse(inv, 486, 'Busy Here', { toTag: 'b' }));
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-v2' }), a)).toEqual({ kind: 'overloaded', scope: 'source' });
    expect(layer.receiveRequest(makeRequest('ACK', { branch: 'z9hG4bK-v1', toTag: 'b' }), a).kind).toBe('ack-absorbed');
    expect(layer.receiveRequest(makeRequest('OPTIONS', { branch: 'z9hG4bK-v3' }), a).kind).toBe('new');
  });
});
