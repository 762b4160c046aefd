// TCP framing cost of a large header block dribbled in small segments vs
// written at once: a TCP connection's reassembly (StreamBuffer + frameStream)
// fed the same 48 KB head in 64-byte segments and in one piece. "rescan" is
// what the framer did before issue 20 (each segment searched the whole
// buffer again for the empty line); "resume" passes back where the last
// search stopped, as TcpConnection does now.
// Run: npx tsx bench/tcp-dribble.ts
import { DEFAULT_PARSE_LIMITS, frameStream } from '#libs/sip';
import { StreamBuffer } from '../libs/transport/stream-buffer.ts';

const HEAD_BYTES = 48 * 1024;
const SEGMENT = 64;
const ROUNDS = 7;
const LIMITS = { ...DEFAULT_PARSE_LIMITS, maxMessageBytes: 1 << 20, maxLineBytes: 1 << 16, maxHeaderCount: 10_000 };

function bigMessage(): Buffer {
  const lines = ['OPTIONS sip:a@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-d', 'From: <sip:b@127.0.0.1>;tag=1', 'To: <sip:a@127.0.0.1>', 'Call-ID: dribble', 'CSeq: 1 OPTIONS'];
  let size = lines.join('\r\n').length;
  for (let i = 0; size < HEAD_BYTES - 40; i++) {
    const l = `X-Pad-${i}: ${'p'.repeat(60)}`;
    lines.push(l);
    size += l.length + 2;
  }
  return Buffer.from(lines.join('\r\n') + '\r\nContent-Length: 0\r\n\r\n');
}

/** ms to frame `msg` arriving in `segment`-byte chunks */
function frame(msg: Buffer, segment: number, resume: boolean): number {
  const buf = new StreamBuffer();
  let scanned = 0;
  const t0 = performance.now();
  for (let i = 0; i < msg.length; i += segment) {
    buf.append(msg.subarray(i, Math.min(msg.length, i + segment)));
    const r = frameStream(buf.view(), LIMITS, resume ? scanned : 0);
    if (r.kind === 'need-more') scanned = r.scanned;
    else if (r.kind === 'message') break;
  }
  return performance.now() - t0;
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const msg = bigMessage();
for (let i = 0; i < 3; i++) { frame(msg, SEGMENT, true); frame(msg, SEGMENT, false); frame(msg, msg.length, true); }
const whole = med(Array.from({ length: ROUNDS }, () => frame(msg, msg.length, true)));
const rescan = med(Array.from({ length: ROUNDS }, () => frame(msg, SEGMENT, false)));
const resume = med(Array.from({ length: ROUNDS }, () => frame(msg, SEGMENT, true)));
console.log(`${msg.length}-byte head: one piece ${whole.toFixed(3)} ms; ${SEGMENT}-byte segments: rescan (before) ${rescan.toFixed(2)} ms = ${(rescan / whole).toFixed(0)}x, resume (now) ${resume.toFixed(2)} ms = ${(resume / whole).toFixed(0)}x`);
