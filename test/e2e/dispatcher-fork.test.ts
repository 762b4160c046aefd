// Issue 15 "done when", algorithm 12: the node forks an INVITE to every
// destination at once (both gateways hold it before either answers); the
// first 2xx goes to the caller and the other branch gets a CANCEL; when every
// branch fails, the caller gets the best answer (RFC 3261 §16.7).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from 'sip';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { ackFor, newTag, ScriptedUa, uacDialog } from './sip-ua.ts';

describe('dispatcher algorithm 12: parallel forking', () => {
  let caller: ScriptedUa;
  let gw1: ScriptedUa;
  let gw2: ScriptedUa;
  let node: SbcNodeHandle;

  beforeAll(async () => {
    [caller, gw1, gw2] = await Promise.all(['caller', 'gw1', 'gw2'].map((name) => ScriptedUa.start({ name, transport: 'udp' })));
    node = await startSbcNode({
      gateways: [],
      config: {
        log: { level: 'warn' },
        dispatcher: { algorithm: 12, sets: [gw1, gw2].map((g) => ({ setid: 1, uri: `sip:127.0.0.1:${g.port}` })) },
      },
    });
  }, 60_000);

  afterAll(async () => {
    for (const ua of [caller, gw1, gw2]) ua?.close();
    await node?.stop();
  });

  const invite = (): Message => ({
    method: 'INVITE',
    uri: `sip:bob@127.0.0.1:${node.port}`,
    headers: {
      via: [],
      to: { uri: 'sip:bob@127.0.0.1', params: {} },
      from: { uri: 'sip:caller@127.0.0.1', params: { tag: newTag() } },
      'call-id': `${randomBytes(8).toString('hex')}@caller`,
      cseq: { seq: 1, method: 'INVITE' },
      contact: [caller.contact],
      'max-forwards': 70,
    },
  });

  it('sends the INVITE to both gateways before either answers, relays the 2xx and CANCELs the other branch', async () => {
    const inv = invite();
    const callId = String(inv.headers['call-id']);
    const tx = caller.request(inv);
    // nobody has answered anything yet: both branches are out
    const [at1, at2] = await Promise.all([gw1.nextRequest('INVITE', callId), gw2.nextRequest('INVITE', callId)]);
    const tag1 = newTag();
    const tag2 = newTag();
    gw1.reply(at1.rq, 180, 'Ringing', { toTag: tag1, headers: { contact: [gw1.contact] } });
    gw2.reply(at2.rq, 180, 'Ringing', { toTag: tag2, headers: { contact: [gw2.contact] } });
    gw2.reply(at2.rq, 200, 'OK', { toTag: tag2, headers: { contact: [gw2.contact], 'record-route': at2.rq.headers['record-route'] } });
    const answer = await tx.response('final');
    expect(answer.status).toBe(200);
    expect(answer.headers.to?.params.tag).toBe(tag2);
    // the losing branch is cancelled; it answers as a UAS does
    const cancel = await gw1.nextRequest('CANCEL', callId);
    gw1.reply(cancel.rq, 200, 'OK');
    gw1.reply(at1.rq, 487, 'Request Terminated', { toTag: tag1 });
    // (the node's hop-by-hop ACK of the 487 is absorbed by gw1's own transaction layer)
    caller.ack(ackFor(uacDialog(tx.sent, answer), 1));
    await gw2.nextRequest('ACK', callId);
  });

  /** The final status the caller gets when gateway 1 and gateway 2 answer these. */
  async function finalWhenBranchesAnswer(first: [number, string], second: [number, string]): Promise<number | undefined> {
    const inv = invite();
    const callId = String(inv.headers['call-id']);
    const tx = caller.request(inv);
    const [at1, at2] = await Promise.all([gw1.nextRequest('INVITE', callId), gw2.nextRequest('INVITE', callId)]);
    gw1.reply(at1.rq, first[0], first[1], { toTag: newTag() });
    gw2.reply(at2.rq, second[0], second[1], { toTag: newTag() });
    return (await tx.response('final')).status;
  }

  it('gives the caller the best answer when every branch fails', async () => {
    expect(await finalWhenBranchesAnswer([503, 'Service Unavailable'], [486, 'Busy Here'])).toBe(486);
  });

  it('answers 500 itself when every branch answers 503 (RFC 3261 §16.7 step 6: a 503 is never forwarded)', async () => {
    expect(await finalWhenBranchesAnswer([503, 'Service Unavailable'], [503, 'Service Unavailable'])).toBe(500);
  });
});
