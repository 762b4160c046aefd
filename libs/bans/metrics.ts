import { Gauge, type Registry } from 'prom-client';
import type { ReplicatedTable } from '#libs/replica';

export function createBanMetrics(registry: Registry, table: Pick<ReplicatedTable, 'size'>): void {
  new Gauge({
    name: 'sbc_bans_active',
    help: 'source addresses currently banned (this node’s view of the cluster-wide ipban table)',
    registers: [registry],
    collect() { this.set(table.size); },
  });
}
