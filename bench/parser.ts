// Parser benchmark: ours vs the npm `sip` package (0.0.6) on the same
// messages in the same process. Prints msgs/s, median of 5 timed runs.
// Run: npx tsx bench/parser.ts   (bounded: ~30 s on a 2-core box)
import { createRequire } from 'node:module';
import { parseAndValidate, parseMessage, type SipMessage } from '#libs/sip';
import { ASTERISK_200_OK, YEALINK_INVITE } from '../libs/sip/fixtures/ua.ts';
import { INVALID_CASES } from '../libs/sip/fixtures/torture.ts';

interface SipPkgMessage {
  method?: string;
  status?: number;
  headers: Record<string, any>;
  content?: string;
}
// the sip package ships no types; require() it and describe the two calls we use
const sipPkg = createRequire(import.meta.url)('sip') as { parse(b: Buffer | string): SipPkgMessage | undefined; stringify(m: SipPkgMessage): string };

const RUNS = 5;
const RUN_MS = 250;

/** msgs per second (wall clock) of one ~runMs run */
function oneRun(fn: () => void, runMs: number): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  } while (t - t0 < runMs);
  return n / ((t - t0) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** median and best msgs/s of fn, RUNS runs after a warm-up */
function measureRuns(fn: () => void, runMs = RUN_MS): { median: number; best: number } {
  for (let i = 0; i < 3000; i++) fn(); // warm-up (JIT)
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) rates.push(oneRun(fn, runMs));
  return { median: median(rates), best: Math.max(...rates) };
}

function measure(fn: () => void, runMs = RUN_MS): number {
  return measureRuns(fn, runMs).median;
}

interface Pair {
  ours: number;
  /** best of the runs: what the code does when the shared machine is quiet */
  oursBest: number;
  sip: number;
  /** median of the per-run ratios: each ratio compares two runs made back to back */
  ratio: number;
}

/** ours and theirs measured in alternating runs so both see the same machine load */
function measurePair(ours: () => void, theirs: () => void): Pair {
  for (let i = 0; i < 3000; i++) {
    ours();
    theirs();
  }
  const a: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    const x = oneRun(ours, RUN_MS);
    const y = oneRun(theirs, RUN_MS);
    a.push(x);
    b.push(y);
    r.push(x / y);
  }
  return { ours: median(a), oursBest: Math.max(...a), sip: median(b), ratio: median(r) };
}

let sink = 0; // keeps results observable so the JIT cannot drop the work

function oursParse(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(`fixture did not parse: ${r.error.code}`);
  return r.msg;
}

function proxyFields(m: SipMessage): void {
  const v = m.topVia();
  sink += (v?.params.size ?? 0) + (m.fromTag()?.length ?? 0) + (m.toTag()?.length ?? 0) + (m.callId()?.length ?? 0);
  sink += (m.cseq()?.seq ?? 0) + (m.maxForwards() ?? 0) + m.routes().length + (m.contacts()[0]?.uri?.host.length ?? 0);
}

/**
 * The brief's "small modification": a request gets a new top Via and
 * Max-Forwards - 1; a response loses its top Via. Only what the edit needs
 * is read (Max-Forwards); "parse + proxy fields" measures field reading.
 */
function oursProxy(buf: Buffer, isRequest: boolean): Buffer {
  const m = oursParse(buf);
  if (isRequest) {
    m.prependHeader('Via', 'SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-bench-1;rport');
    m.setHeader('Max-Forwards', String((m.maxForwards() ?? 70) - 1));
  } else {
    m.removeFirstValue('Via');
  }
  return m.serialize();
}

function pkgProxy(buf: Buffer, isRequest: boolean): Buffer {
  const m = sipPkg.parse(buf);
  if (m === undefined) throw new Error('sip package rejected the fixture');
  const h = m.headers;
  if (isRequest) {
    h.via.unshift({ version: '2.0', protocol: 'UDP', host: '198.51.100.1', port: 5060, params: { branch: 'z9hG4bK-bench-1', rport: null } });
    h['max-forwards'] = String(+h['max-forwards'] - 1);
  } else {
    h.via.shift();
  }
  // the transport needs bytes, as ours returns
  return Buffer.from(sipPkg.stringify(m), 'binary');
}

