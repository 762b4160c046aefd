// createSecfilter: the `secfilter` pipeline step (a screening step: it runs
// after sanity, before any transaction exists, so a dropped scanner costs no
// state), its admin commands and a reload hook for config changes.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AdminCommand } from '#libs/admin';
import type { Step } from '#libs/pipeline';
import type { RequestContext } from '#libs/proxy';
import { secfilterAdminCommands } from './admin.ts';
import type { SecfilterConfig } from './config.ts';
import { Secfilter } from './filter.ts';
import { SecfilterMetrics } from './metrics.ts';
import { CHECK_CODES } from './rejections.ts';

export interface SecfilterDeps {
  config: SecfilterConfig;
  registry: Registry;
  logger: Logger;
  /** clock of the secfilter.stats "since" field (tests) */
  now?: () => number;
}

export interface SecfilterFeature {
  /** the `secfilter` step; sync */
  readonly step: Step<RequestContext>;
  /** secfilter.print / stats / stats_reset / add_bl / add_wl / del_bl / del_wl / add_dst */
  readonly admin: AdminCommand[];
  /** apply a new config (hot reload): lists are rebuilt from it, runtime admin changes are dropped */
  reload(config: SecfilterConfig): void;
  /** the decision itself, for callers outside the pipeline */
  readonly filter: Secfilter;
}

export function createSecfilter(deps: SecfilterDeps): SecfilterFeature {
  const metrics = new SecfilterMetrics(deps.registry, deps.now);
  const filter = new Secfilter(deps.config, metrics);
  const step: Step<RequestContext> = {
    name: 'secfilter',
    run(ctx) {
      const v = filter.evaluate(ctx.msg, ctx.source.address, ctx.inDialog);
      if (v.kind === 'pass') return 'next';
      return { reject: CHECK_CODES[v.check][v.action], detail: v.detail };
    },
  };
  return {
    step,
    admin: secfilterAdminCommands(filter, metrics, deps.logger),
    reload(config) {
      filter.reload(config);
      deps.logger.info({ enabled: config.enabled }, 'secfilter config reloaded (runtime list changes dropped)');
    },
    filter,
  };
}
