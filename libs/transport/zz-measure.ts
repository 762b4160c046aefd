import { connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { TransportLayer } from './index.ts';
import { sipRequest } from './test-helpers.ts';
const N = 50_000;
let got = 0;
const layer = await TransportLayer.start({ config: { listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'tcp', host: '127.0.0.1', port: 0 }] }, logger: pino({ level: 'silent' }), registry: new Registry(), handler: () => { got++; } });
const msg = Buffer.from(sipRequest('OPTIONS', 'bench-call-id-1234567890'));
// TCP: one connection, N messages in 64 KB writes
const c = connect(layer.sockets[1].port, '127.0.0.1');
await new Promise((r) => c.once('connect', r));
const all = Buffer.concat(Array.from({ length: N }, () => msg));
let t0 = process.hrtime.bigint();
for (let i = 0; i < all.length; i += 65536) c.write(all.subarray(i, i + 65536));
while (got < N) await new Promise((r) => setImmediate(r));
let ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`tcp: ${N} msgs (${msg.length} B) framed in ${ms.toFixed(0)} ms = ${(N / ms * 1000).toFixed(0)} msg/s`);
c.destroy();
// UDP: paced bursts of 500
got = 0;
const u = createSocket('udp4');
await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
t0 = process.hrtime.bigint();
let sent = 0;
while (sent < N) {
  for (let i = 0; i < 500; i++, sent++) u.send(msg, layer.sockets[0].port, '127.0.0.1');
  while (got < sent - 1000) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}
const deadline = Date.now() + 2000;
while (got < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`udp: ${got}/${N} datagrams delivered in ${ms.toFixed(0)} ms = ${(got / ms * 1000).toFixed(0)} msg/s (sender in same process)`);
u.close();
await layer.close();
