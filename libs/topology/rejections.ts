// Requests refused by topology hiding.
import { defineRejections } from '#libs/rejections';

export const TOPOLOGY_REJECTIONS = defineRejections({
  badToken: {
    code: 'topology.bad_token',
    status: 400,
    reason: 'Bad Request - Invalid Topology Token',
    label: 'topology_bad_token',
    log: 'request refused: its Request-URI, Route or Call-ID carries a topology token that does not open',
    doc: 'A masked value (topoh uparam, callid_prefix) that was tampered with, sealed under another mask_key, or cut short. It is never decoded into a destination. A mask_key changed while dialogs were live causes this for those dialogs.',
    level: 'warn',
  },
  unknownDialog: {
    code: 'topology.unknown_dialog',
    status: 481,
    reason: 'Call/Transaction Does Not Exist',
    label: 'topology_unknown_dialog',
    log: 'request refused: its topos token names no stored dialog',
    doc: 'topos: an in-dialog request for a dialog whose record expired (dialog_expire), was removed by a BYE, or never existed.',
  },
  backendDown: {
    code: 'topology.backend_down',
    status: 503,
    reason: 'Service Unavailable',
    label: 'topology_backend_down',
    log: 'request refused: topos dialog store unreachable',
    doc: 'topos reads and writes dialogs in the shared state (Redis); while it is unreachable dialog-creating and in-dialog requests through topos are refused.',
    level: 'warn',
  },
});
