// Issue 20 "done when": a flood of 50,000 never-answered INVITEs from 20
// sources and 200,000 OPTIONS/REGISTER datagrams from 5,000 sources (distinct
// 127.x.y.z loopback addresses) relayed toward a gateway that never answers
// them. With the default limits the node's RSS stays under the bound
// docs/limits.md gives, a legitimate call completes during and after the
// flood, and once the flood's transactions have ended the JS heap is back near
// its idle size.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createResponse, parseMessage, type SipMessage } from '#libs/sip';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { RawSipPeer } from './sip-client.ts';

/** docs/limits.md: the bound on a node's RSS under flood with the default limits (the Helm chart's 576Mi limit less 64 MiB headroom) */
const RSS_BOUND_MB = 512;

let node: SbcNodeHandle;
let gateway: Socket;

/** a gateway that answers only the legitimate calls (user "legit") and ignores the flood */
async function startGateway(): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('message', (data, rinfo) => {
    const r = parseMessage(data);
    if (!r.ok || !r.msg.isRequest || r.msg.method === 'ACK') return;
    if (r.msg.requestUri()?.user !== 'legit' && r.msg.method !== 'BYE') return;
    const rr: [string, string][] = r.msg.headerValues('record-route').map((v) => ['Record-Route', v]);
    rr.push(['Contact', `<sip:legit@127.0.0.1:${s.address().port}>`]);
    s.send(createResponse(r.msg, 200, 'OK', { toTag: 'gw', headers: rr }).serialize(), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

async function metrics(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text();
  const get = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
  const space = (sp: string) => Number(new RegExp(`^sbc_nodejs_heap_space_size_used_bytes\\{[^}]*space="${sp}"[^}]*\\} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rssMb: get('sbc_process_resident_memory_bytes') / 1048576,
    heapMb: get('sbc_nodejs_heap_size_used_bytes') / 1048576,
    // what survives collections: the young generation (up to --max-semi-space-size) is churn, not retention
    oldMb: (space('old') + space('large_object')) / 1048576,
    tx: get('sbc_tm_transactions_active'),
  };
}

let peakRss = 0;
let peakTx = 0;
const t0 = Date.now();
const progress = (what: string) => { if (process.env.FLOOD_PROGRESS) metrics().then((m) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}: tx ${m.tx} rss ${m.rssMb.toFixed(0)} heap ${m.heapMb.toFixed(0)}`)); };
let sampler: NodeJS.Timeout | undefined;

beforeAll(async () => {
  gateway = await startGateway();
  node = await startSbcNode({ gateways: [{ host: '127.0.0.1', port: gateway.address().port }], config: { log: { level: 'warn' } } });
  sampler = setInterval(() => { metrics().then((m) => { if (m.rssMb > peakRss) peakRss = m.rssMb; if (m.tx > peakTx) peakTx = m.tx; }, () => {}); }, 250);
}, 60_000);

afterAll(async () => {
  clearInterval(sampler);
  await node?.stop();
  gateway?.close();
});

/**
 * Sends an INVITE as a UA does over UDP: retransmitted on Timer A (500 ms,
 * doubling) until any response arrives, then waits for the final one (5 s in
 * all). The flood overflows the node's receive buffer (the kernel drops what
 * the node cannot read in time, counted in /proc/net/snmp RcvbufErrors), so a
 * single datagram may be lost like any of the flood's.
 */
async function sendInvite(peer: RawSipPeer, invite: Buffer): Promise<SipMessage | undefined> {
  const until = Date.now() + 5000;
  const isInviteResponse = (m: SipMessage) => m.cseq()?.method === 'INVITE';
  for (let timerA = 500; Date.now() < until; timerA *= 2) {
    await peer.send(invite);
    const any = await peer.waitForResponse(isInviteResponse, Math.min(timerA, until - Date.now()));
    if (any !== undefined) break;
  }
  return peer.waitForResponse((m) => isInviteResponse(m) && m.status >= 200, Math.max(0, until - Date.now()));
}

let callNo = 0;
/** one legitimate call (INVITE, 200, ACK, BYE, 200) from its own address; a 503 (Retry-After) is retried as a UA would */
async function legitCall(deadlineMs: number): Promise<number | undefined> {
  const peer = await RawSipPeer.open('udp', node.host, node.port, '127.3.0.1');
  const n = ++callNo;
  const callId = `legit-${n}-${Date.now()}`;
  let target = 'sip:legit@example.com';
  const head = (method: string, cseq: number, branch: string, toTag = '') => [
    `${method} ${target} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.3.0.1:${peer.localPort};branch=z9hG4bK-${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:caller@127.3.0.1>;tag=c${n}`,
    `To: <sip:legit@example.com>${toTag}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  try {
    const until = Date.now() + deadlineMs;
    for (let attempt = 0; Date.now() < until; attempt++) {
      peer.inbox.length = 0;
      const final = await sendInvite(peer, Buffer.from(head('INVITE', 1, `${callId}-${attempt}`)));
      progress(`legit call attempt ${attempt}: ${final?.status}`);
      if (final?.status === 503) { await new Promise((r) => setTimeout(r, 1000)); continue; }
      if (final?.status !== 200) { await new Promise((r) => setTimeout(r, 500)); continue; }
      const rr = final.headerValues('record-route').reverse();
      const route = rr.length > 0 ? `Route: ${rr.join(', ')}\r\n` : '';
      const toTag = `;tag=${final.toTag()}`;
      target = final.contacts()[0]?.uriText ?? target; // in-dialog requests go to the remote target
      await peer.send(Buffer.from(head('ACK', 1, `${callId}-ack`, toTag).replace('Max-Forwards', `${route}Max-Forwards`)));
      // the BYE is retransmitted until answered (RFC 3261 Timer E), as a UA does: under the flood a datagram may be lost;
      // and while the datagram flood holds tm.max_transactions the BYE too gets 503 + Retry-After: sent again (new branch) after a second
      const byeUntil = Date.now() + deadlineMs;
      for (let byeAttempt = 0; Date.now() < byeUntil; byeAttempt++) {
        const bye = Buffer.from(head('BYE', 2 + byeAttempt, `${callId}-bye-${byeAttempt}`, toTag).replace('Max-Forwards', `${route}Max-Forwards`));
        let res: Awaited<ReturnType<typeof peer.waitForResponse>>;
        for (const retransmitUntil = Math.min(byeUntil, Date.now() + 32_000); res === undefined && Date.now() < retransmitUntil;) {
          await peer.send(bye);
          res = await peer.waitForResponse((m) => m.cseq()?.method === 'BYE' && m.cseq()?.seq === 2 + byeAttempt && m.status >= 200, 1000);
        }
        if (res?.status !== 503) return res?.status;
        progress(`legit BYE attempt ${byeAttempt}: 503`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      return undefined;
    }
    return undefined;
  } finally {
    peer.close();
  }
}

/** `count` datagrams from each of `sources` addresses, a few sockets open at a time */
async function flood(sources: string[], count: number, build: (src: string, port: number, i: number) => Buffer): Promise<void> {
  const BATCH = 250;
  for (let b = 0; b < sources.length; b += BATCH) {
    const socks = await Promise.all(sources.slice(b, b + BATCH).map((addr) => new Promise<Socket>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', (err) => { throw err; }); // a source that cannot bind is a bug in the test
      s.bind(0, addr, () => { s.removeAllListeners('error'); s.on('error', () => {}); resolve(s); });
    })));
    for (let i = 0; i < count; i++) {
      for (const s of socks) {
        const a = s.address();
        s.send(build(a.address, a.port, i), node.port, node.host);
      }
      // pace to roughly what the node can take; the rest of the flood is dropped by the kernel, as a real one would be
      await new Promise((r) => setTimeout(r, 2 + socks.length / 50));
    }
    await new Promise((r) => setTimeout(r, 20));
    for (const s of socks) s.close();
  }
}

const address = (base: number, i: number) => `127.${base}.${Math.floor(i / 250)}.${(i % 250) + 1}`;

it('survives both floods within the RSS bound, serves calls during and after, and returns to its idle heap', async () => {
  const idle = await metrics();
  expect(await legitCall(10_000)).toBe(200);

  // 50,000 INVITEs from 20 sources, never answered by the gateway
  const inviters = Array.from({ length: 20 }, (_, i) => address(2, i));
  const invites = flood(inviters, 2_500, (src, port, i) => Buffer.from(`INVITE sip:flood@example.com SIP/2.0\r\nVia: SIP/2.0/UDP ${src}:${port};branch=z9hG4bK-f${i};rport\r\nMax-Forwards: 70\r\nFrom: <sip:f@${src}>;tag=f${i}\r\nTo: <sip:flood@example.com>\r\nCall-ID: flood-${src}-${i}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`));
  await new Promise((r) => setTimeout(r, 2000));
  expect(await legitCall(30_000), 'a call during the INVITE flood').toBe(200);
  await invites;
  progress('invites sent');

  // 200,000 OPTIONS/REGISTER datagrams from 5,000 sources, relayed toward the gateway, never answered
  const many = Array.from({ length: 5_000 }, (_, i) => address(4, i));
  const datagrams = flood(many, 40, (src, port, i) => {
    const m = i % 2 === 0 ? 'OPTIONS' : 'REGISTER';
    return Buffer.from(`${m} sip:someone@example.com SIP/2.0\r\nVia: SIP/2.0/UDP ${src}:${port};branch=z9hG4bK-d${i};rport\r\nMax-Forwards: 70\r\nFrom: <sip:d@${src}>;tag=d${i}\r\nTo: <sip:someone@example.com>\r\nCall-ID: dg-${src}-${i}\r\nCSeq: 1 ${m}\r\nContact: <sip:d@${src}:${port}>\r\nContent-Length: 0\r\n\r\n`);
  });
  await new Promise((r) => setTimeout(r, 3000));
  // (while the datagram flood holds tm.max_transactions the call gets 503 + Retry-After and retries, as a UA does)
  expect(await legitCall(120_000), 'a call during the datagram flood (503 + Retry-After honoured)').toBe(200);
  await datagrams;
  progress('datagrams sent');

  const during = await metrics();
  expect(peakRss, `peak RSS ${peakRss.toFixed(0)} MB`).toBeLessThan(RSS_BOUND_MB);
  expect(during.tx).toBeLessThanOrEqual(10_000 + 100);

  // the flood's transactions time out (fr_timer, then the ACK wait); then the heap is back near idle
  for (let waited = 0; (await metrics()).tx > 5 && waited < 150_000; waited += 1000) await new Promise((r) => setTimeout(r, 1000));
  expect((await metrics()).tx).toBeLessThanOrEqual(5);
  expect(await legitCall(10_000), 'a call after the flood').toBe(200);
  await new Promise((r) => setTimeout(r, 12_000)); // the node's post-load collection (docs/limits.md)
  const after = await metrics();
  console.log(`flood: idle heap ${idle.heapMb.toFixed(0)} MB (old ${idle.oldMb.toFixed(0)}), RSS ${idle.rssMb.toFixed(0)} MB; peak RSS ${peakRss.toFixed(0)} MB, ${peakTx} live transactions; after: heap ${after.heapMb.toFixed(0)} MB (old ${after.oldMb.toFixed(0)}), RSS ${after.rssMb.toFixed(0)} MB`);
  expect(after.oldMb, `old generation after ${after.oldMb.toFixed(0)} MB vs idle ${idle.oldMb.toFixed(0)} MB`).toBeLessThan(idle.oldMb + 20);
}, 420_000);
