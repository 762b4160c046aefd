// Memory per call in flight, measured in process: N INVITEs relayed through
// SipProxy (the in-process harness: the node's whole pipeline and transaction
// layer, a fake transport) to a gateway that never answers, so each leaves
// what a call in flight holds: a server and a client transaction, the relay
// and its state, the 100 Trying. All N arrive in one synchronous run (no
// timer fires), then a full collection; the figure is the growth of the JS
// heap plus the ArrayBuffers (datagrams, bytes kept) divided by N: the same
// on every run, unlike RSS. Needs node --expose-gc. Used by
// bench/tx-memory.ts and test/robustness/tx-memory.test.ts.
import type { ListenSocketInfo } from '#libs/transport';
import { createTopohCodec } from '#libs/topoh';
import { createMemoryData, createMemoryState } from '#libs/state';
import { createTopohHiding, createToposHiding, TOPOLOGY_REJECTIONS } from '#libs/topology';
import { GATEWAY, hiddenCallSteps, recordLastSent, topohCall, wholeCall, type LastSent } from './in-process-calls.ts';
import { startInProcessProxy } from './in-process-proxy.ts';

const sock: ListenSocketInfo = { id: 'udp:127.0.0.1:5060', proto: 'udp', family: 'IPv4', host: '127.0.0.1', port: 5060, advertisedHost: '127.0.0.1', advertisedPort: 5060 };

const SDP = 'v=0\r\no=user1 53655765 2353687637 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

