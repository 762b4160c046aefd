// libs/permissions: Kamailio `permissions` (+ `group` policies) as one step.
//
//   const perms = createPermissions({ config: config.permissions, registry, logger });
//   screening: [perms.step]                 step "permissions": trusted -> source_group -> allow_register /
//                                           allow_routing -> allow_uri (REFER) -> group policies
//   perms.admin                             permissions.address_dump / subnet_dump / trusted_dump / allow_uri / reload
//   perms.rejections                        for createRejectionCatalog (permissions.* codes, 403s)
//   perms.reload() / applyPermissionsDoc()  atomic swap of the compiled tables (files, or a cluster document)
//   permissionsApplyCommand(perms, publish) permissions.apply: check a document, then publish it (ClusterConfig)
//
// Config: permissionsSection (key `permissions`). Metrics: sbc_permissions_denied_total{rule},
// sbc_permissions_reloads_total{result}. Operator docs: docs/permissions.md.
export { permissionsSection, type PermissionsConfig } from './config.ts';
export {
  createPermissions,
  applyPermissionsDoc,
  parsePermissionsDoc,
  PermissionsConfigError,
  PERMISSIONS_CONFIG_KIND,
  PERMISSIONS_DOC_NAME,
  type Permissions,
  type PermissionsDeps,
  type ReloadResult,
  type ParsedDoc,
} from './permissions.ts';
export { PERMISSIONS_REJECTIONS, policyRejections, type DenyRule } from './rejections.ts';
export { PERMISSIONS_METRIC_NAMES } from './metrics.ts';
/** the pure decision and the single checks (Kamailio function names in their docs) */
export { checkRequest, checkRouting, checkRegister, checkReferTo, isTrusted, type Denial } from './check.ts';
/** tables, usable on their own */
export { AddressTable, PROTOS, type AddressEntryInput, type AddressDumpRow, type ProtoFilter, type SourceInfo } from './address.ts';
export { TrustedTable, type TrustedEntryInput, type TrustedDumpRow } from './trusted.ts';
export { RuleSet, parseRuleLine, ruleLineProblem, type Rule, type RuleDecision, type RuleSource, type Side } from './rules.ts';
export { parseRuleFile, loadRules, type RuleSpec } from './rule-files.ts';
export { UserGroups, type Policy, type PolicyInput } from './groups.ts';
export { compileTables, type Tables, type TablesSummary } from './tables.ts';
export { parseIp, parseCidr, type Cidr, type ParsedIp } from '#libs/address';
export { plainUri, parseMember, type UserId } from './uris.ts';
export { permissionsAdminCommands, permissionsApplyCommand } from './admin.ts';
export { permissionsFeature, type PermissionsHandle } from './feature.ts';
