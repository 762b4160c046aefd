// In-process benchmark of the proxy hot path: whole calls (INVITE/100/180/200/
// ACK/BYE/200) pushed through SipProxy with a fake transport, so the figure is
// the node's own JavaScript per call, without sockets, kernel or sipp.
// Calls are paced (default 1000 calls/s, so transaction timers fire and the
// set of live transactions stays steady, as in a node in service) and the
// wait timer and T4 are 1 s: at 1000 calls/s that keeps about as many finished
// transactions alive as a node at 200 calls/s with the default 5 s.
// `npm run bench:proxy -- [--rate N] [--seconds N] [--listen none|noop|acc] [--rr-sign] [--hiding none|topoh] [--real-timers]`
// prints CPU µs per call (process user+sys over the run), median of 5 runs.
// --listen: none = nobody listens to the call events (the relay builds none);
// noop = one listener that does nothing (what the relay's events cost);
// acc = accounting on (its step and listener, batches serialised as for the
// queue, no Redis): noop and acc apart say what the seam and accounting cost.
// --rr-sign: rr_sign.mode enforce (the INVITE's Record-Route signed, the ACK's
// and BYE's Route checked); the driver signs each call's Route itself (one
// more HMAC per call in the figure, see docs/rr-sign.md).
// --real-timers: the default T4 and wait timer (finished transactions linger
// 5 / 32 s as in a node in service: what a call leaves in memory shows).
// --hiding topoh: topology hiding as bench/compare.ts runs it (mask_callid, SDP
// kept); the fake peers then answer with the Via and Call-ID the node sent them
// and route in-dialog requests to the (sealed) Contact it showed them.
import { AccEmitter, accStartStep, callEventToAcc, countingEmit, hopDuid } from '#libs/acc';
import { CallEvents, OwnAddresses } from '#libs/proxy';
import { RouteSigner, rrCheckStep, rrSignStep } from '#libs/rrsign';
import { createTopohCodec } from '#libs/topoh';
import { createTopohHiding } from '#libs/topology';
import type { ListenSocketInfo, RemoteInfo } from '#libs/transport';
import { GATEWAY, recordLastSent, topohCall, wholeCall } from '../test/harness/in-process-calls.ts';
import { startInProcessProxy } from '../test/harness/in-process-proxy.ts';

const NODE = { host: '127.0.0.1', port: 5060 };
const sock: ListenSocketInfo = { id: 'udp:127.0.0.1:5060', proto: 'udp', family: 'IPv4', host: NODE.host, port: NODE.port, advertisedHost: NODE.host, advertisedPort: NODE.port };
const gw = GATEWAY;

type Listen = 'none' | 'noop' | 'acc';

/** The call event listeners of a --listen mode (and accounting's final step). */
function listeners(listen: Listen): { events?: CallEvents; finalSteps?: ReturnType<typeof accStartStep>[] } {
  if (listen === 'none') return {};
  const events = new CallEvents();
  if (listen === 'noop') {
    events.on(() => undefined);
    return { events };
  }
  // what the queue sink does with a batch, minus the Redis round trip: serialise it
  const emitter = new AccEmitter({ node: 'bench', sink: { send: (b) => { JSON.stringify(b); } }, flushMs: 200, maxBatch: 500 });
  const emit = countingEmit((e) => emitter.emit(e));
  events.on((ev) => callEventToAcc(ev, emit, (h) => hopDuid(h), () => undefined));
  return { events, finalSteps: [accStartStep(emit, () => undefined)] };
}

const signer = new RouteSigner('bench-rr-sign-secret-0123456789');
/** the Route of a call under rr_sign enforce: the driver signs it as the node would have */
const signedRoute = (callId: string, fromTag: string) => `<sip:127.0.0.1:5060;lr;ftag=${fromTag};rrs=${signer.sign(callId, fromTag)}>`;

/** rr_sign.mode enforce: the check before the transaction, the signature after routing */
function rrSign(finalSteps: ReturnType<typeof listeners>['finalSteps']) {
  const check = rrCheckStep({ signer, own: new OwnAddresses([sock], []), enforce: true, trusted: () => false, count: () => undefined });
  return { screeningSteps: [check], finalSteps: [rrSignStep(signer), ...(finalSteps ?? [])] };
}

