// libs/topoh: stateless, keyed topology hiding (Kamailio topoh), the pure codec.
// Via stacks, Contact / Record-Route URIs and (optionally) Call-IDs are sealed
// with AES-256-GCM under a key derived from mask_key (HKDF-SHA256); the header
// kind is bound as AAD; tokens are base64url, valid in SIP tokens and params.
// Nothing is stored: any node with the same mask_key decodes, restarts lose nothing.
//   createTopohCodec(opts)  encode/decode Vias, URIs, Call-IDs (see TopohCodec)
//   resolveTopohConfig      validate options once (all problems listed), frozen result
//   TOPOH_DEFAULTS          Kamailio defaults: line / sr- / branch / z9hG4bKsr- / !!:
export { createTopohCodec, type TopohCodec } from './codec.ts';
export { resolveTopohConfig, TOPOH_DEFAULTS, MIN_MASK_KEY_CHARS, type TopohConfig, type TopohOptions } from './config.ts';
export { MAX_TOKEN_CHARS, type NonceMode, type TokenKind } from './seal.ts';
