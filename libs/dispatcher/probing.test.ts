import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { congestionWeights, LatencyStats } from './latency.ts';
import { Prober, type ProbeAnswer } from './prober.ts';
import { afterProbe, shouldProbe, type ProbingMode } from './probing.ts';
import { parseReplyCodes } from './reply-codes.ts';
import { DispatcherState, type ProbeRules } from './state.ts';
import { initialStatus } from './state-machine.ts';
import { ctxFor, setsFromList } from './test-helpers.ts';
import type { DestinationStatus } from './types.ts';

const quiet = pino({ level: 'silent' });
const t1 = { probingThreshold: 1, inactiveThreshold: 1 };
const st = (kind: 'active' | 'inactive' | 'probing' | 'disabled', probe: boolean): DestinationStatus =>
  ({ state: kind === 'probing' ? { kind, failures: 0 } : kind === 'inactive' ? { kind, successes: 0 } : { kind }, probe, since: 0 });

describe('ds_ping_reply_codes', () => {
  it('accepts any 2xx, and the listed classes and codes', () => {
    const ok = parseReplyCodes('class=3;code=403;code=488') as (n: number) => boolean;
    expect([200, 202, 299, 301, 403, 488].every(ok)).toBe(true);
    expect([404, 408, 500, 503].some(ok)).toBe(false);
    expect((parseReplyCodes('') as (n: number) => boolean)(404)).toBe(false);
  });
  it('names the bad part', () => {
    expect(parseReplyCodes('class=2;codes=403')).toMatch(/"codes=403" is not class=N or code=NNN/);
    expect(parseReplyCodes('code=99')).toMatch(/100\.\.699/);
    expect(parseReplyCodes('class=9')).toMatch(/1\.\.6/);
  });
});

describe('ds_probing_mode', () => {
  it('chooses whom to probe', () => {
    const cases: [ProbingMode, DestinationStatus, boolean][] = [
      [0, st('active', true), true], [0, st('active', false), false],
      [1, st('active', false), true], [1, st('disabled', true), false],
      [2, st('active', true), false], [2, st('inactive', true), true], [2, st('inactive', false), false],
      [3, st('probing', true), true], [3, st('inactive', false), false],
    ];
    for (const [mode, s, want] of cases) expect(shouldProbe(mode, s), `mode ${mode} ${s.state.kind} P=${s.probe}`).toBe(want);
  });
  it('updates the state and P flag as Kamailio ds_options_callback does', () => {
    expect(afterProbe(0, st('active', true), true, t1)).toEqual({ state: { kind: 'active' }, probe: false });
    expect(afterProbe(0, st('active', true), false, t1)).toEqual({ state: { kind: 'inactive', successes: 0 }, probe: false });
    expect(afterProbe(1, st('active', false), false, { probingThreshold: 3, inactiveThreshold: 1 })).toEqual({ state: { kind: 'probing', failures: 1 }, probe: true });
    expect(afterProbe(2, st('inactive', true), true, t1)).toEqual({ state: { kind: 'active' }, probe: false });
    expect(afterProbe(3, st('inactive', true), true, t1)).toEqual({ state: { kind: 'active' }, probe: true });
    expect(afterProbe(3, st('active', false), true, t1)).toBeUndefined();
    expect(afterProbe(1, st('disabled', true), true, t1)).toBeUndefined();
    // inactive needs ds_inactive_threshold successes
    expect(afterProbe(3, st('inactive', true), true, { probingThreshold: 1, inactiveThreshold: 2 })).toEqual({ state: { kind: 'inactive', successes: 1 }, probe: true });
  });
});

describe('latency statistics', () => {
  it('keeps average, std, EWMA estimate, max and timeouts like Kamailio', () => {
    const s = new LatencyStats();
    for (const ms of [10, 20, 30]) s.add(ms, 0.1);
    s.timeout();
    expect(s.snapshot()).toMatchObject({ count: 3, avg: 20, std: 10, est: 20, max: 30, min: 10, timeouts: 1 });
    // from the 10th sample on, the estimate follows alpha
    const e = new LatencyStats();
    for (let i = 0; i < 10; i++) e.add(10, 0.5);
    e.add(100, 0.5);
    expect(e.est).toBe(55);
    expect(e.congestion).toBeGreaterThan(40);
    expect(LatencyStats.from(s.snapshot()).snapshot()).toEqual(s.snapshot());
  });
  it('cc=1 lowers rweight by congestion, and shares by congestion when all are congested', () => {
    const congested = (ms: number) => { const l = LatencyStats.seeded(10); l.est = 10 + ms; return l; };
    expect(congestionWeights([{ weight: 50, cc: 1, latency: congested(20) }, { weight: 50, cc: 1 }])).toEqual([30, 50]);
    expect(congestionWeights([{ weight: 10, cc: 1, latency: congested(20) }, { weight: 10, cc: 1, latency: congested(60) }])).toEqual([(80 << 4) / 20, Math.trunc((80 << 4) / 60)]);
    expect(congestionWeights([{ weight: 10 }, { weight: 10, cc: 1, latency: congested(60) }])).toEqual([undefined, 0]);
  });
});

