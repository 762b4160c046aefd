// Bus metrics on the registry the node passes in.
import { Counter, type Registry } from 'prom-client';
import type { ChannelKind } from './subjects.ts';

/** out: published; in: received and delivered; dropped: not sent (bus down/closed);
 *  invalid: received but not decodable (unknown version/type, bad shape). */
export type Direction = 'out' | 'in' | 'dropped' | 'invalid';

export const BUS_METRIC_NAMES = { messages: 'sbc_bus_messages_total' } as const;

type Labels = 'subject_kind' | 'direction';

export class BusMetrics {
  private readonly messages: Counter<Labels>;
  constructor(registry: Registry) {
    // Several buses (in-process test nodes) may share one registry.
    const existing = registry.getSingleMetric(BUS_METRIC_NAMES.messages) as Counter<Labels> | undefined;
    this.messages = existing ?? new Counter<Labels>({
      name: BUS_METRIC_NAMES.messages,
      help: 'Cluster bus messages by subject kind and direction (out, in, dropped, invalid)',
      labelNames: ['subject_kind', 'direction'],
      registers: [registry],
    });
  }
  count(kind: ChannelKind | 'unknown', direction: Direction): void {
    this.messages.inc({ subject_kind: kind, direction });
  }
}
