// npx tsx bench/dgram-floor.ts — what one UDP datagram costs in Node here:
// a relay process (bench/dgram/relay.mjs) receives datagrams and sends each
// on, with no other work; we read its CPU time (process.cpuUsage) per
// datagram moved (one receive + one send), at fixed rates and at the highest
// rate it carries with < 0.5% loss. Implementations alternate run by run
// (the machine is shared); the summary prints medians.
//
//   npx tsx bench/dgram-floor.ts [--impl dgram,batched,layer-dgram,layer-batched] [--rates 2400,10000,40000]
//                                [--seconds 4] [--size 600] [--rounds 3] [--max] [--turns]
//
// --turns also counts datagrams per event-loop turn (what one recvmmsg
// could take at once); it adds a setImmediate per turn to the relay's CPU.
//
// dgram / batched: Node's dgram and the transport's addon (libs/transport/native,
// built by npm ci or `npm run build:native`) used bare; layer-dgram /
// layer-batched: libs/transport's TransportLayer with sip.udp.io = dgram /
// batched, i.e. what the node runs. 2400 datagrams/s = 200 calls/s x 12 datagrams.
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ADDON = join(here, '../libs/transport/native/build/Release/sbc_udp.node');
const IMPLS = ['dgram', 'batched', 'layer-dgram', 'layer-batched'];

interface Args { impls: string[]; rates: number[]; seconds: number; size: number; rounds: number; max: boolean; turns: boolean }

function parseArgs(argv: string[]): Args {
  const f = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--max' || argv[i] === '--turns') { f.set(argv[i].slice(2), '1'); continue; }
    f.set(argv[i].replace(/^--/, ''), argv[++i]);
  }
  const impls = (f.get('impl') ?? (existsSync(ADDON) ? IMPLS.join(',') : 'dgram,layer-dgram')).split(',');
  for (const i of impls) if (!IMPLS.includes(i)) throw new Error(`--impl: ${IMPLS.join(', ')}, not ${i}`);
  if (impls.some((i) => i.endsWith('batched')) && !existsSync(ADDON)) throw new Error('the batched relays need the addon: npm run build:native');
  return {
    impls,
    rates: (f.get('rates') ?? '2400,10000,40000').split(',').map(Number),
    seconds: Math.min(Number(f.get('seconds') ?? 4), 20),
    size: Number(f.get('size') ?? 600),
    rounds: Math.min(Number(f.get('rounds') ?? 3), 9),
    max: f.has('max'),
    turns: f.has('turns'),
  };
}

interface Relay { child: ChildProcess; port: number; ask(cmd: string): Promise<Record<string, number>> }

