// libs/bans: per-IP bans (Kamailio htable `ipban`), shared cluster-wide.
// The table lives in Redis (truth) and in every node's local replica kept
// current over NATS, so the per-request check is a Map lookup.
//   bansGate(table)            source gate: drop everything from a banned address, before parsing
//   bansFailClosedStep(up)     refuse everything (503) while Redis is down, when state.fail_mode.bans = closed
//   bansAdminCommands(table)   htable.dump / htable.sets / htable.delete for ipban (kamcmd names)
//   BANS_REJECTIONS            bans.banned (silent drop), metric label "banned"
//   createBanMetrics           sbc_bans_active
export { bansGate, bansFailClosedStep, BANS_REJECTIONS, BAN_TABLE } from './step.ts';
export { bansAdminCommands } from './admin.ts';
export { createBanMetrics } from './metrics.ts';
export { bansFeature, type BansHandle } from './feature.ts';