describe('algorithm 13 (latency optimised)', () => {
  it('prefers the destination whose priority suffers least from its latency, and rotates among equals', () => {
    const ds = new DispatcherState(setsFromList('1 sip:a.example 0 10\n1 sip:b.example 0 10\n1 sip:c.example 0 10\n'));
    const set = ds.getSet(1)!;
    set.setLatency(0, LatencyStats.seeded(200)); // 10 - 200/10 -> 1
    set.setLatency(1, LatencyStats.seeded(5));
    set.setLatency(2, LatencyStats.seeded(5));
    const first = () => ds.select(1, 13, ctxFor('x'))[0].uri;
    expect([first(), first(), first()]).toEqual(['sip:b.example', 'sip:c.example', 'sip:b.example']);
    expect(ds.select(1, 13, ctxFor('x')).map((d) => d.uri).at(-1)).toBe('sip:a.example');
  });
});

describe('Prober', () => {
  const rules: ProbeRules = { mode: 1, thresholds: { probingThreshold: 2, inactiveThreshold: 1 }, latencyStats: true, alpha: 0.1 };
  const answers = new Map<string, ProbeAnswer>();
  const make = (owns?: (n: string) => boolean) => {
    const ds = new DispatcherState(setsFromList('1 sip:a.example\n1 sip:b.example 4\n2 sip:a.example\n'));
    const sent: string[] = [];
    const prober = new Prober({
      ds, intervalMs: 1000, rules, replyOk: parseReplyCodes('code=404') as (n: number) => boolean, logger: quiet,
      send: async (d) => { sent.push(d.uri); return answers.get(d.uri) ?? { status: 200, local: false, ms: 3 }; },
      ...(owns ? { owns } : {}),
    });
    return { ds, prober, sent };
  };

  it('probes every non-disabled destination it owns, once per round, and applies the thresholds', async () => {
    const { ds, prober, sent } = make((n) => n.startsWith('1 '));
    answers.set('sip:a.example', { status: 408, local: true, ms: 500 });
    await prober.tick();
    expect(sent).toEqual(['sip:a.example']);
    expect(ds.status(1, 'sip:a.example')?.state).toEqual({ kind: 'probing', failures: 1 });
    await prober.tick();
    expect(ds.status(1, 'sip:a.example')?.state.kind).toBe('inactive');
    expect(ds.status(2, 'sip:a.example')?.state.kind).toBe('active'); // not ours to probe
    answers.set('sip:a.example', { status: 404, local: false, ms: 4 }); // listed in ds_ping_reply_codes
    await prober.tick();
    expect(ds.status(1, 'sip:a.example')?.state.kind).toBe('active');
    const listed = ds.list()[0].destinations[0];
    expect(listed.flags).toBe('AP');
    expect(listed.latency).toMatchObject({ count: 1, avg: 4, timeouts: 2 });
  });

  it('emits state and latency events for the cluster to share', async () => {
    const { ds, prober } = make();
    answers.set('sip:a.example', { status: 503, local: false, ms: 2 });
    const events: string[] = [];
    ds.on('state', (e) => events.push(`state ${e.setId} ${e.to.state.kind} ${e.reason}`));
    ds.on('latency', (e) => events.push(`latency ${e.setId} ${e.reason}`));
    await prober.tick();
    expect(events).toContain('state 1 probing probe');
    expect(events).toContain('latency 2 probe');
  });
});

describe('markFailed (ds_mark_dst after a relay failure)', () => {
  it('i marks inactive at once, t counts toward the threshold, p turns probing on, disabled stays', () => {
    const ds = new DispatcherState(setsFromList('1 sip:a.example\n1 sip:b.example\n1 sip:c.example 4\n'));
    const th = { probingThreshold: 2, inactiveThreshold: 1 };
    expect(ds.markFailed(1, 'sip:a.example', { kind: 'inactive', probe: true }, th)).toMatchObject({ state: { kind: 'inactive' }, probe: true });
    expect(ds.markFailed(1, 'sip:b.example', { kind: 'probing', probe: false }, th).state).toEqual({ kind: 'probing', failures: 1 });
    expect(ds.markFailed(1, 'sip:b.example', { kind: 'probing', probe: false }, th).state.kind).toBe('inactive');
    expect(ds.markFailed(1, 'sip:c.example', { kind: 'inactive', probe: true }, th)).toEqual(initialStatus(4, ds.status(1, 'sip:c.example')!.since));
  });
});
