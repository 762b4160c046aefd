import type { Step } from '#libs/pipeline';
import type { RequestContext, SourceGate } from '#libs/proxy';
import { defineRejections } from '#libs/rejections';
import type { ReplicatedTable } from '#libs/replica';

/** The htable name, as in Kamailio seed configs (`$sht(ipban=>$si)`). */
export const BAN_TABLE = 'ipban';

export const BANS_REJECTIONS = defineRejections({
  banned: {
    code: 'bans.banned',
    status: 'drop',
    label: 'banned',
    log: 'request from a banned source dropped',
    doc: 'The source IP is in the ipban table (set by pike or by an operator with htable.sets). Dropped silently, before any other work. Remove with the htable.delete admin command.',
  },
  backendDown: {
    code: 'bans.backend_down',
    status: 503,
    reason: 'Service Unavailable',
    label: 'backend_down',
    log: 'request refused: Redis unreachable and state.fail_mode.bans is closed',
    doc: 'With state.fail_mode.bans = closed the node refuses every request while Redis (the ban list\'s source of truth) is unreachable. Set it to open to keep serving from the local replica.',
    level: 'warn',
  },
});

/**
 * fail_mode closed (state.fail_mode.bans): while the state backend is down the
 * ban list cannot be trusted to be current, so every request is refused with
 * 503. Runs after sanity, so the refusal can be answered.
 */
export function bansFailClosedStep(backendUp: () => boolean): Step<RequestContext> {
  return {
    name: 'bans.fail-closed',
    run: () => (backendUp() ? 'next' : { reject: 'bans.backend_down' }),
  };
}

/**
 * Drops everything from a banned source address, before parsing (Kamailio
 * seeds check `$sht(ipban=>$si)` first thing). A local Map lookup: no Redis
 * on the hot path.
 */
export function bansGate(table: Pick<ReplicatedTable, 'has'>): SourceGate {
  return {
    name: 'bans',
    check: (remote) => (table.has(remote.address) ? 'bans.banned' : undefined),
  };
}
