import type { SourceGate } from '#libs/proxy';
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
});

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
