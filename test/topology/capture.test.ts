// Topology hiding (issue 6), byte capture: a public caller (127.0.0.10) and a
// core gateway (127.0.0.20, Via sent-by pbx.core.internal) make calls both
// ways through one node; every byte each side receives is kept, and nothing
// the caller gets may name the core (its address, host name, port, Call-ID),
// nor anything the gateway gets the caller. A `none` run shows the same check
// does find those leaks when nothing is hidden. Also: calls complete (each
// request answered, ACK/BYE delivered), and a tampered token reaches no one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUri } from '#libs/sip';
import { freePort } from '../harness/index.ts';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { RawUa, type Transport } from './raw-ua.ts';
import {
  callerCall, cancelledCall, coreCall, coreRecordRoute, inDialogRequest, leaksIn, portNeedle, tamperedBye,
  CALLER_IP, CORE_CALL_ID, CORE_HOST, CORE_IP, type Scene,
} from './flows.ts';

type Mode = 'none' | 'topoh' | 'topos';
const MASK_KEY = 'capture-test-mask-key-0123456789';

const RUNS: { mode: Mode; transport: Transport }[] = [
  { mode: 'none', transport: 'udp' },
  { mode: 'topoh', transport: 'udp' },
  { mode: 'topos', transport: 'udp' },
  { mode: 'topoh', transport: 'tcp' },
  { mode: 'topos', transport: 'tcp' },
];

function topologyConfig(mode: Mode): Record<string, unknown> {
  if (mode === 'none') return { mode };
  return { mode, mask_callid: true, sdp: 'all', ...(mode === 'topoh' ? { mask_key: MASK_KEY } : {}) };
}

/** A free port for the node that is neither UA's port: `:<port>` needles must name one socket only. */
async function nodePort(taken: number[]): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freePort('127.0.0.1');
    if (!taken.includes(p)) return p;
  }
  throw new Error('no free port apart from the UAs\'');
}

