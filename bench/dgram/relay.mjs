// The relay under measurement (child of bench/dgram-floor.ts): receives
// datagrams on one UDP socket and sends each one on to the sink, doing no
// other work, so its CPU time per datagram is the floor of the I/O layer.
// Implementations:
//   dgram          Node's dgram: 'message' event per datagram, socket.send per datagram
//   batched        the transport's addon (libs/transport/native) used bare: recvmmsg
//                  batches copied into one new Buffer per batch, one JS call per
//                  datagram (as the transport runs it), sends queued and flushed with
//                  one sendmmsg per loop turn
//   layer-dgram    libs/transport's TransportLayer with sip.udp.io = dgram (what the
//   layer-batched  node runs: + keep-alive check, metrics, InboundMessage, send()) / batched
// Talks to the parent over IPC: {cmd:'start'} / {cmd:'stop'} -> {cpuUs, in, out}.
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';

const [impl, sinkPortArg, countTurns] = process.argv.slice(2);
const sinkPort = Number(sinkPortArg);
const RCVBUF = 4 << 20;
let received = 0;
let sent = 0;
// with "turns": how many datagrams each event-loop turn delivers (a batch
// recvmmsg could take at once); costs a setImmediate per turn, so off when
// CPU is what is measured
let turns = 0;
let dropped = 0;
let turnOpen = false;
const closeTurn = () => { turnOpen = false; };
const countTurn = countTurns === 'turns'
  ? () => { if (!turnOpen) { turnOpen = true; turns++; setImmediate(closeTurn); } }
  : () => {};

function startDgram() {
  const sock = createSocket('udp4');
  sock.on('message', (msg) => {
    countTurn();
    received++;
    sock.send(msg, sinkPort, '127.0.0.1');
    sent++;
  });
  return new Promise((resolve) => sock.bind(0, '127.0.0.1', () => {
    sock.setRecvBufferSize(RCVBUF); // same as the addon's socket
    resolve(sock.address().port);
  }));
}

function startBatched() {
  const require = createRequire(import.meta.url);
  const addon = require('../../libs/transport/native/build/Release/sbc_udp.node');
  const B = addon.BATCH;
  let meta;
  // one sendmmsg per loop turn, from one setImmediate, as the transport does
  let flushing = false;
  const flush = () => { flushing = false; dropped += s.flush(); };
  const s = new addon.Socket('127.0.0.1', 0, RCVBUF, 0, (n, buf) => {
    countTurn();
    for (let i = 0; i < n; i++) {
      received++;
      // forward the datagram as received (a view of the batch's own buffer)
      if (s.queue(buf.subarray(meta[i], meta[i] + meta[B + i]), sinkPort, 0x7f000001)) sent++;
      else dropped++;
    }
    if (!flushing) { flushing = true; setImmediate(flush); }
  });
  meta = s.meta();
  return Promise.resolve(s.port());
}

async function startLayer(io) {
  const { TransportLayer } = await import('../../libs/transport/index.ts');
  const { Registry } = await import('prom-client');
  const { pino } = await import('pino');
  const target = { proto: 'udp', host: '127.0.0.1', port: sinkPort };
  const layer = await TransportLayer.start({
    config: { listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }], udp: { io, recvBufferSize: RCVBUF } },
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    handler: (m) => {
      countTurn();
      received++;
      layer.send(target, m.data);
      sent++;
    },
  });
  if (layer.udpIo(layer.sockets[0].id) !== io) throw new Error(`${impl}: the layer uses ${layer.udpIo(layer.sockets[0].id)}`);
  return layer.sockets[0].port;
}

const starts = { dgram: startDgram, batched: startBatched, 'layer-dgram': () => startLayer('dgram'), 'layer-batched': () => startLayer('batched') };
if (starts[impl] === undefined) throw new Error(`unknown relay ${impl}`);
const port = await starts[impl]();
let t0;
process.on('message', (m) => {
  if (m.cmd === 'start') { received = 0; sent = 0; turns = 0; dropped = 0; t0 = process.cpuUsage(); process.send({ ok: true }); }
  if (m.cmd === 'stop') {
    const d = process.cpuUsage(t0);
    process.send({ cpuUs: d.user + d.system, userUs: d.user, sysUs: d.system, in: received, out: sent, turns, dropped });
  }
  if (m.cmd === 'exit') process.exit(0);
});
process.send({ port });
