import { defineRejections } from '#libs/rejections';

/** Refusals of the auth feature, challenges included (auth.challenge: 401, or 407 by verdict). */
export const AUTH_REJECTIONS = defineRejections({
  challenge: {
    code: 'auth.challenge',
    status: 401,
    reason: 'Unauthorized',
    label: 'auth_challenge',
    log: 'digest challenge sent',
    doc: 'The request needs digest credentials and brought none usable: 401 with WWW-Authenticate (REGISTER) or 407 Proxy Authentication Required with Proxy-Authenticate (other requests), one header per auth.algorithms. The first round of every registration and call from a user; sbc_auth_failures_total{reason} says why (no_credentials normally; stale, bad_nonce, replayed_nc, bad_password, unknown_user... otherwise).',
    level: 'debug',
  },
  malformed: {
    code: 'auth.malformed',
    status: 400,
    reason: 'Bad Request',
    label: 'auth_malformed',
    log: 'request refused: malformed digest credentials',
    doc: 'The Authorization / Proxy-Authorization value for our realm could not be read: bad quoting, a missing username/realm/nonce/uri/response, a duplicate parameter, a value over the size limits, a bad nc or response. The detail names which. (An unknown algorithm or qop, or credentials for another realm, get a new challenge instead.)',
  },
  uriMismatch: {
    code: 'auth.uri_mismatch',
    status: 400,
    reason: 'Bad Request',
    label: 'auth_uri_mismatch',
    log: 'request refused: digest uri is not the Request-URI',
    doc: 'The credentials\' uri parameter names another resource than the Request-URI (RFC 7616 §3.4.6): credentials copied from another request.',
  },
  blocked: {
    code: 'auth.blocked',
    status: 403,
    reason: 'Blocked Forbidden',
    label: 'auth_blocked',
    log: 'user or source blocked after repeated authentication failures',
    doc: 'This failure reached auth_block.failures within auth_block.window for the user (or source IP, per auth_block.mode): it is blocked on every node for auth_block.block_time. List with auth.blocks, lift with auth.unblock.',
    level: 'warn',
  },
  alreadyBlocked: {
    code: 'auth.already_blocked',
    status: 403,
    reason: 'Already Blocked Forbidden',
    label: 'auth_blocked',
    log: 'request refused: user or source is blocked',
    doc: 'The user or source address is in the auth block list (see auth.blocked); every request that would authenticate is refused until the block expires or auth.unblock lifts it.',
  },
  identityMismatch: {
    code: 'auth.identity_mismatch',
    status: 403,
    reason: 'Forbidden',
    label: 'auth_identity',
    log: 'request refused: authenticated user may not use this identity',
    doc: 'auth.check_identity: the authenticated username is not the From user (To user for REGISTER) of the domain. A user may only register and call as itself.',
  },
  unavailable: {
    code: 'auth.unavailable',
    status: 503,
    reason: 'Service Unavailable',
    label: 'auth_unavailable',
    log: 'request refused: subscriber or nonce store unreachable',
    doc: 'The shared state (Redis) could not be read to check credentials; the client retries. Check the state backend.',
    level: 'warn',
  },
});