async function startRelay(impl: string, sinkPort: number, turns: boolean): Promise<Relay> {
  const child = fork(join(here, 'dgram/relay.mjs'), [impl, String(sinkPort), turns ? 'turns' : ''], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies: ((m: Record<string, number>) => void)[] = [];
  child.on('message', (m) => replies.shift()?.(m as Record<string, number>));
  const first = new Promise<Record<string, number>>((r) => replies.push(r));
  const port = (await first).port;
  return {
    child,
    port,
    ask: (cmd) => new Promise((r) => { replies.push(r); child.send({ cmd }); }),
  };
}

interface Sample { impl: string; rate: number; sent: number; got: number; relayDropped: number; cpuUsPerDgram: number; sysShare: number; perTurn: number; loss: number }

async function measure(impl: string, rate: number, a: Args): Promise<Sample> {
  const sink = createSocket('udp4');
  let got = 0;
  sink.on('message', () => { got++; });
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  // the sink shares its process with the generator: a big buffer keeps its own
  // pauses from counting as loss (net.core.rmem_max caps it)
  sink.setRecvBufferSize(4 << 20);
  const relay = await startRelay(impl, sink.address().port, a.turns);
  const gen = createSocket('udp4');
  await new Promise<void>((r) => gen.bind(0, '127.0.0.1', () => r()));
  const payload = Buffer.alloc(a.size, 'x');
  try {
    // a short warm-up so JIT and socket buffers settle
    await blast(gen, payload, relay.port, Math.min(rate, 5000), 500);
    await new Promise((r) => setTimeout(r, 200));
    await relay.ask('start');
    got = 0;
    const sent = await blast(gen, payload, relay.port, rate, a.seconds * 1000);
    await new Promise((r) => setTimeout(r, 300)); // let the tail arrive
    const r = await relay.ask('stop');
    return { impl, rate, sent, got, relayDropped: r.dropped, cpuUsPerDgram: r.cpuUs / Math.max(1, r.in), sysShare: r.sysUs / Math.max(1, r.cpuUs), perTurn: r.turns > 0 ? r.in / r.turns : NaN, loss: (sent - got) / sent };
  } finally {
    relay.child.kill();
    gen.close();
    sink.close();
  }
}

/** Sends `rate` datagrams per second for `ms`, paced every millisecond. */
function blast(sock: ReturnType<typeof createSocket>, payload: Buffer, port: number, rate: number, ms: number): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(Math.floor((elapsed / 1000) * rate), Math.floor((ms / 1000) * rate));
      while (sent < due) { sock.send(payload, port, '127.0.0.1'); sent++; }
      if (elapsed >= ms) { clearInterval(timer); resolve(sent); }
    }, 1);
  });
}

const median = (xs: number[]) => { const s = [...xs].sort((p, q) => p - q); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  console.log(`dgram floor: node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${a.size}-byte datagrams, ${a.seconds} s per sample, ${a.rounds} rounds alternating ${a.impls.join('/')}`);
  const samples: Sample[] = [];
  for (let round = 0; round < a.rounds; round++) {
    for (const rate of a.rates) {
      // alternate which implementation goes first
      const order = round % 2 === 0 ? a.impls : [...a.impls].reverse();
      for (const impl of order) {
        const s = await measure(impl, rate, a);
        samples.push(s);
        console.log(`  round ${round + 1} ${impl.padEnd(13)} ${String(rate).padStart(6)}/s: ${s.cpuUsPerDgram.toFixed(2)} µs CPU per datagram moved (${(s.sysShare * 100).toFixed(0)}% kernel), loss ${(s.loss * 100).toFixed(2)}%${s.relayDropped ? ` (${s.relayDropped} dropped by the relay's send)` : ''}${a.turns ? `, ${s.perTurn.toFixed(2)} datagrams per loop turn` : ''}`);
      }
    }
  }
  console.log('\nmedian CPU µs per datagram moved (1 receive + 1 send), relay process only:');
  console.log(`  ${'rate/s'.padStart(8)} ${a.impls.map((i) => i.padStart(13)).join(' ')}`);
  for (const rate of a.rates) {
    const cols = a.impls.map((impl) => median(samples.filter((s) => s.impl === impl && s.rate === rate).map((s) => s.cpuUsPerDgram)).toFixed(2).padStart(13));
    console.log(`  ${String(rate).padStart(8)} ${cols.join(' ')}`);
  }
  if (a.max) {
    console.log('\nhighest rate with < 0.5% loss (doubling from 5000/s, then bisecting):');
    for (const impl of a.impls) {
      let lo = 0;
      let hi = 0;
      for (let r = 5000; r <= 640_000; r *= 2) {
        const s = await measure(impl, r, a);
        if (s.loss < 0.005) lo = r; else { hi = r; break; }
      }
      if (hi > 0) {
        for (let i = 0; i < 3; i++) {
          const mid = Math.round((lo + hi) / 2);
          const s = await measure(impl, mid, a);
          if (s.loss < 0.005) lo = mid; else hi = mid;
        }
      }
      console.log(`  ${impl}: ${lo}/s carried${hi ? `, ${hi}/s lost more` : ''}`);
    }
  }
}


main().catch((err: unknown) => { console.error(err); process.exit(1); });
