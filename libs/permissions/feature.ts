// The permissions feature (Kamailio permissions): address groups, trusted,
// allow_routing/register/uri and group policies as one screening step; its
// tables are replaced cluster-wide through ClusterConfig.
import type { NodeConfig } from '#libs/config';
import { defineFeature } from '#libs/feature';
import type { SipMessage } from '#libs/sip';
import type { SourceInfo } from './address.ts';
import { isTrusted } from './check.ts';
import { permissionsApplyCommand } from './admin.ts';
import { permissionsSection, type PermissionsConfig } from './config.ts';
import { PERMISSIONS_METRIC_NAMES } from './metrics.ts';
import { applyPermissionsDoc, createPermissions, PERMISSIONS_CONFIG_KIND } from './permissions.ts';

/** What later features use: whether a request's source is trusted (trusted table or trusted_group), with the current tables. */
export interface PermissionsHandle {
  trusted(msg: SipMessage, source: SourceInfo): boolean;
}

export const permissionsFeature = defineFeature<NodeConfig & { readonly permissions: PermissionsConfig }, PermissionsHandle>({
  name: 'permissions',
  doc: 'Access control: address groups, trusted sources, routing/register/URI rules and group policies.',
  sections: [permissionsSection],
  metrics: Object.values(PERMISSIONS_METRIC_NAMES),
  start(ctx) {
    const { clusterConfig } = ctx;
    const permissions = createPermissions({ config: ctx.config.permissions, registry: ctx.registry, logger: ctx.logger, ...(ctx.baseDir !== undefined ? { baseDir: ctx.baseDir } : {}) });
    const current = clusterConfig.get(PERMISSIONS_CONFIG_KIND);
    if (current !== undefined) applyPermissionsDoc(permissions, current.doc);
    clusterConfig.onChange((kind, doc) => { if (kind === PERMISSIONS_CONFIG_KIND) applyPermissionsDoc(permissions, doc); });
    return {
      steps: [{ place: 'screening', step: permissions.step }],
      admin: [...permissions.admin, permissionsApplyCommand(permissions, (doc) => clusterConfig.apply(PERMISSIONS_CONFIG_KIND, doc))],
      rejections: permissions.rejections,
      provides: { trusted: (msg, source) => isTrusted(permissions.tables(), msg, source) },
    };
  },
});
