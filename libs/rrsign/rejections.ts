import { defineRejections } from '#libs/rejections';

export const RR_SIGN_REJECTIONS = defineRejections({
  invalid: {
    code: 'rr_sign.invalid',
    status: 403,
    reason: 'Forbidden - Route Not Signed By Us',
    label: 'rr_sign_invalid',
    log: 'in-dialog request with a Route to this node that it did not sign: refused',
    doc: 'An in-dialog request (To tag) came with a Route naming this node whose `rrs` signature is wrong for its Call-ID (rr_sign.mode sign or enforce), or missing (enforce), from a source that is not trusted. The node did not record-route this dialog: relaying it would let anyone reach any host through the node. A dialog set up before the node signed (rolling upgrade): keep rr_sign.mode sign until such dialogs have ended.',
    level: 'info',
  },
  invalidAck: {
    code: 'rr_sign.invalid_ack',
    status: 'drop',
    label: 'rr_sign_invalid',
    log: 'ACK with a Route to this node that it did not sign: dropped',
    doc: 'As rr_sign.invalid, for an ACK: ACKs are never answered, so it is dropped.',
    level: 'info',
  },
});
