// The registrar feature: REGISTERs for the local domains answered here
// (registrar.save), requests for their users routed to the registered
// contacts (registrar.lookup), ul.* admin commands and metrics. Both steps
// run in `routing`, after auth's and before the dispatcher's (feature order).
import type { NodeConfig } from '#libs/config';
import { defineFeature } from '#libs/feature';
import { authFeature } from '#libs/auth';
import { OwnAddresses, type FailoverPolicy, type Hop, type RequestContext } from '#libs/proxy';
import { registrarAdminCommands } from './admin.ts';
import { registrarSection, type RegistrarConfig } from './config.ts';
import { createRegistrarMetrics, REGISTRAR_METRIC_NAMES } from './metrics.ts';
import { Registrar, type LookupTarget } from './registrar.ts';
import { REGISTRAR_REJECTIONS } from './rejections.ts';
import { registrarLookupStep, registrarSaveStep } from './step.ts';

type RegistrarNodeConfig = NodeConfig & { readonly registrar: RegistrarConfig };

export const registrarFeature = defineFeature<RegistrarNodeConfig>({
  name: 'registrar',
  doc: 'Registrar and location service (Kamailio registrar + usrloc): bindings in the shared state, any node answers for any user.',
  sections: [registrarSection],
  rejections: Object.values(REGISTRAR_REJECTIONS),
  metrics: Object.values(REGISTRAR_METRIC_NAMES),
  start(ctx) {
    const c = ctx.config.registrar;
    if (!c.enabled) return {};
    const auth = ctx.use(authFeature);
    if (!auth.enabled) ctx.logger.warn('registrar enabled without auth: anyone may register any user of the local domains');
    const registrar = new Registrar({
      policy: { defaultExpires: c.default_expires, minExpires: c.min_expires, maxExpires: c.max_expires, maxContacts: c.max_contacts },
      useReceived: c.use_received,
      locations: ctx.state.locations,
      tables: ctx.state.tables,
      nodeId: ctx.config.node.id,
      logger: ctx.logger,
    });
    const metrics = createRegistrarMetrics(ctx.registry, () => registrar.counts());
    const own = new OwnAddresses(ctx.transport.sockets, ctx.config.sip.aliases);
    const deps = {
      registrar,
      domains: auth.domains,
      isOwnUri: (u: Parameters<OwnAddresses['isOwnUri']>[0]) => own.isOwnUri(u),
      isSubscriber: (user: string, domain: string) => auth.subscribers.exists(user, domain),
      metrics,
    };
    const fork: FailoverPolicy = { codes: NEXT_CONTACT_ON, onTimeout: true, afterRinging: true, branchTimeoutMs: c.branch_timeout, exhausted: { status: 480, reason: 'Temporarily Unavailable' } };
    const parallel = c.fork === 'parallel';
    return {
      steps: [{ place: 'routing', step: registrarSaveStep(deps) }, { place: 'routing', step: registrarLookupStep(deps, (ctx, targets) => toHops(ctx, targets, fork, parallel)) }],
      admin: registrarAdminCommands(registrar),
    };
  },
});

/** Statuses that send the call on to the next contact: the phone is not there (or not reachable), rather than busy or refusing. */
const NEXT_CONTACT_ON: ReadonlySet<number> = new Set([408, 410, 430, 480, 500, 502, 503, 504]);

/** The contacts in q order (serial) or all at once (parallel), each with its URI as the branch's Request-URI and its Path as Route set. */
function toHops(ctx: RequestContext, targets: LookupTarget[], fork: FailoverPolicy, parallel: boolean): Hop[] {
  ctx.failover = fork;
  ctx.parallel = parallel;
  return targets.map((t) => ({ target: t.target, label: t.uri, uri: t.uri, ...(t.routes.length > 0 ? { routes: t.routes } : {}) }));
}
