// The relay under measurement (child of bench/dgram-floor.ts): receives
// datagrams on one UDP socket and sends each one on to the sink, doing no
// other work, so its CPU time per datagram is the floor of the I/O layer.
// Implementations:
//   dgram  Node's dgram: 'message' event per datagram, socket.send per datagram
//   mmsg   the optional native addon (bench/dgram/mmsg): recvmmsg batches into
//          one JS call, sends queued and flushed with one sendmmsg per batch
// Talks to the parent over IPC: {cmd:'start'} / {cmd:'stop'} -> {cpuUs, in, out}.
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';

const [impl, sinkPortArg, countTurns] = process.argv.slice(2);
const sinkPort = Number(sinkPortArg);
let received = 0;
let sent = 0;
// with "turns": how many datagrams each event-loop turn delivers (a batch
// recvmmsg could take at once); costs a setImmediate per turn, so off when
// CPU is what is measured
let turns = 0;
let sock;
let dropped = () => 0;
let turnOpen = false;
const closeTurn = () => { turnOpen = false; };
const countTurn = countTurns === 'turns'
  ? () => { if (!turnOpen) { turnOpen = true; turns++; setImmediate(closeTurn); } }
  : () => {};

function startDgram() {
  sock = createSocket('udp4');
  sock.on('message', (msg) => {
    countTurn();
    received++;
    sock.send(msg, sinkPort, '127.0.0.1');
    sent++;
  });
  return new Promise((resolve) => sock.bind(0, '127.0.0.1', () => {
    sock.setRecvBufferSize(4 << 20); // same as the addon's socket
    resolve(sock.address().port);
  }));
}

function startMmsg() {
  const require = createRequire(import.meta.url);
  const mmsg = require('./mmsg/build/Release/mmsg.node');
  const s = new mmsg.Socket('127.0.0.1', 0, (buf, offsets, lengths, ports, addrs, n) => {
    countTurn();
    for (let i = 0; i < n; i++) {
      received++;
      // forward the datagram as received (same bytes, no copy in JS)
      s.queue(buf, offsets[i], lengths[i], sinkPort, 0x7f000001);
      sent++;
    }
    s.flush();
  });
  sock = s;
  dropped = () => s.dropped();
  return Promise.resolve(s.port());
}

const port = await (impl === 'mmsg' ? startMmsg() : startDgram());
let t0;
process.on('message', (m) => {
  if (m.cmd === 'start') { received = 0; sent = 0; turns = 0; t0 = process.cpuUsage(); process.send({ ok: true }); }
  if (m.cmd === 'stop') {
    const d = process.cpuUsage(t0);
    process.send({ cpuUs: d.user + d.system, userUs: d.user, sysUs: d.system, in: received, out: sent, turns, dropped: dropped() });
  }
  if (m.cmd === 'exit') process.exit(0);
});
process.send({ port });
