// The proxy core's own rejections (see libs/rejections for the registry).
import { defineRejections } from '#libs/rejections';

export const PROXY_REJECTIONS = defineRejections({
  noTransaction: { code: 'proxy.no_transaction', status: 'drop', label: 'no_transaction', log: 'request without a usable top Via or CSeq for a transaction: dropped', doc: 'The request passed parsing but has no top Via branch or CSeq the transaction layer can key on. Comes from broken or hostile clients.' },
  notHere: { code: 'proxy.not_here', status: 404, reason: 'Not Here', label: 'not_here', log: 'in-dialog request without a Route to this node', doc: 'An in-dialog request (To tag) arrived without a Route naming this node: the dialog was not record-routed through this SBC. Check that the peer keeps the Record-Route set.' },
  ackNotRoutable: { code: 'proxy.ack_not_routable', status: 'drop', label: 'not_here', log: 'ACK without a Route to this node: dropped', doc: 'An ACK for a 2xx that does not route through this node; ACKs are never answered.' },
  foreignRoute: { code: 'proxy.foreign_route', status: 403, reason: 'Forbidden - Relaying Denied', label: 'relay_denied', log: 'initial request pre-loaded with a Route to another host', doc: 'An out-of-dialog request carried a Route header naming another host: the SBC does not relay for strangers.' },
  unroutableUri: { code: 'proxy.unroutable_uri', status: 416, reason: 'Unsupported URI Scheme', label: 'unroutable_uri', log: 'next hop URI is not a routable SIP URI', doc: 'The Route or Request-URI that names the next hop is not a sip:/sips: URI with a host.' },
  noRoute: { code: 'proxy.no_route', status: 404, reason: 'No Destination', label: 'no_route', log: 'no destination for the request', doc: 'No routing step chose a next hop: the dispatcher set is empty, unknown, or has no active destination. Check dispatcher.list and destination states (dispatcher.list admin command).' },
  draining: { code: 'proxy.draining', status: 503, reason: 'Service Unavailable - Shutting Down', label: 'draining', log: 'node draining for shutdown: new request refused', doc: 'The node received SIGTERM and takes no new dialogs while its transactions finish; the load balancer should already route elsewhere (/readyz answers 503).' },
  internal: { code: 'proxy.internal_error', status: 500, reason: 'Server Internal Error', label: 'internal_error', log: 'a pipeline step failed', doc: 'A pipeline step threw. This is a bug: the log line names the step; please report it.', level: 'warn' },
});
