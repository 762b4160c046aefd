// libs/auth: digest authentication for subscribers, cluster-wide (Kamailio
// auth + auth_db + the seed config's auth_block_list htable).
//   authSection / authBlockSection  config sections `auth`, `auth_block` (docs/auth.md)
//   authFeature                     the descriptor: step 'auth' (routing), subscriber.* / auth.* admin, provides { domains, subscribers }
//   Authenticator                   one www/proxy authentication, start to end (authenticator.ts)
//   NonceCodec                      stateless HMAC nonces with a key ring (nonce.ts)
//   SubscriberStore                 username@domain -> HA1 (MD5, SHA-256) in the shared state
//   AuthBlockList                   failures per user / IP -> cluster-wide blocks
//   AUTH_REJECTIONS, AUTH_METRIC_NAMES
export { authSection, authBlockSection, type AuthConfig, type AuthBlockConfig } from './config.ts';
export { authFeature, type AuthHandle } from './feature.ts';
export { Authenticator, challengeValue, type AuthOutcome, type AuthFailure, type AuthRequest, type ChallengeKind } from './authenticator.ts';
export { NonceCodec, MIN_SECRET_CHARS, type NonceBinding, type NonceCheck } from './nonce.ts';
export { parseCredentials, CREDENTIALS_LIMITS, type DigestCredentials, type DigestAlgorithm, type CredentialsProblem } from './credentials.ts';
export { computeHa1, expectedResponse } from './digest.ts';
export { SubscriberStore, SUBSCRIBER_TABLE, subscriberKey, type Subscriber, type SubscriberSecret } from './subscribers.ts';
export { AuthBlockList, BLOCK_TABLE, FAILURE_TABLE, userKey, ipKey, type BlockMode, type BlockPolicy } from './block-list.ts';
export { parseImport } from './import-file.ts';
export { AUTH_REJECTIONS } from './rejections.ts';
export { AUTH_METRIC_NAMES } from './metrics.ts';
