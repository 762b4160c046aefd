// The pike feature: anti-flood counted cluster-wide, banning into the bans
// table. Its own addresses, the dispatcher's gateways and the permissions
// trusted group are never counted (Kamailio seeds exempt them too).
import type { NodeConfig } from '#libs/config';
import { bansFeature } from '#libs/bans';
import { dispatcherFeature } from '#libs/dispatcher';
import { defineFeature } from '#libs/feature';
import type { PermissionsConfig } from '#libs/permissions';
import { parseUri } from '#libs/sip';
import { pikeSection, type PikeConfig } from './config.ts';
import { PIKE_METRIC_NAMES } from './metrics.ts';
import { createPike } from './pike.ts';
import { PIKE_REJECTIONS } from './rejections.ts';

type PikeNodeConfig = NodeConfig & { readonly pike: PikeConfig; readonly permissions: PermissionsConfig };

/** The node's own listen and advertised hosts, and the permissions trusted group's rows (ip or CIDR). */
function ownAndTrusted(config: PikeNodeConfig): string[] {
  const group = config.permissions.trusted_group;
  const trusted = group === undefined ? [] : config.permissions.address.filter((r) => r.group === group).map((r) => r.ip);
  return [...config.sip.listen.flatMap((l) => (l.advertise ? [l.host, l.advertise.host] : [l.host])), ...trusted];
}

export const pikeFeature = defineFeature<PikeNodeConfig>({
  name: 'pike',
  doc: 'Anti-flood: requests per source counted cluster-wide; a flooder is banned on every node.',
  sections: [pikeSection],
  rejections: Object.values(PIKE_REJECTIONS),
  metrics: Object.values(PIKE_METRIC_NAMES),
  start(ctx) {
    const { config } = ctx;
    const dispatcher = ctx.use(dispatcherFeature).state;
    const own = ownAndTrusted(config);
    const gateways = () => dispatcher.list().flatMap((s) => s.destinations.map((d) => parseUri(d.uri)?.host ?? '')).filter((h) => h !== '');
    const pike = createPike({ config: config.pike, state: ctx.state, bans: ctx.use(bansFeature).table, exempt: [...own, ...gateways()], registry: ctx.registry, logger: ctx.logger });
    dispatcher.on('reload', () => pike.setExempt([...own, ...gateways()]));
    // the gate counts malformed messages (refused before any step runs) toward the same density
    const gate = { name: 'pike', check: () => undefined, malformed: (remote: { address: string }) => pike.malformed(remote.address) };
    return { steps: [{ place: 'screening', step: pike.step }], gates: config.pike.enabled ? [gate] : [], admin: pike.admin, stop: () => pike.close() };
  },
});
