// The feature seam through node processes: a toy feature added by its
// descriptor alone (test/e2e/fixtures/toy-feature.ts, no change in services/)
// reaches the node with its config key, its 403 + X-Toy step, its rejection
// count, its metric and its admin command; the call events it subscribes to
// follow a call (INVITE, 180, 200, ACK, BYE), and a BYE handled by a second
// node that never saw the INVITE still says which side hung up.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from 'sip';
import { freePort } from '../harness/index.ts';
import { adminPost, startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { ackFor, inDialogRequest, newTag, ScriptedUa, uacDialog, type Dialog } from './sip-ua.ts';

const TOY_NODE = fileURLToPath(new URL('./fixtures/toy-node.ts', import.meta.url));
const ARCHITECTURE = fileURLToPath(new URL('../../docs/architecture.md', import.meta.url));

interface SeenEvent { type: string; method: string; callId: string; status?: number; by?: string; inDialog?: boolean; branch?: { socket: string; transport: string; hop?: string } }

describe('feature seam: a toy feature through its descriptor alone', () => {
  let caller: ScriptedUa;
  let gateway: ScriptedUa;
  let a: SbcNodeHandle;
  let b: SbcNodeHandle;

  beforeAll(async () => {
    caller = await ScriptedUa.start({ name: 'caller', transport: 'udp' });
    gateway = await ScriptedUa.start({ name: 'gw', transport: 'udp' });
    a = await startSbcNode({ entry: TOY_NODE, gateways: [{ host: '127.0.0.1', port: gateway.port, transport: 'udp' }], config: { log: { level: 'warn' }, toy: { header_value: 'from-config' } } });
    // node B takes node A's address as its own (as cluster nodes share the advertised one)
    const bPort = await freePort();
    b = await startSbcNode({
      entry: TOY_NODE, port: bPort, gateways: [{ host: '127.0.0.1', port: gateway.port, transport: 'udp' }],
      config: { log: { level: 'warn' }, sip: { listen: [{ proto: 'udp', host: '127.0.0.1', port: bPort }], aliases: [`127.0.0.1:${a.port}`] } },
    });
  }, 60_000);

  afterAll(async () => {
    caller?.close();
    gateway?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const admin = async (node: SbcNodeHandle, name: string) => {
    const res = await fetch(`http://127.0.0.1:${node.httpPort}/admin/${name}`, adminPost(node));
    return (await res.json()) as { result: Record<string, unknown> };
  };
  const metrics = async (node: SbcNodeHandle) => (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
  const eventsOf = async (node: SbcNodeHandle, callId: string) => ((await admin(node, 'toy.events')).result.events as SeenEvent[]).filter((e) => e.callId === callId);

  function invite(user: string, port: number): Message {
    return {
      method: 'INVITE',
      uri: `sip:${user}@127.0.0.1:${port}`,
      headers: {
        via: [],
        to: { uri: `sip:${user}@127.0.0.1`, params: {} },
        from: { uri: 'sip:caller@127.0.0.1', params: { tag: newTag() } },
        'call-id': `${randomBytes(8).toString('hex')}@caller`,
        cseq: { seq: 1, method: 'INVITE' },
        contact: [caller.contact],
        'max-forwards': 70,
      },
    };
  }

  it('the step answers 403 with the configured X-Toy header, counted as toy.refused and in its own metric', async () => {
    const tx = caller.request(invite('mallory', a.port));
    const res = await tx.response('final');
    expect(res.status, a.logTail()).toBe(403);
    expect(res.reason).toBe('Forbidden By Toy');
    expect(res.headers['x-toy']).toBe('from-config');
    const text = await metrics(a);
    expect(text).toMatch(/^sbc_toy_refused_total\{node="[^"]+"\} 1$/m);
    expect(text).toMatch(/^sbc_sip_rejected_total\{reason="toy_refused",node="[^"]+"\} 1$/m);
  });

  it('the admin command is listed and runs; the toy step sits among the screening steps', async () => {
    const list = (await (await fetch(`http://127.0.0.1:${a.httpPort}/admin`, { headers: { authorization: `Bearer ${a.readToken}` } })).json()) as { commands: { name: string }[] };
    expect(list.commands.map((c) => c.name)).toContain('toy.events');
    const info = (await admin(a, 'core.info')).result;
    expect(info.features).toEqual(['bans', 'auth', 'registrar', 'dispatcher', 'pike', 'secfilter', 'permissions', 'preload-route', 'rr-sign', 'hygiene', 'topology', 'acc', 'toy']);
    expect(info.pipeline).toEqual([
      'sanity', 'pike', 'secfilter', 'permissions', 'preload-route', 'toy', 'transaction', 'admission', 'options-self',
      'loose-route', 'record-route', 'dispatch', 'hygiene', 'settle', 'relay',
    ]);
    // docs/architecture.md states the default order: it is the running node's, without the toy
    const documented = /^\s*pipeline: `([^`]+)`/m.exec(readFileSync(ARCHITECTURE, 'utf8'))?.[1].split(' ');
    expect(documented).toEqual((info.pipeline as string[]).filter((s) => s !== 'toy'));
  });

  it('call events follow a call, and the BYE through a node that never saw the INVITE says the caller hung up', async () => {
    const inv = invite('gw', a.port);
    const callId = String(inv.headers['call-id']);
    const tx = caller.request(inv);
    const atGw = await gateway.nextRequest('INVITE', callId);
    const calleeTag = newTag();
    const rr = atGw.rq.headers['record-route'];
    gateway.reply(atGw.rq, 180, 'Ringing', { toTag: calleeTag, headers: { contact: [gateway.contact], 'record-route': rr } });
    gateway.reply(atGw.rq, 200, 'OK', { toTag: calleeTag, headers: { contact: [gateway.contact], 'record-route': rr } });
    const answer = await tx.response('final');
    expect(answer.status).toBe(200);
    const dialog: Dialog = uacDialog(tx.sent, answer);
    caller.ack(ackFor(dialog, 1));
    await gateway.nextRequest('ACK', callId);

    // the BYE goes to node B first: its route set names B, then A (with A's ftag)
    const routeB = { uri: `sip:127.0.0.1:${b.port};lr`, params: {} };
    const bye = inDialogRequest({ ...dialog, routeSet: [routeB, ...dialog.routeSet] }, 'BYE', caller.contact);
    const byeTx = caller.request(bye);
    const byeAtGw = await gateway.nextRequest('BYE', callId);
    gateway.reply(byeAtGw.rq, 200, 'OK');
    expect((await byeTx.response('final')).status).toBe(200);

    const atA = await eventsOf(a, callId);
    expect(atA.map((e) => `${e.type} ${e.method}${e.status !== undefined ? ` ${e.status}` : ''}`)).toEqual([
      'request.accepted INVITE',
      'branch.sent INVITE',
      'branch.provisional INVITE 180',
      'branch.answered INVITE 200',
      'request.completed INVITE 200',
      'dialog.confirmed ACK',
    ]);
    const sent = atA.find((e) => e.type === 'branch.sent');
    expect(sent?.branch).toMatchObject({ socket: `udp:127.0.0.1:${a.port}`, transport: 'udp', hop: `sip:127.0.0.1:${gateway.port}` });

    const atB = await eventsOf(b, callId);
    expect(atB.map((e) => `${e.type} ${e.method}${e.by !== undefined ? ` ${e.by}` : ''}${e.status !== undefined ? ` ${e.status}` : ''}`)).toEqual([
      'request.accepted BYE',
      'dialog.ended BYE caller',
      'branch.sent BYE',
      'branch.answered BYE 200',
      'request.completed BYE 200',
    ]);
  });
});
