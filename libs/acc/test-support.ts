// Builders of accounting events for tests: one call's story as events.
import type { AccEvent, AccEventInput } from './events.ts';

let seq = 0;

/** Stamps an input event as the emitter would. */
export function stamp(ev: AccEventInput, node = 'n1'): AccEvent {
  return { ...ev, id: `${node}.test.${(seq++).toString(36)}`, node } as AccEvent;
}

export interface CallScript {
  call: string;
  t0?: number;
  node?: string;
  /** gateways tried, with the outcome of each */
  attempts: { gw: string; duid?: string; outcome: 'answer' | 'busy' | 'timeout' | 'silent' | 'congestion' | 'noanswer' }[];
  /** ms from answer to BYE; undefined = no BYE */
  talkMs?: number;
  byeBy?: 'caller' | 'callee';
  byeNode?: string;
  cancel?: boolean;
}

/** The events a node would emit for a call (times from t0, 100 ms per step). */
export function callEvents(c: CallScript): AccEvent[] {
  const node = c.node ?? 'n1';
  const t0 = c.t0 ?? 1_700_000_000_000;
  let t = t0;
  const out: AccEventInput[] = [];
  const base = () => ({ call: c.call, at: t });
  out.push({ ...base(), t: 'start', from: 'sip:alice@example.com', fromTag: 'ft1', to: 'sip:bob@example.com', ruri: 'sip:bob@example.com', src: { ip: '192.0.2.1', port: 5060, proto: 'udp' } });
  let answered = false;
  c.attempts.forEach((a, n) => {
    out.push({ ...base(), t: 'attempt', n, gw: a.gw, ...(a.duid !== undefined ? { duid: a.duid } : {}) });
    t += 100;
    switch (a.outcome) {
      case 'answer':
        out.push({ ...base(), t: 'ringing', n, status: 180 });
        t += 100;
        out.push({ ...base(), t: 'answered', n, status: 200, toTag: 'tt1' });
        out.push({ ...base(), t: 'final', status: 200, local: false });
        answered = true;
        return;
      case 'busy':
        out.push({ ...base(), t: 'attempt-failed', n, cause: 'status', status: 486 });
        out.push({ ...base(), t: 'final', status: 486, local: false, reason: 'Busy Here' });
        return;
      case 'congestion':
        out.push({ ...base(), t: 'attempt-failed', n, cause: 'status', status: 503 });
        if (n === c.attempts.length - 1) out.push({ ...base(), t: 'final', status: 503, local: true, reason: 'Service Unavailable - All Destinations Failed' });
        return;
      case 'silent':
        out.push({ ...base(), t: 'attempt-failed', n, cause: 'timeout', provisional: false });
        if (n === c.attempts.length - 1) out.push({ ...base(), t: 'final', status: 408, local: true });
        return;
      case 'noanswer':
        out.push({ ...base(), t: 'ringing', n, status: 180 });
        t += 100;
        if (c.cancel === true) {
          out.push({ ...base(), t: 'cancelled' });
          out.push({ ...base(), t: 'attempt-failed', n, cause: 'status', status: 487 });
          out.push({ ...base(), t: 'final', status: 487, local: false });
        } else {
          out.push({ ...base(), t: 'attempt-failed', n, cause: 'timeout', provisional: true });
          out.push({ ...base(), t: 'final', status: 408, local: true });
        }
        return;
      case 'timeout':
        out.push({ ...base(), t: 'attempt-failed', n, cause: 'timeout', provisional: false });
        return;
    }
  });
  // as the node's countingEmit does: the final event counts the events before it
  const k = out.findIndex((e) => e.t === 'final');
  if (k >= 0) out[k] = { ...out[k], k } as AccEventInput;
  const evs = out.map((e) => stamp(e, node));
  if (answered && c.talkMs !== undefined) {
    t += c.talkMs;
    evs.push(stamp({ call: c.call, at: t, t: 'ended', by: c.byeBy ?? 'caller' }, c.byeNode ?? node));
  }
  return evs;
}
