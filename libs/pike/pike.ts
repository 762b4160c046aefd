// createPike: the `pike` pipeline step (Kamailio pike_check_req + the seed
// config's `$sht(ipban=>$si) = 1`), counting cluster-wide.
//
// Hot path, per request, synchronous: exempt check (Set/BlockList), one
// CounterStore.add (local Map), one sliding estimate (DensityTracker). The
// CounterStore's own timer flushes the local counts to Redis every
// flush_interval in one round trip and learns the cluster totals back, so
// the next add() sees what the other nodes counted. A source over the
// density is written to the ipban ReplicatedTable (Redis + NATS), after which
// every node's bans gate drops it before parsing; pike refuses its requests
// only until that ban holds.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AdminCommand } from '#libs/admin';
import type { Step, StepVerdict } from '#libs/pipeline';
import type { RequestContext } from '#libs/proxy';
import { LogLimiter } from '#libs/rejections';
import type { ReplicatedTable } from '#libs/replica';
import type { HeaderList } from '#libs/sip';
import type { CounterStore, SharedState } from '#libs/state';
import type { AddressMatcher } from '#libs/address';
import { exemptMatcher, partitionAddresses } from './addresses.ts';
import { pikeAdminCommands } from './admin.ts';
import { banTimeOf, type PikeConfig } from './config.ts';
import { DensityTracker, type SourceRecord } from './density.ts';
import { createPikeMetrics, type PikeMetrics } from './metrics.ts';
import { PIKE_REJECTIONS } from './rejections.ts';

/** Counter family name in the shared state (Redis keys carry it). */
export const PIKE_COUNTER = 'pike';
/** Sources whose final previous-window totals are read at each window start. */
const TOP_PREVIOUS = 100;
/** Value of the ipban entries pike writes (htable.dump shows who banned). */
export const PIKE_BAN_VALUE = 'pike';

export interface PikeDeps {
  config: PikeConfig;
  state: Pick<SharedState, 'counters'>;
  /** the ipban table (libs/bans BAN_TABLE), shared by the bans gate */
  bans: Pick<ReplicatedTable, 'has' | 'set'>;
  /** IPs/CIDRs never counted, besides config.trusted: the node's own and gateway addresses.
   *  Entries that are not IPs (host names) are ignored with a warning. */
  exempt: readonly string[];
  registry: Registry;
  logger: Logger;
  /** clock in ms: must be the one `state` uses for counter windows. Default Date.now. */
  now?: () => number;
}

export interface Pike {
  /** the `pike` step: run it among the screening steps, after sanity */
  readonly step: Step<RequestContext>;
  /** pike.top */
  readonly admin: AdminCommand[];
  /**
   * Counts one malformed message from `address` like a request (it never
   * reaches the step: sanity refuses it first), banning a source that floods
   * with garbage. No-op when pike is disabled.
   */
  malformed(address: string): void;
  /** Replaces the node-supplied exempt addresses (e.g. after a dispatcher reload). */
  setExempt(addresses: readonly string[]): void;
  /** Stops the timers; pending counts are flushed once. */
  close(): Promise<void>;
}

export function createPike(deps: PikeDeps): Pike {
  return new PikeEngine(deps);
}

class PikeEngine implements Pike {
  readonly step: Step<RequestContext>;
  readonly admin: AdminCommand[];
  readonly malformed: (address: string) => void;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly density: number;
  private readonly unitMs: number;
  private readonly banTimeMs: number;
  private readonly retryAfter: HeaderList;
  private readonly counter: CounterStore | undefined;
  private readonly tracker: DensityTracker;
  private readonly metrics: PikeMetrics;
  private readonly logLimiter: LogLimiter;
  private windowTimer: NodeJS.Timeout | undefined;
  private exempt: AddressMatcher<true>;
  private readonly eagerFlushMs: number;
  private nextEagerFlush = 0;
  private flushFailing = false;
  private closed = false;

  constructor(private readonly deps: PikeDeps) {
    const c = deps.config;
    this.log = deps.logger.child({ lib: 'pike' });
    this.now = deps.now ?? Date.now;
    this.density = c.reqs_density_per_unit;
    this.unitMs = c.sampling_time_unit;
    this.banTimeMs = banTimeOf(c);
    this.eagerFlushMs = Math.max(1, Math.floor(c.flush_interval / 4));
    this.retryAfter = [['Retry-After', String(Math.ceil(this.banTimeMs / 1000))]];
    this.tracker = new DensityTracker(this.unitMs);
    this.metrics = createPikeMetrics(deps.registry, () => this.tracker.size);
    this.logLimiter = new LogLimiter({ perSecond: 10, burst: 50 }, this.now);
    this.exempt = this.exemptSet(deps.exempt);

    if (c.enabled) {
      this.counter = deps.state.counters(PIKE_COUNTER, { windowMs: this.unitMs, flushIntervalMs: c.flush_interval });
      this.counter.onFlush((r) => {
        if (!r.ok && !this.flushFailing) {
          this.flushFailing = true;
          this.log.warn({ err: r.error.message }, 'pike counts not reaching the shared state: each node counts only its own share until it answers');
        } else if (r.ok && this.flushFailing) {
          this.flushFailing = false;
          this.log.info('pike counts reach the shared state again');
        }
      });
      this.scheduleWindowStart(this.counter, c.flush_interval);
    }
    const counter = this.counter;
    this.step = counter === undefined
      ? { name: 'pike', run: () => 'next' }
      : { name: 'pike', run: (ctx) => this.check(ctx, counter) };
    this.malformed = counter === undefined ? () => {} : (address: string) => { this.count(address, 'malformed', counter); };
    this.admin = pikeAdminCommands({ counter, density: this.density, unitMs: this.unitMs, isBanned: (a) => deps.bans.has(a) });
  }

