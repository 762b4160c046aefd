import { defineRejections } from '#libs/rejections';

/** pike.flood for action=drop, pike.flood_reply for action=reply; one metric label for both. */
export const PIKE_REJECTIONS = defineRejections({
  flood: {
    code: 'pike.flood',
    status: 'drop',
    label: 'flood',
    log: 'request dropped: source over the pike request density',
    doc: 'The source sent more than pike.reqs_density_per_unit requests in the last pike.sampling_time_unit, counted over every node. It is banned in ipban for pike.ban_time (remove_latency); requests seen before the ban holds are dropped. Exempt a peer with pike.trusted; lift a ban with htable.delete.',
    level: 'warn',
  },
  floodReply: {
    code: 'pike.flood_reply',
    status: 503,
    reason: 'Service Unavailable',
    label: 'flood',
    log: 'request refused with 503: source over the pike request density',
    doc: 'As pike.flood, with pike.action = reply: the request is answered statelessly with 503 Service Unavailable and Retry-After (the ban time in seconds). Later requests are dropped by the ban.',
    level: 'warn',
  },
});

export type PikeRejectionCode = (typeof PIKE_REJECTIONS)[keyof typeof PIKE_REJECTIONS]['code'];