for (const run of RUNS) {
  const hidden = run.mode !== 'none';
  describe(`topology ${run.mode} over ${run.transport.toUpperCase()}: what each side receives`, () => {
    let node: SbcNodeHandle | undefined;
    let s: Scene;
    /** the caller's Call-IDs and ports the gateway must not see */
    const callerCallIds: string[] = [];
    const log = () => `\n--- node log tail ---\n${node?.logTail(3000) ?? ''}`;

    beforeAll(async () => {
      const caller = await RawUa.open({ name: 'caller', host: CALLER_IP, transport: run.transport, user: 'alice' });
      const gateway = await RawUa.open({ name: 'gateway', host: CORE_IP, transport: run.transport, user: 'pbx', viaHost: CORE_HOST });
      node = await startSbcNode({
        gateways: [{ host: CORE_IP, port: gateway.port, transport: run.transport }],
        transport: run.transport,
        port: await nodePort([caller.port, gateway.port]),
        config: { topology: topologyConfig(run.mode) },
      });
      const at = { host: node.host, port: node.port };
      s = { caller, gateway, advertised: at, entry: at };
    });

    afterAll(async () => {
      s?.caller.close();
      s?.gateway.close();
      await node?.stop();
    });

    const tcpParam = run.transport === 'tcp' ? ';transport=tcp' : '';
    /** the node's own Record-Route URI, in clear, with the dialog's From tag (ftag, shown as TAG by uriShape) */
    const nodeRecordRoute = () => uriShape(`sip:127.0.0.1:${node!.port}${tcpParam};lr;ftag=TAG`);
    /** a foreign Record-Route URI as topoh seals it (spec: sip:MASK_IP;lr;line=sr-...), token masked by uriShape */
    const sealedRecordRoute = () => uriShape(`sip:127.0.0.1:${node!.port}${tcpParam};lr;line=sr-TOKEN`);
    /** a URI with its parameters in name order (their order means nothing), a topoh token shown as TOKEN and an ftag as TAG */
    const uriShape = (uri: string) => {
      const p = parseUri(uri);
      if (!p) return uri;
      const params = [...p.params].map(([k, v]) => (k === 'line' && v?.startsWith('sr-') ? `${k}=sr-TOKEN` : k === 'ftag' ? 'ftag=TAG' : v === null ? k : `${k}=${v}`)).sort();
      return `sip:${p.host}:${p.port};${params.join(';')}`;
    };

    /** run a flow; on failure, show the node's log with the error */
    async function flow<T>(f: () => Promise<T>): Promise<T> {
      try {
        return await f();
      } catch (err) {
        throw new Error(`${(err as Error).message}${log()}`);
      }
    }

    it('call from the caller: 180/200 relayed, ACK reaches the gateway; the gateway\'s re-INVITE and BYE reach the caller and are answered', async () => {
      const c = await flow(() => callerCall(s));
      callerCallIds.push(c.caller.callId);
      expect(c.ringing.status).toBe(180);
      expect(c.ok.status).toBe(200);
      expect(c.ack.method).toBe('ACK');
      const reinvite = await flow(() => inDialogRequest(s, c, 'gateway', 'INVITE'));
      expect(reinvite.final.status, log()).toBe(200);
      expect(reinvite.ack?.method).toBe('ACK');
      // the gateway's Call-ID came back to the caller as the caller's own
      expect(reinvite.atPeer.callId()).toBe(c.caller.callId);
      const bye = await flow(() => inDialogRequest(s, c, 'gateway', 'BYE'));
      expect(bye.final.status, log()).toBe(200);
      // the caller's route set ends with the core proxy's entry (sealed or not): the node routes to it
      const rrAtCaller = c.ok.recordRoutes().map((r) => r.uriText);
      if (run.mode === 'none') expect(rrAtCaller.map(uriShape)).toEqual([uriShape(coreRecordRoute(s).slice(1, -1)), nodeRecordRoute()]);

      if (!hidden) return;
      // what hiding looks like (spec): one Via, a masked Call-ID, the node's Contact, SDP on the node's address
      expect(c.atGateway.callId()).not.toBe(c.caller.callId);
      expect(c.atGateway.vias(), 'the INVITE at the gateway carries only the node\'s Via').toHaveLength(1);
      for (const m of [reinvite.atPeer, bye.atPeer]) expect(m.vias(), `${m.method} at the caller carries only the node's Via`).toHaveLength(1);
      const contact = c.ok.contacts()[0]?.uriText ?? '';
      if (run.mode === 'topoh') {
        expect(contact).toMatch(new RegExp(`^sip:127\\.0\\.0\\.1:${node!.port};.*line=sr-`));
        expect(c.atGateway.callId()).toMatch(/^!!:/);
        expect(reinvite.atPeer.topVia()?.params.get('branch')).toMatch(/^z9hG4bKsr-/);
        expect(rrAtCaller.map(uriShape), 'the core\'s Record-Route sealed, the node\'s in clear').toEqual([sealedRecordRoute(), nodeRecordRoute()]);
      } else {
        expect(contact).toMatch(new RegExp(`^sip:[ab]tpsh-[^@]+@127\\.0\\.0\\.1:${node!.port}`));
        expect(c.ok.recordRoutes(), 'topos removes Record-Route').toEqual([]);
      }
      expect(c.ok.body.toString('latin1')).toContain('c=IN IP4 127.0.0.1\r\n');
      expect(c.atGateway.body.toString('latin1')).toContain('c=IN IP4 127.0.0.1\r\n');
    });

    it('call from the caller with UPDATE and BYE from the caller: both reach the gateway and are answered', async () => {
      const c = await flow(() => callerCall(s));
      callerCallIds.push(c.caller.callId);
      const update = await flow(() => inDialogRequest(s, c, 'caller', 'UPDATE'));
      expect(update.final.status, log()).toBe(200);
      expect(update.atPeer.callId()).toBe(c.gateway.callId);
      // it reached the core through the core proxy's Record-Route entry, restored
      expect(update.atPeer.routes().map((r) => uriShape(r.uriText)), log()).toEqual([uriShape(coreRecordRoute(s).slice(1, -1))]);
      const bye = await flow(() => inDialogRequest(s, c, 'caller', 'BYE'));
      expect(bye.final.status, log()).toBe(200);
      expect(bye.atPeer.method).toBe('BYE');
    });

    it('CANCEL before answer: the caller gets 200 and 487, the gateway sees the CANCEL', async () => {
      const r = await flow(() => cancelledCall(s));
      callerCallIds.push(r.final.callId() ?? '');
      expect(r.cancelOk.status).toBe(200);
      expect(r.final.status, log()).toBe(487);
      expect(r.cancelAtGateway.method).toBe('CANCEL');
      expect(r.ackAtGateway.method).toBe('ACK');
    });

    it('call from the core (Route to the node, its own Call-ID): reaches the caller, answered, ACKed, ended by the caller\'s BYE', async () => {
      const c = await flow(() => coreCall(s));
      expect(c.ok.status).toBe(200);
      expect(c.ok.callId(), 'the gateway gets its own Call-ID back').toBe(CORE_CALL_ID);
      expect(c.ack.method).toBe('ACK');
      const rr = c.atCaller.recordRoutes().map((r) => r.uriText);
      if (run.mode === 'none') expect(rr).toContain(coreRecordRoute(s).slice(1, -1));
      if (hidden) expect(c.atCaller.callId()).not.toBe(CORE_CALL_ID);
      // topoh: the node's Record-Route in clear, the core's sealed; topos: none at all
      if (run.mode === 'topoh') expect(rr.map(uriShape), log()).toEqual([nodeRecordRoute(), sealedRecordRoute()]);
      if (run.mode === 'topos') expect(rr, log()).toEqual([]);
      const bye = await flow(() => inDialogRequest(s, c, 'caller', 'BYE'));
      expect(bye.final.status, log()).toBe(200);
      expect(bye.atPeer.callId()).toBe(CORE_CALL_ID);
      // the BYE came to the core through its own Record-Route entry
      expect(bye.atPeer.routes().map((r) => uriShape(r.uriText))).toEqual([uriShape(coreRecordRoute(s).slice(1, -1))]);
    });

    if (hidden) {
      it('a BYE whose token has one character changed gets a 4xx and reaches no one; the real BYE still ends the call', async () => {
        const c = await flow(() => callerCall(s));
        callerCallIds.push(c.caller.callId);
        const t = await flow(() => tamperedBye(s, c));
        expect(t.tampered).not.toBe(t.original);
        expect(t.final.status, `answer to the tampered BYE${log()}`).toBeGreaterThanOrEqual(400);
        expect(t.final.status).toBeLessThan(500);
        expect(t.reachedGateway.map((m) => `${m.method} ${m.uri}`)).toEqual([]);
        const bye = await flow(() => inDialogRequest(s, c, 'caller', 'BYE'));
        expect(bye.final.status, log()).toBe(200);
      });
    }

    // runs last: looks at everything the flows above made each side receive
    it(hidden ? 'nothing the caller received names the core, nothing the gateway received names the caller' : 'the same check finds the core in what the caller received when nothing is hidden', () => {
      const coreNeedles = [CORE_IP, 'core.internal', portNeedle(s.gateway.port), CORE_CALL_ID];
      const callerNeedles = [CALLER_IP, portNeedle(s.caller.port), ...callerCallIds];
      expect(s.caller.captured.length).toBeGreaterThan(10);
      // the caller hears from the node only
      expect(new Set(s.caller.captured.map((c) => c.from.host))).toEqual(new Set([node!.host]));
      const atCaller = leaksIn(s.caller.captured, coreNeedles);
      const atGateway = leaksIn(s.gateway.captured, callerNeedles);
      if (hidden) {
        expect(atCaller).toEqual([]);
        expect(atGateway).toEqual([]);
      } else {
        // every needle is found: the check can fail
        for (const n of coreNeedles) expect(atCaller.some((l) => l.startsWith(`${String(n)} in`)), `${String(n)} not found at the caller`).toBe(true);
        expect(atGateway.some((l) => l.startsWith(`${CALLER_IP} in`))).toBe(true);
      }
    });
  });
}
