// One digest authentication, start to end (Kamailio www_authorize /
// proxy_authorize + auth_check + consume_credentials), answered as an
// AuthOutcome the pipeline step turns into a verdict:
//   no credentials for our realm          -> challenge
//   malformed credentials                 -> 400, or a challenge (unknown algorithm / qop)
//   blocked user or source                -> 403 Already Blocked Forbidden
//   forged / foreign nonce                -> challenge; expired nonce -> challenge with stale=true
//   unknown user, wrong password          -> failure counted (auth_block_list), challenge or 403 Blocked Forbidden
//   nonce + nc seen before (any node)     -> challenge (replay)
//   From/To identity not the user's       -> 403 (auth_check)
//   success                               -> ok (consumeCredentials removes ours before relaying)
// Shared state is touched only for requests that carry credentials: the
// subscriber read and the nc claim (leases.claim) leave in the same tick
// (one round trip); an attempt whose digest is wrong gives its claim back.
import { parseUri, type SipMessage, type SipUri } from '#libs/sip';
import { randomBytes } from 'node:crypto';
import type { LeaseStore } from '#libs/state';
import type { AuthBlockList, Identity } from './block-list.ts';
import { parseCredentials, type CredentialsProblem, type DigestAlgorithm, type DigestCredentials } from './credentials.ts';
import { expectedResponse, sameDigest } from './digest.ts';
import type { NonceCodec, NonceContext } from './nonce.ts';
import type { Subscriber } from './subscribers.ts';

/** www: REGISTER (401 + WWW-Authenticate); proxy: other requests (407 + Proxy-Authenticate). */
export type ChallengeKind = 'www' | 'proxy';

/** Why a request did not authenticate: the `reason` label of sbc_auth_failures_total. */
export type AuthFailure =
  | 'no_credentials'
  | 'malformed'
  | 'unknown_algorithm'
  | 'other_realm'
  | 'uri_mismatch'
  | 'bad_nonce'
  | 'stale'
  | 'unknown_user'
  | 'bad_password'
  | 'replayed_nc'
  | 'identity_mismatch'
  | 'blocked';

export type AuthRejectCode =
  | 'auth.malformed'
  | 'auth.uri_mismatch'
  | 'auth.blocked'
  | 'auth.already_blocked'
  | 'auth.identity_mismatch';

export type AuthOutcome =
  | { kind: 'ok'; username: string; domain: string }
  | { kind: 'challenge'; failure: AuthFailure; stale: boolean; headerName: string; headers: string[]; status: 401 | 407; reason: string; detail?: string }
  | { kind: 'reject'; failure: AuthFailure; code: AuthRejectCode; detail: string };

export interface AuthenticatorOptions {
  /** algorithms offered, strongest first (one challenge header each) */
  algorithms: readonly DigestAlgorithm[];
  /** check that the authenticated user is the From (To for REGISTER) identity (Kamailio auth_check) */
  checkIdentity: boolean;
}

export interface AuthenticatorDeps {
  options: AuthenticatorOptions;
  /** per challenge kind: REGISTER nonces and other requests' may be bound differently (auth_checks_register / _no_dlg) */
  nonces: Record<ChallengeKind, NonceCodec>;
  subscribers: { get(username: string, domain: string): Promise<Subscriber | undefined> };
  /** nc replay: the first claim of nonce + nc wins cluster-wide (libs/state leases.claim); a failed attempt releases its own */
  claims: Pick<LeaseStore, 'claim' | 'release'>;
  blocks: AuthBlockList;
  /** told about every failure that counts toward blocking */
  onBlocked?: (keys: string[], id: Identity) => void;
}

export interface AuthRequest {
  msg: SipMessage;
  srcIp: string;
  kind: ChallengeKind;
  /** the realm: the AoR's domain (To for REGISTER, From otherwise), lower-case */
  realm: string;
}

/** Values of one credentials header looked at, at most (a peer may send many). */
const MAX_CREDENTIAL_VALUES = 4;
/** the claim group of nonce + nc marks (each claim its own key and slot) */
const NC_GROUP = 'auth-nc';

const PROBLEM_ANSWER: Record<CredentialsProblem, 'reject' | 'challenge'> = {
  not_digest: 'challenge',
  unknown_algorithm: 'challenge',
  unsupported_qop: 'challenge',
  too_long: 'reject',
  bad_syntax: 'reject',
  duplicate_param: 'reject',
  missing_param: 'reject',
  bad_nc: 'reject',
  bad_response: 'reject',
};

