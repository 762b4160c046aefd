// Two features from libs/secfilter: secfilter (user-agent/IP/domain/user/
// destination lists and the SQL-injection check, a screening step) and
// hygiene (internal headers stripped and Server/User-Agent rewritten on
// every relayed request and response).
import type { NodeConfig } from '#libs/config';
import { defineFeature } from '#libs/feature';
import { secfilterSection, type SecfilterConfig } from './config.ts';
import { createHeaderHygiene, hygieneOptions, hygieneSection, hygieneStep, type HygieneConfig } from './hygiene.ts';
import { SECFILTER_METRIC_NAMES } from './metrics.ts';
import { SECFILTER_REJECTIONS } from './rejections.ts';
import { createSecfilter } from './step.ts';

export const secfilterFeature = defineFeature<NodeConfig & { readonly secfilter: SecfilterConfig }>({
  name: 'secfilter',
  doc: 'Deny/allow lists on User-Agent, source IP, domains, users and destinations, and an SQL-injection check.',
  sections: [secfilterSection],
  rejections: Object.values(SECFILTER_REJECTIONS),
  metrics: Object.values(SECFILTER_METRIC_NAMES),
  start(ctx) {
    const secfilter = createSecfilter({ config: ctx.config.secfilter, registry: ctx.registry, logger: ctx.logger });
    return { steps: [{ place: 'screening', step: secfilter.step }], admin: secfilter.admin };
  },
});

export const hygieneFeature = defineFeature<NodeConfig & { readonly hygiene: HygieneConfig }>({
  name: 'hygiene',
  doc: 'Header hygiene: internal headers removed, Server/User-Agent rewritten, on requests and responses leaving the node.',
  sections: [hygieneSection],
  start(ctx) {
    const hygiene = createHeaderHygiene(hygieneOptions(ctx.config.hygiene));
    return { steps: [{ place: 'final', step: hygieneStep(hygiene) }], scrubRelayed: (m) => hygiene.scrub(m) };
  },
});
