// The bans feature: the cluster-wide ipban table (Redis + NATS + local
// replica), its pre-parse gate, the fail-closed step and htable.* commands.
import type { NodeConfig } from '#libs/config';
import { defineFeature } from '#libs/feature';
import { ReplicatedTable } from '#libs/replica';
import { bansAdminCommands } from './admin.ts';
import { createBanMetrics } from './metrics.ts';
import { BAN_TABLE, BANS_REJECTIONS, bansFailClosedStep, bansGate } from './step.ts';

/** What bans gives later features (pike writes its bans into the table). */
export interface BansHandle {
  readonly table: ReplicatedTable;
}

export const bansFeature = defineFeature<NodeConfig, BansHandle>({
  name: 'bans',
  doc: 'ipban: a cluster-wide table of banned source addresses, checked before parsing.',
  rejections: Object.values(BANS_REJECTIONS),
  metrics: ['sbc_bans_active'],
  async start(ctx) {
    const { config, state } = ctx;
    const table = await ReplicatedTable.start({ name: BAN_TABLE, channel: 'ban', state, bus: ctx.bus, logger: ctx.logger, registry: ctx.registry, resyncIntervalMs: config.bus.resync_interval });
    createBanMetrics(ctx.registry, table);
    return {
      gates: [bansGate(table)],
      // state down with fail_mode.bans closed: refuse rather than let a banned flood through
      steps: config.state.fail_mode.bans === 'closed' ? [{ place: 'screening', step: bansFailClosedStep(() => state.status().up) }] : [],
      admin: bansAdminCommands(table),
      provides: { table },
      stop: () => table.close(),
    };
  },
});
