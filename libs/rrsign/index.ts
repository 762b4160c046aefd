// libs/rrsign: signed Record-Route (issue 20). The node writes `;rrs=<HMAC of
// Call-ID and ftag>` into the Record-Route it inserts; an in-dialog request
// whose Route names this node without a valid signature is refused 403 (an
// ACK dropped) unless its source is trusted. rr_sign.mode off | sign (accept
// unsigned: rolling-upgrade grace) | enforce. docs/rr-sign.md.
//   rrSignFeature        the descriptor (section `rr_sign`, screening step `rr-check`, final step `rr-sign`)
//   RR_SIGN_REJECTIONS   rr_sign.invalid (403), rr_sign.invalid_ack (drop); metric label rr_sign_invalid
//   sbc_rr_sign_checks_total{result}
export { rrSignFeature } from './feature.ts';
export { rrSignSection, type RrSignConfig } from './config.ts';
export { RouteSigner, MIN_SECRET_CHARS } from './signer.ts';
export { rrCheckStep, rrSignStep, SIG_PARAM, type RrCheckDeps, type CheckResult } from './steps.ts';
export { RR_SIGN_REJECTIONS } from './rejections.ts';