/** one request's claim of nonce + nc: its name and this request's random holder */
interface NcClaim {
  readonly name: string;
  readonly holder: string;
}

export class Authenticator {
  constructor(private readonly deps: AuthenticatorDeps) {}

  async authenticate(req: AuthRequest): Promise<AuthOutcome> {
    const ctx = nonceContext(req);
    if (this.deps.blocks.isBlocked({ ip: req.srcIp })) return blockedAgain('source address');
    const picked = pickCredentials(req);
    if (picked.kind === 'none') return this.challenge(req, ctx, picked.failure, false, picked.detail);
    if (picked.kind === 'bad') return { kind: 'reject', failure: 'malformed', code: 'auth.malformed', detail: picked.detail };
    const c = picked.credentials;
    const id: Identity = { user: { username: c.username, domain: req.realm }, ip: req.srcIp };
    if (this.deps.blocks.isBlocked(id)) return blockedAgain(`user ${c.username}@${req.realm}`);
    if (!sameResource(c.uri, req.msg)) return { kind: 'reject', failure: 'uri_mismatch', code: 'auth.uri_mismatch', detail: 'digest uri is not the Request-URI' };
    const nonce = this.deps.nonces[req.kind].check(c.nonce, ctx);
    if (!nonce.ok) return this.challenge(req, ctx, nonce.reason === 'expired' ? 'stale' : 'bad_nonce', nonce.reason === 'expired');
    if (!this.deps.options.algorithms.includes(c.algorithm)) return this.challenge(req, ctx, 'unknown_algorithm', false, `algorithm ${c.algorithm} not offered`);

    // one round trip: the subscriber and the nc claim leave together
    const claimTtl = Math.max(1000, nonce.expiresAt - Date.now() + 1000);
    const nc: NcClaim = { name: `${c.nonce}:${c.nc ?? '-'}`, holder: randomBytes(9).toString('base64url') };
    const [sub, fresh] = await Promise.all([
      this.deps.subscribers.get(c.username, req.realm),
      this.claimNc(nc, claimTtl),
    ]);
    const ha1 = sub?.ha1[c.algorithm];
    const digestOk = ha1 !== undefined && sameDigest(expectedResponse(c, ha1, req.msg.method), c.response);
    if (!digestOk) {
      // A failed attempt does not use its nc up (Kamailio marks nc only once the
      // digest is right): the claim goes back, so only authenticated requests
      // leave one, and a client with a valid nonce but no password creates none.
      if (fresh) this.releaseNc(nc);
      return this.fail(req, ctx, id, ha1 === undefined ? 'unknown_user' : 'bad_password');
    }
    if (!fresh) return this.challenge(req, ctx, 'replayed_nc', false, `nc ${c.nc ?? '(none)'} already used with this nonce`);
    if (this.deps.options.checkIdentity && !identityMatches(req, c)) {
      return { kind: 'reject', failure: 'identity_mismatch', code: 'auth.identity_mismatch', detail: `${c.username} may not use this ${req.kind === 'www' ? 'To' : 'From'} identity` };
    }
    return { kind: 'ok', username: c.username, domain: req.realm };
  }

  /** true when this request is the first use of nonce + nc anywhere in the cluster (a random holder: a verbatim resend is a replay too). */
  private async claimNc(nc: NcClaim, ttlMs: number): Promise<boolean> {
    return (await this.deps.claims.claim(NC_GROUP, nc.name, nc.holder, ttlMs)) === nc.holder;
  }

  /** Gives an nc claim back, without waiting: when it fails, the claim expires with its nonce. */
  private releaseNc(nc: NcClaim): void {
    this.deps.claims.release(NC_GROUP, nc.name, nc.holder).catch(() => undefined);
  }

  /** A challenge for a request that brought no usable credentials. */
  challenge(req: AuthRequest, ctx: NonceContext, failure: AuthFailure, stale: boolean, detail?: string): AuthOutcome {
    const nonce = this.deps.nonces[req.kind].issue(ctx);
    const headers = this.deps.options.algorithms.map((a) => challengeValue(req.realm, nonce, a, stale));
    return req.kind === 'www'
      ? { kind: 'challenge', failure, stale, headerName: 'WWW-Authenticate', headers, status: 401, reason: 'Unauthorized', ...(detail ? { detail } : {}) }
      : { kind: 'challenge', failure, stale, headerName: 'Proxy-Authenticate', headers, status: 407, reason: 'Proxy Authentication Required', ...(detail ? { detail } : {}) };
  }

