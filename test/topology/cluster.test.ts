// Topology hiding across two nodes (issue 6, cluster rule 1): two node
// processes share Redis and NATS, run the same topology config and advertise
// the same address (a UDP load balancer's, which nobody binds here). A call is
// set up through node A; its in-dialog requests then arrive at node B (the
// UAs send to a chosen node's real port, standing for the balancer), in both
// directions, and must be restored there. topoh is stateless: node A is
// restarted mid-dialog and still ends the call.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, uniqueName } from '../harness/index.ts';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { RawUa, type Addr } from './raw-ua.ts';
import { callerCall, inDialogRequest, leaksIn, portNeedle, CALLER_IP, CORE_HOST, CORE_IP, type Call, type Scene } from './flows.ts';

const MASK_KEY = 'cluster-test-mask-key-0123456789';

/** `count` distinct free loopback ports */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let i = 0; ports.size < count && i < 50; i++) ports.add(await freePort('127.0.0.1'));
  if (ports.size < count) throw new Error('not enough free ports');
  return [...ports];
}

/** the format byte of a topoh token (topology.token_version: 1; 2, or 3 with a random nonce) */
const tokenVersion = (token: string) => Buffer.from(token, 'base64url')[0];

// topoh also runs as a cluster mid-upgrade: node A writes token version 1 (the
// format of builds that open only 1), node B version 2; each opens the other's
// tokens and the gateway sees one Call-ID whichever node relays
const variants = [{ mode: 'topoh' }, { mode: 'topoh', versions: { A: 1, B: 2 } }, { mode: 'topos' }] as const;
for (const variant of variants) {
  const { mode } = variant;
  const versions = 'versions' in variant ? variant.versions : undefined;
  describe(`topology ${mode} on two nodes sharing Redis and NATS${versions ? ', node A writing token version 1 and B version 2' : ''}`, () => {
    const cluster = uniqueName(`topo-${mode}`);
    const nodes: Record<'A' | 'B', SbcNodeHandle | undefined> = { A: undefined, B: undefined };
    let ports: { A: { sip: number; http: number }; B: { sip: number; http: number }; lb: number };
    let gateway: RawUa;
    let s: Scene;
    let call: Call;
    const log = () => (['A', 'B'] as const).map((n) => `\n--- node ${n} log tail ---\n${nodes[n]?.logTail(2000) ?? ''}`).join('');
    const addrOf = (n: 'A' | 'B'): Addr => ({ host: '127.0.0.1', port: ports[n].sip });

    function startNode(n: 'A' | 'B'): Promise<SbcNodeHandle> {
      return startSbcNode({
        gateways: [{ host: CORE_IP, port: gateway.port }],
        port: ports[n].sip,
        httpPort: ports[n].http,
        config: {
          node: { id: `${mode}-${n}`, cluster },
          sip: { listen: [{ proto: 'udp', host: '127.0.0.1', port: ports[n].sip, advertise: `127.0.0.1:${ports.lb}` }] },
          state: { backend: 'redis', redis: { url: inject('redisUrl') } },
          bus: { servers: [inject('natsUrl')] },
          topology: { mode, mask_callid: true, sdp: 'all', ...(mode === 'topoh' ? { mask_key: MASK_KEY } : {}), ...(versions ? { token_version: versions[n] } : {}) },
        },
      });
    }

    /** the next steps' requests reach node `n` */
    function through(n: 'A' | 'B'): void {
      s.entry = addrOf(n);
    }

    async function flow<T>(f: () => Promise<T>): Promise<T> {
      try {
        return await f();
      } catch (err) {
        throw new Error(`${(err as Error).message}${log()}`);
      }
    }

    beforeAll(async () => {
      const caller = await RawUa.open({ name: 'caller', host: CALLER_IP, transport: 'udp', user: 'alice' });
      gateway = await RawUa.open({ name: 'gateway', host: CORE_IP, transport: 'udp', user: 'pbx', viaHost: CORE_HOST });
      const [a, aHttp, b, bHttp, lb] = (await freePorts(7)).filter((p) => p !== caller.port && p !== gateway.port);
      ports = { A: { sip: a, http: aHttp }, B: { sip: b, http: bHttp }, lb };
      [nodes.A, nodes.B] = await Promise.all([startNode('A'), startNode('B')]);
      s = { caller, gateway, advertised: { host: '127.0.0.1', port: lb }, entry: addrOf('A') };
    });

    afterAll(async () => {
      s?.caller.close();
      gateway?.close();
      await Promise.all([nodes.A?.stop(), nodes.B?.stop()]);
    });

    it('a call is set up through node A; its route set leads to the shared advertised address', async () => {
      through('A');
      const c = await flow(() => callerCall(s));
      call = c;
      expect(c.ok.status).toBe(200);
      expect(c.atGatewayFrom).toEqual(addrOf('A'));
      expect(c.ack.method).toBe('ACK');
      if (versions) expect(tokenVersion(String(c.atGateway.topVia()?.params.get('branch')).slice('z9hG4bKsr-'.length)), 'the Via stack node A sealed').toBe(1);
      // Call-IDs are always format 1 (libs/topoh codec.ts): the same on every node whatever it writes
      if (mode === 'topoh') expect(tokenVersion(c.gateway.callId.slice('!!:'.length))).toBe(1);
    });

    it('a re-INVITE from the caller through node B reaches the gateway and is answered', async () => {
      through('B');
      const r = await flow(() => inDialogRequest(s, call, 'caller', 'INVITE'));
      expect(r.atPeerFrom, 'relayed by node B').toEqual(addrOf('B'));
      expect(r.atPeer.callId()).toBe(call.gateway.callId);
      if (versions) {
        const branch = String(r.atPeer.topVia()?.params.get('branch'));
        expect(tokenVersion(branch.slice('z9hG4bKsr-'.length)), 'the Via stack node B sealed').toBe(2);
      }
      expect(r.final.status, log()).toBe(200);
      expect(r.ack?.method).toBe('ACK');
    });

    it('a re-INVITE from the gateway through node B reaches the caller and is answered', async () => {
      through('B');
      const r = await flow(() => inDialogRequest(s, call, 'gateway', 'INVITE'));
      expect(r.atPeerFrom, 'relayed by node B').toEqual(addrOf('B'));
      expect(r.atPeer.callId()).toBe(call.caller.callId);
      expect(r.final.status, log()).toBe(200);
      expect(r.ack?.method).toBe('ACK');
    });

    if (mode === 'topoh') {
      it('node A is stopped and started again (same ports, same config); the caller\'s BYE through A still ends the call', async () => {
        await nodes.A?.stop();
        nodes.A = undefined;
        nodes.A = await startNode('A');
        through('A');
        const r = await flow(() => inDialogRequest(s, call, 'caller', 'BYE'));
        expect(r.atPeerFrom, 'relayed by the restarted node A').toEqual(addrOf('A'));
        expect(r.atPeer.callId()).toBe(call.gateway.callId);
        expect(r.final.status, log()).toBe(200);
      });
    } else {
      it('the gateway\'s BYE through node B ends the call', async () => {
        through('B');
        const r = await flow(() => inDialogRequest(s, call, 'gateway', 'BYE'));
        expect(r.atPeerFrom, 'relayed by node B').toEqual(addrOf('B'));
        expect(r.atPeer.callId()).toBe(call.caller.callId);
        expect(r.final.status, log()).toBe(200);
      });
    }

    it('nothing the caller received names the core', () => {
      expect(leaksIn(s.caller.captured, [CORE_IP, 'core.internal', portNeedle(gateway.port), call.gateway.callId])).toEqual([]);
    });
  });
}