  setExempt(addresses: readonly string[]): void {
    this.exempt = this.exemptSet(addresses);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.windowTimer);
    await this.counter?.close();
  }

  // ------------------------------------------------------------ hot path

  private check(ctx: RequestContext, counter: CounterStore): StepVerdict {
    const estimate = this.count(ctx.source.address, ctx.msg.method, counter);
    return estimate < 0 ? 'next' : this.refuse(estimate);
  }

  /** Counts one message from `ip`; -1 when it is within the density (or exempt), else the estimate (and the ban is under way). */
  private count(ip: string, method: string, counter: CounterStore): number {
    if (this.exempt.has(ip)) return -1;
    // The clock is read before add(): our window is then never newer than the counter's.
    const now = this.now();
    const { rec, estimate } = this.tracker.observe(ip, now, counter.add(ip));
    if (estimate * 2 > this.density && now >= this.nextEagerFlush) this.flushEarly(counter, now);
    if (estimate <= this.density && !rec.banning) return -1;
    if (!rec.banning && now >= rec.retryAt && !this.deps.bans.has(ip)) this.ban(ip, rec, estimate, method);
    return estimate;
  }

  /**
   * Shortly after each window starts (once every node has flushed the end of
   * the previous one): forget idle sources, and learn the final cluster
   * totals of the previous window for the hottest sources. The last total a
   * node saw during that window can miss the others' last flush; for a flood
   * that started late in it, that would delay the verdict.
   */
  private scheduleWindowStart(counter: CounterStore, flushMs: number): void {
    const settle = Math.min(flushMs + 20, Math.floor(this.unitMs / 2));
    const now = this.now();
    const next = (Math.floor((now - settle) / this.unitMs) + 1) * this.unitMs + settle;
    this.windowTimer = setTimeout(() => {
      if (this.closed) return;
      const t = this.now();
      this.tracker.prune(t);
      const w = Math.floor(t / this.unitMs);
      counter.top(TOP_PREVIOUS, 'previous').then(
        (top) => { for (const e of top) this.tracker.learnFinal(e.key, w - 1, e.count); },
        () => { /* Redis down: the local view stands (flush failures are logged) */ },
      );
      this.scheduleWindowStart(counter, flushMs);
    }, Math.max(1, next - now));
    this.windowTimer.unref();
  }

  /**
   * A warm source (over half the density) makes this node flush more often
   * (4x), so the nodes learn each other's counts sooner while it matters;
   * one flush carries every pending key, so a wide flood costs no more.
   */
  private flushEarly(counter: CounterStore, now: number): void {
    this.nextEagerFlush = now + this.eagerFlushMs;
    counter.flush().catch(() => { /* reported to onFlush */ });
  }

  private refuse(estimate: number): StepVerdict {
    this.metrics.blocked.inc();
    const detail = `~${Math.round(estimate)} requests in the last ${this.unitMs} ms, limit ${this.density}`;
    if (this.deps.config.action === 'drop') return { reject: PIKE_REJECTIONS.flood.code, detail };
    // 503 + Retry-After (the ban time): the proxy counts, logs and sends it statelessly (pike runs before the transaction)
    return { reject: PIKE_REJECTIONS.floodReply.code, detail, headers: this.retryAfter };
  }

  /** One ban write per source at a time; a failed write is retried one unit later. */
  private ban(ip: string, rec: SourceRecord, estimate: number, method: string): void {
    rec.banning = true;
    void Promise.resolve()
      .then(() => this.deps.bans.set(ip, PIKE_BAN_VALUE, this.banTimeMs))
      .then(
        () => {
          rec.banning = false;
          this.metrics.bans.inc();
          const suppressed = this.logLimiter.take('ban');
          if (suppressed >= 0) {
            this.log.warn({ src: ip, method, estimate: Math.round(estimate), density: this.density, unitMs: this.unitMs, banMs: this.banTimeMs, ...(suppressed > 0 ? { suppressed } : {}) }, 'pike: source over the request density, banned cluster-wide');
          }
        },
        (err: unknown) => {
          rec.banning = false;
          rec.retryAt = this.now() + this.unitMs;
          const suppressed = this.logLimiter.take('ban_failed');
          if (suppressed >= 0) {
            this.log.warn({ src: ip, err: err instanceof Error ? err.message : String(err), ...(suppressed > 0 ? { suppressed } : {}) }, 'pike: ban could not be written; this node keeps refusing the source while it is over the density');
          }
        },
      );
  }

  private exemptSet(nodeAddresses: readonly string[]): AddressMatcher<true> {
    const { ok, bad } = partitionAddresses(nodeAddresses);
    if (bad.length > 0) this.log.warn({ ignored: bad }, 'pike: exempt entries that are not IP addresses or CIDRs are ignored');
    return exemptMatcher([...this.deps.config.trusted, ...ok]);
  }
}
