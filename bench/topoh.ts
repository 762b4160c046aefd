// Micro-benchmark of the topoh codec: CPU µs per token sealed or opened
// (process user+sys over a loop, GC included, median of 7 runs).
// `npx tsx bench/topoh.ts [--n 40000]`. The tokens a call costs: one Call-ID
// seal (the INVITE; later requests hit the memo) and one Via-stack seal per
// relayed request (INVITE, ACK, BYE); opening a Via stack only happens for a
// stray response (no transaction), URIs and Call-IDs opened are memoised.
import { createTopohCodec } from '#libs/topoh';

const ni = process.argv.indexOf('--n');
const N = ni >= 0 ? Number(process.argv[ni + 1]) : 40_000;

function bench(name: string, f: (i: number) => unknown): void {
  for (let i = 0; i < 5000; i++) f(i);
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) f(i);
    const u = process.cpuUsage(t0);
    runs.push((u.user + u.system) / N);
  }
  runs.sort((a, b) => a - b);
  console.log(`${name.padEnd(44)} ${runs[3].toFixed(2)} µs`);
}

// both token formats (topology.token_version), alternating run after run
for (const tokenVersion of [1, 2, 1, 2] as const) {
  console.log(`token version ${tokenVersion}`);
  const opts = { maskKey: 'bench-mask-key-0123456789abcdef', maskIp: '10.1.1.10', maskCallId: true, tokenVersion };
  const codec = createTopohCodec(opts);
  // the stack an INVITE from sipp carries through the node: the node's Via on top, the caller's below
  const top = 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-abc-0;rport=5060';
  const caller = 'SIP/2.0/UDP 127.0.0.2:5061;branch=z9hG4bK-12345-1-0;received=127.0.0.2;rport=5061';
  bench('encodeViaParam (2 Vias, new stack each time)', (i) => codec.encodeViaParam([top, caller + i]));
  const param = codec.encodeViaParam([top, caller]);
  bench('decodeViaParam (2 Vias)', () => codec.decodeViaParam(param));
  bench('encodeCallId (new Call-ID each time)', (i) => codec.encodeCallId(`${i}-12345@127.0.0.2`));
  const masked = Array.from({ length: 1000 }, (_, i) => codec.encodeCallId(`${i}-x@127.0.0.2`));
  const fresh = createTopohCodec(opts);
  // a new codec each pass would measure construction; instead open 1000 distinct ones round robin past the memo size
  bench('decodeCallId (memo hit)', (i) => fresh.decodeCallId(masked[i % 1000]));
}