  private async fail(req: AuthRequest, ctx: NonceContext, id: Identity, failure: 'unknown_user' | 'bad_password'): Promise<AuthOutcome> {
    const tripped = await this.deps.blocks.recordFailure(id, failure);
    if (tripped.length > 0) {
      this.deps.onBlocked?.(tripped, id);
      return { kind: 'reject', failure, code: 'auth.blocked', detail: `blocked ${tripped.join(', ')}` };
    }
    return this.challenge(req, ctx, failure, false);
  }
}

function blockedAgain(what: string): AuthOutcome {
  return { kind: 'reject', failure: 'blocked', code: 'auth.already_blocked', detail: `${what} is blocked` };
}

export function nonceContext(req: Pick<AuthRequest, 'msg' | 'srcIp'>): NonceContext {
  return { srcIp: req.srcIp, callId: req.msg.callId() ?? '', ruri: req.msg.uri };
}

export function challengeValue(realm: string, nonce: string, algorithm: DigestAlgorithm, stale: boolean): string {
  return `Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=${algorithm}${stale ? ', stale=true' : ''}`;
}

type Picked =
  | { kind: 'ok'; credentials: DigestCredentials }
  | { kind: 'none'; failure: AuthFailure; detail?: string }
  | { kind: 'bad'; detail: string };

function credentialsHeader(kind: ChallengeKind): string {
  return kind === 'www' ? 'authorization' : 'proxy-authorization';
}

/** The credentials meant for our realm, if any (a request may carry some for other proxies). */
function pickCredentials(req: AuthRequest): Picked {
  const values = req.msg.headerValues(credentialsHeader(req.kind));
  if (values.length === 0) return { kind: 'none', failure: 'no_credentials' };
  let none: Picked = { kind: 'none', failure: 'other_realm', detail: 'credentials for another realm' };
  for (const v of values.slice(0, MAX_CREDENTIAL_VALUES)) {
    const r = parseCredentials(v);
    if (r.ok) {
      if (r.credentials.realm.toLowerCase() === req.realm) return { kind: 'ok', credentials: r.credentials };
      continue;
    }
    if (r.realm !== undefined && r.realm.toLowerCase() !== req.realm) continue;
    if (PROBLEM_ANSWER[r.problem] === 'reject') return { kind: 'bad', detail: `${r.problem}: ${r.detail}` };
    none = { kind: 'none', failure: r.problem === 'not_digest' ? 'malformed' : 'unknown_algorithm', detail: r.detail };
  }
  return none;
}

/** The digest uri must name the Request-URI (RFC 7616 §3.4.6); compared as URIs, not as text. */
function sameResource(digestUri: string, msg: SipMessage): boolean {
  if (digestUri === msg.uri) return true;
  const a = parseUri(digestUri);
  const b = msg.requestUri();
  return a !== undefined && b !== undefined && sameUri(a, b);
}

function sameUri(a: SipUri, b: SipUri): boolean {
  return a.scheme === b.scheme && a.user === b.user && a.host.toLowerCase() === b.host.toLowerCase() && (a.port ?? 0) === (b.port ?? 0);
}

/** auth_check: the authenticated user is the one named in To (REGISTER) or From. */
function identityMatches(req: AuthRequest, c: DigestCredentials): boolean {
  const na = req.kind === 'www' ? req.msg.to() : req.msg.from();
  const uri = na?.uri;
  return uri !== undefined && uri.user === c.username && uri.host.toLowerCase() === req.realm;
}

/** consume_credentials: our realm's credentials do not travel further; others' do. */
export function consumeCredentials(msg: SipMessage, kind: ChallengeKind, realm: string): void {
  const name = credentialsHeader(kind);
  const values = msg.headerValues(name);
  msg.removeHeader(name);
  for (const v of values) {
    const r = parseCredentials(v);
    const theirs = r.ok ? r.credentials.realm : r.realm;
    if (theirs !== undefined && theirs.toLowerCase() !== realm.toLowerCase()) msg.appendHeader(name, v);
  }
}