type Hiding = 'none' | 'topoh';

function setup(listen: Listen, signed: boolean, hiding: Hiding, realTimers: boolean) {
  let sent = 0;
  const l = listeners(listen);
  /** the last message the node sent to the gateway and to the caller (latin1), for the topoh peers */
  const last = { gw: '', caller: '' };
  const topology = hiding === 'topoh'
    ? createTopohHiding({ codec: createTopohCodec({ maskKey: 'bench-mask-key-0123456789abcdef', maskIp: '10.1.1.10', maskCallId: true }), sdp: 'keep' })
    : undefined;
  const record = recordLastSent(last);
  const onSend = hiding === 'none'
    ? () => { sent++; }
    : (to: { port: number }, data: Buffer) => {
      sent++;
      record(to, data);
    };
  // T4 and the wait timer at 1 s: see the header
  const node = startInProcessProxy({ sock, gateway: gw, logLevel: 'warn', tm: realTimers ? {} : { t4: 1000, waitTimer: 1000 }, onSend, topology, ...l, ...(signed ? rrSign(l.finalSteps) : {}) });
  const deliver = (text: string, remote: RemoteInfo) => node.deliver(Buffer.from(text, 'latin1'), remote);
  return { deliver, tm: node.tm, sentCount: () => sent, last };
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(v > 0)) throw new Error(`--${name} must be a positive number`);
  return v;
}

/** Pushes calls at `rate` per second for `seconds` (bounded), yielding every 5 ms so timers run. */
async function paced(one: (i: number) => void, first: number, rate: number, seconds: number): Promise<number> {
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let n = 0;
  while (n < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
    while (n < due) one(first + n++);
    await new Promise((r) => setTimeout(r, 5));
  }
  return n;
}

async function main(): Promise<void> {
  const rate = option('rate', 1000);
  const seconds = Math.min(option('seconds', 5), 20);
  const li = process.argv.indexOf('--listen');
  const listen = (li >= 0 ? process.argv[li + 1] : 'none') as Listen;
  if (!['none', 'noop', 'acc'].includes(listen)) throw new Error('--listen takes none, noop or acc');
  const signed = process.argv.includes('--rr-sign');
  const hi = process.argv.indexOf('--hiding');
  const hiding = (hi >= 0 ? process.argv[hi + 1] : 'none') as Hiding;
  if (!['none', 'topoh'].includes(hiding)) throw new Error('--hiding takes none or topoh');
  if (hiding === 'topoh' && signed) throw new Error('--hiding topoh and --rr-sign: one at a time');
  const s = setup(listen, signed, hiding, process.argv.includes('--real-timers'));
  const one = hiding === 'none' ? (i: number) => wholeCall(s.deliver, i, signed ? signedRoute : undefined) : (i: number) => topohCall(s.deliver, i, s.last);
  let n = 0;
  n += await paced(one, n, rate, 3); // warm-up: JIT and a steady set of live transactions
  const results: number[] = [];
  for (let run = 0; run < 5; run++) {
    const sent0 = s.sentCount();
    const t0 = process.cpuUsage();
    const calls = await paced(one, n, rate, seconds);
    n += calls;
    const u = process.cpuUsage(t0);
    const perCall = (u.user + u.system) / calls;
    results.push(perCall);
    const sentPerCall = (s.sentCount() - sent0) / calls;
    console.log(`run ${run + 1}: ${perCall.toFixed(1)} µs CPU per call, ${sentPerCall.toFixed(1)} messages sent per call, ${s.tm.size()} transactions alive`);
  }
  results.sort((a, b) => a - b);
  console.log(`proxy hot path (call events: ${listen}${signed ? ', rr_sign enforce' : ''}, hiding: ${hiding}): median ${results[2].toFixed(1)} µs CPU per call (INVITE/100/180/200/ACK/BYE/200, in process, no sockets), ${rate} calls/s x ${seconds} s x 5 runs`);
  process.exit(0);
}

void main();
