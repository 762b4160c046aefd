// The two steps of rr_sign. `rr-sign` (final): a dialog-creating request
// about to be relayed gets the signature its Record-Route will carry.
// `rr-check` (screening, so a refusal makes no transaction): an in-dialog
// request whose Route names this node must carry our signature for its
// Call-ID, unless its source is trusted.
import type { Step } from '#libs/pipeline';
import { routeFtag, type OwnAddresses, type RequestContext } from '#libs/proxy';
import type { SipMessage } from '#libs/sip';
import type { RemoteInfo } from '#libs/transport';
import type { RouteSigner } from './signer.ts';

/** the Record-Route URI parameter carrying the signature */
export const SIG_PARAM = 'rrs';

export function rrSignStep(signer: RouteSigner): Step<RequestContext> {
  return {
    name: 'rr-sign',
    run(ctx) {
      if (ctx.recordRoute) ctx.rrParam = `;${SIG_PARAM}=${signer.sign(ctx.msg.callId() ?? '', routeFtag(ctx.msg.fromTag()) ?? '')}`;
      return 'next';
    },
  };
}

export type CheckResult = 'valid' | 'unsigned_accepted' | 'trusted' | 'refused';

export interface RrCheckDeps {
  signer: RouteSigner;
  own: OwnAddresses;
  /** enforce: unsigned routes are refused too */
  enforce: boolean;
  trusted(msg: SipMessage, source: RemoteInfo): boolean;
  /** counts each checked request by result */
  count(result: CheckResult): void;
}

export function rrCheckStep(deps: RrCheckDeps): Step<RequestContext> {
  return {
    name: 'rr-check',
    run(ctx) {
      const msg = ctx.msg;
      if (!ctx.inDialog || !msg.hasHeader('route')) return 'next';
      const top = msg.routes()[0];
      // not ours: loose-route refuses it (proxy.not_here)
      if (top === undefined || !deps.own.isOwnUri(top.uri)) return 'next';
      const params = top.uri?.params;
      const sig = params?.get(SIG_PARAM);
      if (typeof sig === 'string' && deps.signer.verify(msg.callId() ?? '', params?.get('ftag') ?? '', sig)) {
        deps.count('valid');
        return 'next';
      }
      if (sig === undefined && !deps.enforce) {
        deps.count('unsigned_accepted');
        return 'next';
      }
      if (deps.trusted(msg, ctx.source)) {
        deps.count('trusted');
        return 'next';
      }
      deps.count('refused');
      const detail = sig === undefined ? 'unsigned Route' : 'bad Route signature';
      return { reject: msg.method === 'ACK' ? 'rr_sign.invalid_ack' : 'rr_sign.invalid', detail };
    },
  };
}
