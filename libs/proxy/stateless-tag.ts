/**
 * To-tag prefix of replies the node sends without a transaction (before the
 * transaction step, or to unparsable requests). The caller's hop-by-hop ACK
 * for such a reply carries it back and is absorbed (Kamailio sl_filter_ACK).
 */
export const STATELESS_TAG_PREFIX = 'sbcsl-';
