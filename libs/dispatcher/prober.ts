// OPTIONS keepalives (Kamailio ds_ping_interval): every interval, each
// destination that ds_probing_mode says to probe and that this node owns
// (ProbePartition) gets one probe; its answer goes through
// DispatcherState.applyProbe (state per mode and thresholds, latency
// figures). One probe per destination at a time: a destination whose last
// probe is still waiting (ds_ping_fr_timer longer than the interval) is skipped.
import type { Logger } from 'pino';
import { shouldProbe } from './probing.ts';
import type { ReplyCodeCheck } from './reply-codes.ts';
import type { DispatcherState, ProbeRules } from './state.ts';
import type { Destination } from './types.ts';

/** What sending one probe gave: the final status (local = our own timeout or transport error) and the round trip in ms. */
export interface ProbeAnswer {
  readonly status: number;
  readonly local: boolean;
  readonly ms: number;
}

export type SendProbe = (dest: Destination) => Promise<ProbeAnswer>;

export interface ProbeCounters {
  /** one probe answered (result: ok, failed, timeout) */
  probed(setId: number, uri: string, result: 'ok' | 'failed' | 'timeout', ms: number): void;
}

export interface ProberOptions {
  readonly ds: DispatcherState;
  readonly intervalMs: number;
  readonly rules: ProbeRules;
  readonly replyOk: ReplyCodeCheck;
  readonly send: SendProbe;
  /** whether this node probes the destination (partition); default: every one */
  readonly owns?: (name: string) => boolean;
  readonly counters?: ProbeCounters;
  readonly logger: Logger;
}

/** The lease name of a destination: set id and URI. */
export const probeName = (setId: number, uri: string) => `${setId} ${uri}`;

export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();

  constructor(private readonly o: ProberOptions) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Every destination the mode says to probe now (all nodes' view; the partition splits them). */
  candidates(): { setId: number; dest: Destination }[] {
    const out: { setId: number; dest: Destination }[] = [];
    for (const id of this.o.ds.setIds()) {
      const set = this.o.ds.getSet(id);
      if (!set) continue;
      set.destinations.forEach((d, i) => { if (shouldProbe(this.o.rules.mode, set.status(i))) out.push({ setId: id, dest: d }); });
    }
    return out;
  }

  /** Sends this round's probes; resolves when their answers are applied. */
  tick(): Promise<void> {
    const owns = this.o.owns ?? (() => true);
    const round = this.candidates()
      .filter((c) => owns(probeName(c.setId, c.dest.uri)) && !this.inFlight.has(probeName(c.setId, c.dest.uri)))
      .map((c) => this.probe(c.setId, c.dest));
    return Promise.all(round).then(() => undefined);
  }

  private async probe(setId: number, dest: Destination): Promise<void> {
    const name = probeName(setId, dest.uri);
    this.inFlight.add(name);
    try {
      const a = await this.o.send(dest);
      const ok = !a.local && this.o.replyOk(a.status);
      const result = a.local ? 'timeout' : ok ? 'ok' : 'failed';
      this.o.counters?.probed(setId, dest.uri, result, a.ms);
      if (this.o.ds.status(setId, dest.uri) === undefined) return; // removed by a reload meanwhile
      this.o.ds.applyProbe(setId, dest.uri, { ok, ...(a.local ? {} : { ms: a.ms }), timedOut: a.local }, this.o.rules);
    } catch (err) {
      this.o.logger.warn({ err, set: setId, uri: dest.uri }, 'dispatcher: probe could not be sent');
    } finally {
      this.inFlight.delete(name);
    }
  }
}