/** both full proxy passes: fields read, then the edit, then bytes */
function oursProxyFull(buf: Buffer, isRequest: boolean): Buffer {
  const m = oursParse(buf);
  proxyFields(m);
  if (isRequest) {
    m.prependHeader('Via', 'SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-bench-1;rport');
    m.setHeader('Max-Forwards', String((m.maxForwards() ?? 70) - 1));
  } else {
    m.removeFirstValue('Via');
  }
  return m.serialize();
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(11);
}

function row(label: string, ours: number, pair?: Pair, best?: number): void {
  const theirs = pair === undefined ? '          -' : fmt(pair.sip);
  const ratio = pair === undefined ? '' : `   x${pair.ratio.toFixed(2)}`;
  const top = best ?? pair?.oursBest;
  const bestText = top === undefined ? '' : ` (best ${Math.round(top).toLocaleString('en-US')})`;
  console.log(`  ${label.padEnd(30)} ours ${fmt(ours)} /s   sip ${theirs} /s${ratio}${bestText}`);
}

function benchMessage(name: string, buf: Buffer, isRequest: boolean): void {
  console.log(`\n${name} (${buf.length} bytes)`);
  const parse = measurePair(() => { sink += oursParse(buf).status; }, () => { sink += sipPkg.parse(buf)?.status ?? 0; });
  row('parse', parse.ours, parse);
  const fields = measurePair(() => proxyFields(oursParse(buf)), () => {
    // the sip package parses every header eagerly; reading the fields is free
    const m = sipPkg.parse(buf);
    sink += m?.headers.via?.[0]?.params?.branch?.length ?? 0;
  });
  row('parse + proxy fields', fields.ours, fields);
  const ser = measurePair(() => { sink += oursProxy(buf, isRequest).length; }, () => { sink += pkgProxy(buf, isRequest).length; });
  row('parse + modify + serialize', ser.ours, ser);
  const full = measurePair(() => { sink += oursProxyFull(buf, isRequest).length; }, () => { sink += pkgProxy(buf, isRequest).length; });
  row('  same, proxy fields read too', full.ours, full);
  const same = measureRuns(() => { sink += oursParse(buf).serialize().length; });
  row('parse + serialize (unmodified)', same.median, undefined, same.best);
}

function benchMalformed(): void {
  console.log('\nmalformed inputs: ours = parseAndValidate (parse + sanity checks), time to reject; what the sip package does');
  let pkgAccepts = 0;
  for (const c of INVALID_CASES) {
    const buf = c.bytes;
    const r = parseAndValidate(buf);
    const verdict = r.ok ? 'ACCEPTED' : r.error.code;
    let pkg: string;
    try {
      const m = sipPkg.parse(buf);
      pkg = m === undefined ? 'returns undefined' : 'accepts';
      if (m !== undefined) pkgAccepts++;
    } catch (e) {
      pkg = `throws ${(e as Error).name}`;
    }
    const t = measure(() => { sink += parseAndValidate(buf).ok ? 1 : 0; }, 60);
    console.log(`  ${c.name.padEnd(28)} ours ${verdict.padEnd(20)} ${(1e9 / t).toFixed(0).padStart(7)} ns   sip: ${pkg}`);
  }
  console.log(`  sip package accepted ${pkgAccepts} of ${INVALID_CASES.length} invalid messages`);
}

/** JIT warm-up of every code path for both parsers before anything is timed */
function warmUp(): void {
  const stop = performance.now() + 1500;
  while (performance.now() < stop) {
    for (const [buf, isReq] of [[YEALINK_INVITE, true], [ASTERISK_200_OK, false]] as const) {
      proxyFields(oursParse(buf));
      sink += oursProxy(buf, isReq).length + oursProxyFull(buf, isReq).length + oursParse(buf).serialize().length;
      sink += pkgProxy(buf, isReq).length;
    }
  }
}

const t0 = Date.now();
warmUp();
console.log(`node ${process.version}, median of ${RUNS} runs x ${RUN_MS} ms, msgs/s (wall clock, one core); ours and sip alternate run by run, ratio = median of per-run ratios, best = our fastest run`);
benchMessage('INVITE with SDP (Yealink)', YEALINK_INVITE, true);
benchMessage('200 OK with Record-Route (Asterisk)', ASTERISK_200_OK, false);
if (!process.argv.includes("--no-malformed")) benchMalformed();
console.log(`\ndone in ${((Date.now() - t0) / 1000).toFixed(1)} s (sink ${sink > 0 ? 'ok' : 0})`);
