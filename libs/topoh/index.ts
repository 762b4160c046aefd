// libs/topoh: stateless, keyed topology hiding (Kamailio topoh), the pure codec.
// Via stacks, Contact / Record-Route URIs and (optionally) Call-IDs are sealed
// under keys derived from mask_key (HKDF-SHA256): AES-256-CTR with a synthetic
// IV (version 2) or AES-256-GCM (version 1; both open everywhere, seal.ts);
// the header kind is authenticated; tokens are base64url, valid in SIP tokens and params.
// Nothing is stored: any node with the same mask_key decodes, restarts lose nothing.
//   createTopohCodec(opts)  encode/decode Vias, URIs, Call-IDs (see TopohCodec)
//   resolveTopohConfig      validate options once (all problems listed), frozen result
//   TOPOH_DEFAULTS          Kamailio defaults: line / sr- / branch / z9hG4bKsr- / !!:
export { createTopohCodec, type TopohCodec } from './codec.ts';
export { resolveTopohConfig, TOPOH_DEFAULTS, MIN_MASK_KEY_CHARS, type TopohConfig, type TopohOptions } from './config.ts';
export { MAX_TOKEN_CHARS, TOKEN_VERSIONS, type NonceMode, type TokenKind, type TokenVersion } from './seal.ts';
