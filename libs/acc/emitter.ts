// The node side of accounting: events are stamped and buffered in memory, and
// leave in batches (every flushMs, or at once when maxBatch are waiting). So
// accounting adds no Redis round trip per SIP message: one queue add per batch
// per node (bench/acc.ts measures it). While the sink is down (Redis away)
// events stay buffered, up to maxBuffered; beyond that new events are dropped,
// counted (sbc_acc_events_dropped_total) and logged (rate-limited). A batch
// that failed is retried as is, under the same job id, so a retry of an add
// that did reach Redis is not a second job (and the writer drops repeated
// event ids anyway). Events are kept with copies of their strings: read out of
// the INVITE or BYE, they are slices of its whole text, which a buffered event
// (or, on a single node, the assembler's open call) would keep alive.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { detachEventStrings, type AccBatch, type AccEvent, type AccEventInput } from './events.ts';

/** Where batches go: the BullMQ queue, or the embedded assembler. */
export interface AccSink {
  send(batch: AccBatch, batchId: string): Promise<void> | void;
}

export interface EmitterOptions {
  node: string;
  sink: AccSink;
  /** ms between flushes; default 200 */
  flushMs?: number;
  /** events per batch (a batch leaves early when this many wait); default 500 */
  maxBatch?: number;
  /** events held while the sink is down; beyond, new events are dropped and counted; default 50000 */
  maxBuffered?: number;
  registry?: Registry;
  logger?: Logger;
}

export const EMITTER_METRIC_NAMES = {
  emitted: 'sbc_acc_events_total',
  dropped: 'sbc_acc_events_dropped_total',
  batches: 'sbc_acc_batches_total',
  buffered: 'sbc_acc_events_buffered',
} as const;

export interface EmitterStats {
  emitted: number;
  sent: number;
  dropped: number;
  buffered: number;
  batchesSent: number;
  batchesFailed: number;
}

export class AccEmitter {
  private readonly node: string;
  private readonly boot = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  private seq = 0;
  private batchSeq = 0;
  private buffer: AccEvent[] = [];
  /** a batch whose send failed: retried as is before anything else */
  private pending: { batch: AccBatch; id: string } | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly stats: EmitterStats = { emitted: 0, sent: 0, dropped: 0, buffered: 0, batchesSent: 0, batchesFailed: 0 };
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly metrics: { dropped?: Counter; batches?: Counter; emitted?: Counter };
  private lastDropLog = 0;
  private closed = false;

  constructor(private readonly opts: EmitterOptions) {
    this.node = opts.node;
    this.flushMs = opts.flushMs ?? 200;
    this.maxBatch = opts.maxBatch ?? 500;
    this.maxBuffered = opts.maxBuffered ?? 50_000;
    const r = opts.registry;
    this.metrics = r === undefined ? {} : {
      emitted: new Counter({ name: EMITTER_METRIC_NAMES.emitted, help: 'accounting events this node produced', registers: [r] }),
      dropped: new Counter({ name: EMITTER_METRIC_NAMES.dropped, help: 'accounting events lost: the buffer was full while the queue (Redis) was unreachable', labelNames: ['reason'], registers: [r] }),
      batches: new Counter({ name: EMITTER_METRIC_NAMES.batches, help: 'accounting batches sent to the queue, by result', labelNames: ['result'], registers: [r] }),
    };
    if (r !== undefined) {
      const self = this;
      new Gauge({ name: EMITTER_METRIC_NAMES.buffered, help: 'accounting events waiting on this node to be sent', registers: [r], collect() { this.set(self.bufferedCount()); } });
      this.metrics.dropped?.inc({ reason: 'buffer_full' }, 0);
    }
    this.timer = setInterval(() => { void this.flush(); }, this.flushMs);
    this.timer.unref();
  }

  /** Stamp and buffer one event. Synchronous and cheap: the hot path calls it. */
  emit(ev: AccEventInput): void {
    if (this.closed) return;
    if (this.bufferedCount() >= this.maxBuffered) {
      this.drop(1);
      return;
    }
    detachEventStrings(ev);
    // onto a fresh object: adding id and node to each producer's object would
    // give every event type's objects a new shape at every emit
    const e = Object.assign({ id: `${this.node}.${this.boot}.${(this.seq++).toString(36)}`, node: this.node }, ev) as AccEvent;
    this.buffer.push(e);
    this.stats.emitted++;
    this.metrics.emitted?.inc();
    if (this.buffer.length >= this.maxBatch && this.flushing === undefined) void this.flush();
  }

  private drop(n: number): void {
    this.stats.dropped += n;
    this.metrics.dropped?.inc({ reason: 'buffer_full' }, n);
    const now = Date.now();
    if (now - this.lastDropLog >= 10_000) {
      this.lastDropLog = now;
      this.opts.logger?.error({ dropped: this.stats.dropped, buffered: this.bufferedCount() }, 'accounting: buffer full while the queue is unreachable, events dropped (call records will be incomplete)');
    }
  }

  bufferedCount(): number {
    return this.buffer.length + (this.pending?.batch.events.length ?? 0);
  }

  snapshot(): EmitterStats {
    return { ...this.stats, buffered: this.bufferedCount() };
  }

  /** Send what is buffered (one batch after another). Never rejects. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => { this.flushing = undefined; });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    if (Date.now() < this.retryAt) return;
    for (;;) {
      if (this.pending === undefined) {
        if (this.buffer.length === 0) return;
        const events = this.buffer.length <= this.maxBatch ? this.buffer : this.buffer.slice(0, this.maxBatch);
        this.buffer = events === this.buffer ? [] : this.buffer.slice(this.maxBatch);
        this.pending = { batch: { v: 1, node: this.node, events }, id: `${this.node}.${this.boot}.b${(this.batchSeq++).toString(36)}` };
      }
      const { batch, id } = this.pending;
      try {
        await this.opts.sink.send(batch, id);
      } catch (err) {
        this.failures++;
        this.stats.batchesFailed++;
        this.metrics.batches?.inc({ result: 'failed' });
        // back off: 1, 2, 4... flush periods, at most 5 s, so a dead Redis is not hammered
        this.retryAt = Date.now() + Math.min(5000, this.flushMs * 2 ** Math.min(this.failures - 1, 8));
        if (this.failures === 1 || this.failures % 50 === 0) {
          this.opts.logger?.warn({ err: err instanceof Error ? err.message : String(err), buffered: this.bufferedCount(), failures: this.failures }, 'accounting: batch not sent, kept for retry');
        }
        return;
      }
      if (this.failures > 0) this.opts.logger?.info({ failures: this.failures }, 'accounting: queue reachable again, buffered events sent');
      this.failures = 0;
      this.retryAt = 0;
      this.pending = undefined;
      this.stats.sent += batch.events.length;
      this.stats.batchesSent++;
      this.metrics.batches?.inc({ result: 'sent' });
    }
  }

  /** Stop the timer and try to send what is left, for at most timeoutMs. */
  async close(timeoutMs = 2000): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.bufferedCount() > 0 && Date.now() < deadline) {
      this.retryAt = 0;
      await this.flush();
      if (this.bufferedCount() > 0) await new Promise((r) => setTimeout(r, 100));
    }
    this.closed = true;
    const left = this.bufferedCount();
    if (left > 0) {
      this.drop(left);
      this.opts.logger?.error({ lost: left }, 'accounting: node stopping with events not sent');
    }
  }
}
