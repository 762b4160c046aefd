// The auth feature: subscribers in the shared state, digest authentication
// of REGISTERs (401) and of local users' initial requests (407), nonces any
// node verifies, nc replay refused cluster-wide, and the auth_block_list.
// Its step runs in `routing` (after the transaction step: retransmissions are
// absorbed, not re-authenticated) and before the registrar's and the
// dispatcher's (feature order in services/sbc/features.ts).
import type { NodeConfig } from '#libs/config';
import { defineFeature } from '#libs/feature';
import type { PermissionsConfig } from '#libs/permissions';
import { AddressMatcher } from '#libs/address';
import { ReplicatedTable } from '#libs/replica';
import { blockAdminCommands, subscriberAdminCommands } from './admin.ts';
import { Authenticator } from './authenticator.ts';
import { AuthBlockList, BLOCK_TABLE } from './block-list.ts';
import { authBlockSection, authSection, type AuthBlockConfig, type AuthConfig } from './config.ts';
import { AUTH_METRIC_NAMES, createAuthMetrics } from './metrics.ts';
import { NonceCodec, type NonceBinding } from './nonce.ts';
import { AUTH_REJECTIONS } from './rejections.ts';
import { authSteps } from './step.ts';
import { SubscriberStore } from './subscribers.ts';

type AuthNodeConfig = NodeConfig & { readonly auth: AuthConfig; readonly auth_block: AuthBlockConfig; readonly permissions: PermissionsConfig };

/** What auth gives later features (the registrar: local domains, subscriber existence). */
export interface AuthHandle {
  readonly enabled: boolean;
  /** the local domains, lower-case */
  readonly domains: ReadonlySet<string>;
  readonly subscribers: SubscriberStore;
  /** the digest user (user@realm) a request authenticated as on this node, if it did */
  authenticatedUser(msg: object): string | undefined;
}

/** auth.trusted and the permissions trusted group's rows (ip or CIDR): never challenged. */
function trustedSources(config: AuthNodeConfig): AddressMatcher<true> {
  const group = config.permissions.trusted_group;
  const rows = group === undefined ? [] : config.permissions.address.filter((r) => r.group === group).map((r) => r.ip);
  return AddressMatcher.of([...config.auth.trusted, ...rows]);
}

export const authFeature = defineFeature<AuthNodeConfig, AuthHandle>({
  name: 'auth',
  doc: 'Digest authentication of subscribers (Kamailio auth, auth_db) with nonces valid on every node, nc replay protection and brute-force blocking.',
  sections: [authSection, authBlockSection],
  rejections: Object.values(AUTH_REJECTIONS),
  metrics: Object.values(AUTH_METRIC_NAMES),
  async start(ctx) {
    const { auth, auth_block } = ctx.config;
    const domains = new Set(auth.domains.map((d) => d.toLowerCase()));
    const subscribers = new SubscriberStore(ctx.state.tables);
    let userOf: (msg: object) => string | undefined = () => undefined;
    const provides: AuthHandle = { enabled: auth.enabled, domains, subscribers, authenticatedUser: (msg) => userOf(msg) };
    const subscriberAdmin = subscriberAdminCommands(subscribers);
    if (!auth.enabled) return { admin: subscriberAdmin, provides };

    const table = await ReplicatedTable.start({ name: BLOCK_TABLE, state: ctx.state, bus: ctx.bus, logger: ctx.logger, registry: ctx.registry, resyncIntervalMs: ctx.config.bus.resync_interval });
    const blocks = new AuthBlockList({ enabled: auth_block.enabled, mode: auth_block.mode, failures: auth_block.failures, windowMs: auth_block.window, blockMs: auth_block.block_time }, table, ctx.state.tables);
    const metrics = createAuthMetrics(ctx.registry, () => blocks.size);
    const secrets = [auth.secret!, ...auth.previous_secrets];
    const codec = (bindings: readonly NonceBinding[]) => new NonceCodec({ secrets, lifetimeMs: auth.nonce_expire, bindings });
    const authenticator = new Authenticator({
      options: { algorithms: auth.algorithms, checkIdentity: auth.check_identity },
      nonces: { www: codec(auth.auth_checks_register), proxy: codec(auth.auth_checks_no_dlg) },
      subscribers,
      claims: ctx.state.leases,
      blocks,
      onBlocked: (keys, id) => {
        for (const k of keys) metrics.blocked(k);
        ctx.logger.warn({ blocked: keys, src: id.ip }, 'auth_block: blocked after repeated authentication failures');
      },
    });
    const trusted = trustedSources(ctx.config);
    const steps = authSteps({ authenticator, domains, challengeMethods: new Set(auth.challenge_methods), isTrusted: (ip) => trusted.has(ip), metrics, logger: ctx.logger });
    userOf = steps.userOf;
    return {
      steps: [{ place: 'routing', step: steps.check }, { place: 'final', step: steps.consume }],
      admin: [...subscriberAdmin, ...blockAdminCommands(blocks)],
      provides,
      stop: () => table.close(),
    };
  },
});
