// `record-route` (Kamailio rr record_route): dialog-creating requests keep
// the node on the route set, so in-dialog requests come back through the
// cluster's advertised address. The header itself is added per branch by the
// relay, because the outbound socket decides single or double Record-Route.
import type { Step } from '#libs/pipeline';
import type { RequestContext } from '../context.ts';

const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

export function recordRouteStep(): Step<RequestContext> {
  return {
    name: 'record-route',
    run(ctx) {
      if (!ctx.inDialog && DIALOG_CREATING.has(ctx.msg.method)) ctx.recordRoute = true;
      return 'next';
    },
  };
}
