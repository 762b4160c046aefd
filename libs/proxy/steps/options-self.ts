// `options-self`: an OPTIONS whose Request-URI names this node with no user
// part is a keep-alive / health probe (load balancers, peers, monitoring):
// answered 200 here, never relayed.
import type { SipMessage } from '#libs/sip';
import type { Step } from '#libs/pipeline';
import type { RequestContext } from '../context.ts';
import type { OwnAddresses } from '../own-addresses.ts';

export function isOptionsToSelf(msg: SipMessage, own: OwnAddresses): boolean {
  if (msg.method !== 'OPTIONS' || msg.toTag() !== undefined) return false;
  const ruri = msg.requestUri();
  return ruri !== undefined && ruri.user === undefined && own.isOwnUri(ruri);
}

export function optionsSelfStep(deps: {
  own: OwnAddresses;
  reply(ctx: RequestContext, status: number, reason: string, headers?: [string, string][]): void;
  allow: string;
}): Step<RequestContext> {
  return {
    name: 'options-self',
    run(ctx) {
      if (!isOptionsToSelf(ctx.msg, deps.own)) return 'next';
      deps.reply(ctx, 200, 'OK', [['Allow', deps.allow], ['Accept', 'application/sdp'], ['Content-Length', '0']]);
      return 'done';
    },
  };
}
