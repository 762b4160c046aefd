import { Counter, Gauge, type Registry } from 'prom-client';

export const PIKE_METRIC_NAMES = {
  blocked: 'sbc_pike_blocked_total',
  bans: 'sbc_pike_bans_total',
  sources: 'sbc_pike_sources',
} as const;

export interface PikeMetrics {
  blocked: Counter;
  bans: Counter;
}

export function createPikeMetrics(registry: Registry, sources: () => number): PikeMetrics {
  new Gauge({
    name: PIKE_METRIC_NAMES.sources,
    help: 'source addresses this node is tracking (seen in the current or previous pike sampling unit)',
    registers: [registry],
    collect() { this.set(sources()); },
  });
  return {
    blocked: new Counter({ name: PIKE_METRIC_NAMES.blocked, help: 'requests refused by pike (source over the density, before its ban took hold)', registers: [registry] }),
    bans: new Counter({ name: PIKE_METRIC_NAMES.bans, help: 'sources this node banned in ipban for exceeding the pike density', registers: [registry] }),
  };
}
