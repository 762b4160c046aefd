// Counters of blocked and whitelisted requests per check: Prometheus series
// for dashboards, plus plain local numbers for the secfilter.stats command
// (which, unlike the Prometheus counters, can be reset).
import { Counter, type Registry } from 'prom-client';
import { CHECKS, type Check } from './rejections.ts';
import { LIST_TYPES, type ListType } from './lists.ts';

export const SECFILTER_METRIC_NAMES = {
  blocked: 'sbc_secfilter_blocked_total',
  whitelisted: 'sbc_secfilter_whitelisted_total',
} as const;

export interface SecfilterStats {
  blocked: Record<Check, number>;
  whitelisted: Record<ListType, number>;
  /** ms since epoch of the last reset (or of the start) */
  since: number;
}

function counter(registry: Registry, name: string, help: string): Counter<'check'> {
  // a registry shared by several instances (tests, several nodes in one process) keeps one metric
  const existing = registry.getSingleMetric(name) as Counter<'check'> | undefined;
  return existing ?? new Counter({ name, help, labelNames: ['check'], registers: [registry] });
}

export class SecfilterMetrics {
  private readonly blockedCounter: Counter<'check'>;
  private readonly whitelistedCounter: Counter<'check'>;
  private local: SecfilterStats;

  constructor(registry: Registry, private readonly now: () => number = Date.now) {
    this.blockedCounter = counter(registry, SECFILTER_METRIC_NAMES.blocked, 'requests refused by secfilter, by check (ua, ip, domain, user, dst, sqli)');
    this.whitelistedCounter = counter(registry, SECFILTER_METRIC_NAMES.whitelisted, 'requests whose value matched a secfilter whitelist (the blacklist of that check was skipped), by check');
    // series exist from the start so rate() works on the first hit
    for (const c of CHECKS) this.blockedCounter.inc({ check: c }, 0);
    for (const c of LIST_TYPES) this.whitelistedCounter.inc({ check: c }, 0);
    this.local = this.empty();
  }

  blocked(check: Check): void {
    this.blockedCounter.inc({ check });
    this.local.blocked[check]++;
  }

  whitelisted(type: ListType): void {
    this.whitelistedCounter.inc({ check: type });
    this.local.whitelisted[type]++;
  }

  stats(): SecfilterStats {
    return { blocked: { ...this.local.blocked }, whitelisted: { ...this.local.whitelisted }, since: this.local.since };
  }

  /** resets the numbers secfilter.stats shows; Prometheus counters never go back */
  reset(): void {
    this.local = this.empty();
  }

  private empty(): SecfilterStats {
    return {
      blocked: Object.fromEntries(CHECKS.map((c) => [c, 0])) as Record<Check, number>,
      whitelisted: Object.fromEntries(LIST_TYPES.map((c) => [c, 0])) as Record<ListType, number>,
      since: this.now(),
    };
  }
}
