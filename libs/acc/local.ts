// The embedded mode (one node, memory state, no Redis): the node assembles its
// own records in memory and appends each finished one as a JSON line to a
// file. The same assembly as the writer (record.ts); open calls are bounded
// (maxOpenCalls: past it the oldest open call is closed as it stands) and
// closed by their deadline like the writer's sweep.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { AccSink } from './emitter.ts';
import type { AccBatch } from './events.ts';
import type { CallMetrics } from './metrics.ts';
import type { Expiry } from './pg-store.ts';
import { applyEvent, deadlineOf, finishRecord, isComplete, newCallState, type AccRecord, type CallState } from './record.ts';

export interface LocalAssemblerOptions {
  /** JSON Lines file the records are appended to */
  file: string;
  expiry: Expiry;
  maxOpenCalls?: number;
  /** how often deadlines are checked; default 1000 ms */
  sweepMs?: number;
  metrics?: CallMetrics;
  logger?: Logger;
  now?: () => number;
}

/** Calls closed recently: late events about them are ignored (as the writer ignores them once acc_cdrs has the call). */
const RECENT_CLOSED = 10_000;

export class LocalAssembler implements AccSink {
  private readonly open = new Map<string, CallState>();
  private readonly closed = new Set<string>();
  private readonly out: WriteStream;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private written = 0;

  constructor(private readonly opts: LocalAssemblerOptions) {
    mkdirSync(dirname(opts.file), { recursive: true });
    this.out = createWriteStream(opts.file, { flags: 'a' });
    this.out.on('error', (err) => opts.logger?.error({ err: err.message, file: opts.file }, 'accounting: cannot write the records file'));
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), opts.sweepMs ?? 1000);
    this.timer.unref();
  }

  send(batch: AccBatch): void {
    for (const ev of batch.events) {
      if (this.closed.has(ev.call)) continue;
      let s = this.open.get(ev.call);
      if (s === undefined) {
        if (this.open.size >= (this.opts.maxOpenCalls ?? 100_000)) this.evictOldest();
        s = newCallState(ev.call);
        this.open.set(ev.call, s);
      }
      applyEvent(s, ev);
      if (isComplete(s)) this.closeCall(s);
    }
  }

  private evictOldest(): void {
    const first = this.open.values().next();
    if (first.done !== true) {
      this.opts.logger?.warn({ callId: first.value.call }, 'accounting: too many open calls, oldest closed early');
      this.closeCall(first.value, this.now());
    }
  }

  private closeCall(s: CallState, now?: number): void {
    this.open.delete(s.call);
    this.closed.add(s.call);
    if (this.closed.size > RECENT_CLOSED) this.closed.delete(this.closed.values().next().value as string);
    this.write(finishRecord(s, now));
  }

  private write(r: AccRecord): void {
    this.written++;
    this.opts.metrics?.observe(r);
    this.out.write(`${JSON.stringify(r)}\n`);
  }

  /** Closes calls whose deadline passed (node lost mid-setup, no BYE before the dialog expired). */
  sweep(): void {
    const now = this.now();
    for (const s of this.open.values()) {
      if (deadlineOf(s, this.opts.expiry) < now) this.closeCall(s, now);
    }
  }

  stats(): { open: number; written: number } {
    return { open: this.open.size, written: this.written };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await new Promise<void>((r) => this.out.end(() => r()));
  }
}
