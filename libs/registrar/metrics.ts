import { Counter, Gauge, type Registry } from 'prom-client';

export const REGISTRAR_METRIC_NAMES = {
  registers: 'sbc_registrar_registers_total',
  lookups: 'sbc_registrar_lookups_total',
  contacts: 'sbc_registrar_contacts',
  aors: 'sbc_registrar_aors',
} as const;

export interface RegistrarMetrics {
  register(outcome: string): void;
  lookup(result: 'found' | 'not_found'): void;
}

/** counts() is cluster-wide (a table dump): read at most every cacheMs. */
export function createRegistrarMetrics(registry: Registry, counts: () => Promise<{ aors: number; contacts: number }>, cacheMs = 5000): RegistrarMetrics {
  const registers = new Counter({ name: REGISTRAR_METRIC_NAMES.registers, help: 'REGISTERs answered by the registrar (after auth), by outcome (saved, removed, fetched, refused)', labelNames: ['outcome'], registers: [registry] });
  const lookups = new Counter({ name: REGISTRAR_METRIC_NAMES.lookups, help: 'location lookups for requests to local users', labelNames: ['result'], registers: [registry] });
  let cached: { at: number; v: { aors: number; contacts: number } } | undefined;
  const read = async () => {
    if (cached === undefined || Date.now() - cached.at > cacheMs) {
      try { cached = { at: Date.now(), v: await counts() }; } catch { /* keep the last figures while the store is away */ }
    }
    return cached?.v ?? { aors: 0, contacts: 0 };
  };
  new Gauge({ name: REGISTRAR_METRIC_NAMES.contacts, help: 'registered contacts, cluster-wide (refreshed at most every 5 s)', registers: [registry], async collect() { this.set((await read()).contacts); } });
  new Gauge({ name: REGISTRAR_METRIC_NAMES.aors, help: 'AoRs with at least one registered contact, cluster-wide', registers: [registry], async collect() { this.set((await read()).aors); } });
  return {
    register: (outcome) => registers.inc({ outcome }),
    lookup: (result) => lookups.inc({ result }),
  };
}