/** An INVITE as a trunk sends it (about 690 bytes with its SDP). */
export function inviteText(i: number, callerPort: number): string {
  return `INVITE sip:+4930${String(i).padStart(8, '0')}@127.0.0.1:5060 SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 10.0.0.1:${callerPort};branch=z9hG4bK-m${i}-${callerPort};rport\r\n` +
    `From: "Caller ${i}" <sip:+4940${i}@10.0.0.1>;tag=${i}a7f3c2\r\n` +
    `To: <sip:+4930${String(i).padStart(8, '0')}@127.0.0.1>\r\n` +
    `Call-ID: ${i}-5f2b9c1d8e@10.0.0.1\r\nCSeq: 1 INVITE\r\n` +
    `Contact: <sip:+4940${i}@10.0.0.1:${callerPort}>\r\nMax-Forwards: 70\r\n` +
    'Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, PRACK\r\nSupported: timer, 100rel\r\nUser-Agent: trunk/1.0\r\n' +
    `Content-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;
}

/**
 * A datagram as the transport hands it over. node:dgram: its own
 * ArrayBuffer, exactly the message's size (batch 1). Batched UDP (recvmmsg):
 * a view into one buffer holding the whole batch; here the other datagrams
 * of the batch are messages already over (responses, ACKs), so whatever
 * keeps the view keeps the batch.
 */
function datagram(text: string, batch: number): Buffer {
  const b = Buffer.allocUnsafeSlow(text.length * batch);
  b.fill(0);
  const at = text.length * Math.floor(batch / 2);
  b.write(text, at, 'latin1');
  return b.subarray(at, at + text.length);
}

export interface TxMemoryResult {
  /** 'in-flight': unanswered INVITEs; 'ended': whole calls over, their transactions lingering */
  kind: 'in-flight' | 'ended';
  calls: number;
  /** datagrams per receive buffer */
  batch: number;
  /** live transactions (server + client) after the run */
  transactions: number;
  /** JS heap growth per call in flight (one server + one client transaction) */
  heapPerCall: number;
  /** ArrayBuffer growth per call in flight (datagram, kept bytes) */
  externalPerCall: number;
  /** 'ended': messages the node sent per measured call (7 when every call ran to the BYE's 200: the relayed INVITE, 180, 200, ACK, BYE, the BYE's 200 and our 100) */
  sentPerCall?: number;
}

function gcNow(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  // twice: the first may leave weak references and finalizers for the second
  gc();
  gc();
}

function used(): { heap: number; external: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.arrayBuffers };
}

/**
 * Runs N unanswered INVITEs through a fresh in-process node and reports the
 * growth per call. `batch`: datagrams per receive buffer (1 = node:dgram; the
 * batched transport reads up to 64 at once).
 */
export function measureTxMemory(calls: number, batch = 1, snapshot?: (label: 'before' | 'after') => void): TxMemoryResult {
  const node = startInProcessProxy({ sock, gateway: { address: '127.0.0.1', port: 5080 }, onSend: () => undefined });
  // warm-up: code, caches and pools the first calls allocate are not per call
  const warm = 200;
  for (let i = 0; i < warm; i++) node.deliver(datagram(inviteText(i, 5070), batch), { proto: 'udp', address: '10.0.0.1', port: 5070, family: 'IPv4' });
  gcNow();
  snapshot?.('before');
  const before = used();
  // one source address (the harness sets no per-source limit), many ports
  for (let i = warm; i < warm + calls; i++) {
    const port = 10000 + (i % 50000);
    node.deliver(datagram(inviteText(i, port), batch), { proto: 'udp', address: '10.0.0.1', port, family: 'IPv4' });
  }
  gcNow();
  const after = used();
  snapshot?.('after');
  const transactions = node.tm.size();
  node.close();
  return { kind: 'in-flight', calls, batch, transactions, heapPerCall: (after.heap - before.heap) / calls, externalPerCall: (after.external - before.external) / calls };
}

/**
 * What an ended call leaves behind until its transactions stop lingering:
 * N whole calls (INVITE to BYE's 200) through a fresh in-process node, before
 * any timer can fire, so none of the four transactions per call (INVITE and
 * BYE, server and client) has reached its wait timer / T4 yet. In a node at
 * 200 calls/s a thousand calls linger like this at any moment, and every
 * young-generation collection copies them (docs/benchmarks.md, session 11).
 * Datagrams as node:dgram hands them over (batch 1). hiding: topology hiding
 * as bench/compare.ts runs it (the peers answer what the node sent; topos
 * with the in-memory dialog store, a pause of one turn after each message
 * for the store's answers).
 */
export async function measureEndedCallMemory(calls: number, hiding: 'none' | 'topoh' | 'topos' = 'none', snapshot?: (label: 'before' | 'after') => void): Promise<TxMemoryResult> {
  const last: LastSent = { gw: '', caller: '' };
  const state = hiding === 'topos' ? createMemoryState({ data: createMemoryData() }) : undefined;
  const topology = hiding === 'topoh'
    ? createTopohHiding({ codec: createTopohCodec({ maskKey: 'tx-memory-mask-key-0123456789abcdef', maskIp: '10.1.1.10', maskCallId: true }), sdp: 'keep' })
    : state !== undefined
      ? createToposHiding({ dialogs: state.dialogs, maskCallId: true, sdp: 'keep', branchExpireMs: 180_000, dialogExpireMs: 3_600_000 })
      : undefined;
  let sent = 0;
  const record = recordLastSent(last);
  const onSend = (to: { port: number }, data: Buffer) => {
    sent++;
    if (topology !== undefined) record(to, data);
  };
  const node = startInProcessProxy({ sock, gateway: { address: GATEWAY.address, port: GATEWAY.port }, onSend, topology, rejections: [TOPOLOGY_REJECTIONS] });
  const deliver = (text: string, from: Parameters<typeof node.deliver>[1]) => node.deliver(Buffer.from(text, 'latin1'), from);
  const call = async (i: number): Promise<void> => {
    if (topology === undefined) return wholeCall(deliver, i);
    if (state === undefined) return topohCall(deliver, i, last);
    for (const step of hiddenCallSteps(deliver, i, last)) {
      step();
      await new Promise((r) => setImmediate(r));
    }
  };
  const warm = 200;
  for (let i = 0; i < warm; i++) await call(i);
  last.gw = last.caller = '';
  gcNow();
  snapshot?.('before');
  const before = used();
  const sent0 = sent;
  for (let i = warm; i < warm + calls; i++) await call(i);
  const sentPerCall = (sent - sent0) / calls;
  last.gw = last.caller = '';
  gcNow();
  const after = used();
  snapshot?.('after');
  const transactions = node.tm.size();
  node.close();
  await state?.close();
  return { kind: 'ended', calls, batch: 1, transactions, heapPerCall: (after.heap - before.heap) / calls, externalPerCall: (after.external - before.external) / calls, sentPerCall };
}
