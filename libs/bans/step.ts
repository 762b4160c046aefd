import type { Step } from '#libs/pipeline';
import type { RequestContext } from '#libs/proxy';
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

/** Drops requests whose source address is banned. Pure local lookup: no Redis on the hot path. */
export function bansStep(table: Pick<ReplicatedTable, 'has'>): Step<RequestContext> {
  return {
    name: 'bans',
    run: (ctx) => (table.has(ctx.source.address) ? { reject: 'bans.banned' } : 'next'),
  };
}
