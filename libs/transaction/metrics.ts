// Prometheus metrics of the transaction layer, registered on the Registry the
// caller passes in (never the global one).
import { Counter, Gauge, type Registry } from 'prom-client';
import { batchedChild } from '#libs/transport';
import type { RetransmitKind } from './context.ts';
import type { TimerName } from './types.ts';

export const TM_METRIC_NAMES = Object.freeze({
  active: 'sbc_tm_transactions_active',
  created: 'sbc_tm_transactions_total',
  retransmissions: 'sbc_tm_retransmissions_total',
  timeouts: 'sbc_tm_timeouts_total',
  stray: 'sbc_tm_stray_responses_total',
  reclaimed: 'sbc_tm_reclaimed_total',
});

export interface TmMetrics {
  created(side: 'server' | 'client', kind: 'invite' | 'non_invite'): void;
  retransmitted(kind: RetransmitKind): void;
  timedOut(timer: TimerName): void;
  stray(): void;
  /** a lingering transaction ended early to make room at the limit */
  reclaimed(side: 'server' | 'client'): void;
}

export function createTmMetrics(registry: Registry, counts: () => { server: number; client: number }): TmMetrics {
  new Gauge({
    name: TM_METRIC_NAMES.active,
    help: 'Transactions alive in this node (server and client side)',
    labelNames: ['side'] as const,
    registers: [registry],
    collect() {
      const c = counts();
      this.set({ side: 'server' }, c.server);
      this.set({ side: 'client' }, c.client);
    },
  });
  const created = new Counter({
    name: TM_METRIC_NAMES.created,
    help: 'Transactions created, by side and kind',
    labelNames: ['side', 'kind'] as const,
    registers: [registry],
  });
  const retrans = new Counter({
    name: TM_METRIC_NAMES.retransmissions,
    help: 'Retransmissions: request/response/ack re-sent by us, absorbed = a peer retransmission swallowed',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const timeouts = new Counter({
    name: TM_METRIC_NAMES.timeouts,
    help: 'Transaction timers that ended in failure (B, F, C, fr, cancel, H, lifetime)',
    labelNames: ['timer'] as const,
    registers: [registry],
  });
  const stray = new Counter({
    name: TM_METRIC_NAMES.stray,
    help: 'Responses that matched no client transaction',
    registers: [registry],
  });
  const reclaimed = new Counter({
    name: TM_METRIC_NAMES.reclaimed,
    help: 'Transactions that had their final and lingered for retransmissions, ended early to make room at tm.max_transactions (their linger was cut short; no call was refused)',
    labelNames: ['side'] as const,
    registers: [registry],
  });
  const reclaimedOf = { server: batchedChild(reclaimed, 'server'), client: batchedChild(reclaimed, 'client') };
  // counted per transaction: batched until the scrape (prom-client hashes label objects on every inc)
  const createdOf = {
    server: { invite: batchedChild(created, 'server', 'invite'), non_invite: batchedChild(created, 'server', 'non_invite') },
    client: { invite: batchedChild(created, 'client', 'invite'), non_invite: batchedChild(created, 'client', 'non_invite') },
  };
  return {
    created: (side, kind) => createdOf[side][kind].inc(),
    retransmitted: (kind) => retrans.inc({ kind }),
    timedOut: (timer) => timeouts.inc({ timer }),
    stray: () => stray.inc(),
    reclaimed: (side) => reclaimedOf[side].inc(),
  };
}
