// What UDP and TCP endpoints share: metrics, a rate-limited log for peer
// trouble (a hostile peer must not flood the logs), and the guarded call of
// the one inbound handler.
import type { Logger } from 'pino';
import { RateLimitedLog, type LogRateLimit } from '#libs/rejections';
import type { TransportMetrics } from './metrics.ts';
import type { InboundHandler, InboundMessage, Proto, RemoteInfo } from './types.ts';

export class EndpointContext {
  readonly metrics: TransportMetrics;
  readonly logger: Logger;
  readonly #log: RateLimitedLog;
  #handler: InboundHandler | undefined;
  /** who may open a connection (bans): checked at accept, before any byte is read */
  admit: (remote: RemoteInfo) => boolean = () => true;

  constructor(metrics: TransportMetrics, logger: Logger, logRate?: LogRateLimit) {
    this.metrics = metrics;
    this.logger = logger;
    this.#log = new RateLimitedLog(logger, logRate);
  }

  setHandler(handler: InboundHandler): void {
    this.#handler = handler;
  }

  /** Hand one message to the handler; nothing it throws or rejects escapes. */
  deliver(msg: InboundMessage): void {
    const h = this.#handler;
    if (h === undefined) return;
    try {
      const r = h(msg);
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
        (r as Promise<void>).then(undefined, (err: unknown) => this.#handlerFailed(msg.remote.proto, err));
      }
    } catch (err) {
      this.#handlerFailed(msg.remote.proto, err);
    }
  }

  #handlerFailed(proto: Proto, err: unknown): void {
    this.metrics.error(proto, 'handler');
    this.peerLog('warn', 'handler', { err }, 'inbound handler failed');
  }

  /** One log line per event kind up to the rate; the next line says how many were suppressed. */
  peerLog(level: 'debug' | 'info' | 'warn', event: string, fields: Record<string, unknown>, msg: string): void {
    this.#log.write(level, event, fields, msg);
  }

  countError(proto: Proto, reason: Parameters<TransportMetrics['error']>[1]): void {
    this.metrics.error(proto, reason);
  }
}
