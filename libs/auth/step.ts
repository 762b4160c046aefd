// The auth pipeline step: which requests authenticate, and how an
// AuthOutcome becomes an answer. REGISTERs to a local domain get the www
// challenge (401); initial requests of challenge_methods whose From is a
// local domain get the proxy challenge (407). Trusted sources (auth.trusted,
// gateways, the permissions trusted group) and in-dialog requests pass.
import type { Logger } from 'pino';
import type { Step, StepVerdict } from '#libs/pipeline';
import type { RequestContext } from '#libs/proxy';
import { LogLimiter } from '#libs/rejections';
import { isUnavailable } from '#libs/state';
import { consumeCredentials, type AuthOutcome, type AuthRequest, type Authenticator, type ChallengeKind } from './authenticator.ts';
import type { AuthMetrics } from './metrics.ts';

export interface AuthStepDeps {
  authenticator: Authenticator;
  /** local domains, lower-case */
  domains: ReadonlySet<string>;
  challengeMethods: ReadonlySet<string>;
  isTrusted(ip: string): boolean;
  metrics: AuthMetrics;
  logger: Logger;
}

/** What the request must authenticate as, or undefined when it needs no authentication. */
export function authRequestOf(ctx: RequestContext, deps: Pick<AuthStepDeps, 'domains' | 'challengeMethods' | 'isTrusted'>): AuthRequest | undefined {
  const msg = ctx.msg;
  let kind: ChallengeKind;
  let host: string | undefined;
  if (msg.method === 'REGISTER') {
    kind = 'www';
    host = msg.to()?.uri?.host;
  } else {
    if (ctx.inDialog || !deps.challengeMethods.has(msg.method)) return undefined;
    kind = 'proxy';
    host = msg.from()?.uri?.host;
  }
  const realm = host?.toLowerCase();
  if (realm === undefined || !deps.domains.has(realm)) return undefined;
  if (deps.isTrusted(ctx.source.address)) return undefined;
  return { msg, srcIp: ctx.source.address, kind, realm };
}

/** Challenges logged for a reason worth an operator's eye (not the normal first round). */
const LOGGED: ReadonlySet<string> = new Set(['malformed', 'unknown_algorithm', 'other_realm', 'bad_nonce', 'replayed_nc', 'bad_password', 'unknown_user']);
const LOG_RATE = { perSecond: 2, burst: 10 };

/**
 * The auth step, and the step that removes the credentials it accepted just
 * before the request is relayed (place `final`): routing steps in between
 * still see them (dispatcher algorithm 5 hashes the auth username).
 */
export function authSteps(deps: AuthStepDeps): { check: Step<RequestContext>; consume: Step<RequestContext>; userOf(msg: object): string | undefined } {
  const accepted = new WeakMap<object, { kind: ChallengeKind; realm: string; user: string }>();
  const check = authStep(deps, (ctx, req, user) => accepted.set(ctx.msg, { kind: req.kind, realm: req.realm, user }));
  const consume: Step<RequestContext> = {
    name: 'auth.consume',
    run(ctx) {
      const a = accepted.get(ctx.msg);
      if (a !== undefined) consumeCredentials(ctx.msg, a.kind, a.realm);
      return 'next';
    },
  };
  // the user a request authenticated as (user@realm), for later steps and call records (acc auth_user)
  return { check, consume, userOf: (msg) => { const a = accepted.get(msg); return a === undefined ? undefined : `${a.user}@${a.realm}`; } };
}

export function authStep(deps: AuthStepDeps, onAccepted: (ctx: RequestContext, req: AuthRequest, username: string) => void = () => undefined): Step<RequestContext> {
  const limiter = new LogLimiter(LOG_RATE);
  const log = deps.logger;
  const settle = (ctx: RequestContext, req: AuthRequest, o: AuthOutcome): StepVerdict => {
    switch (o.kind) {
      case 'ok':
        deps.metrics.success(req.kind);
        onAccepted(ctx, req, o.username);
        return 'next';
      case 'reject':
        deps.metrics.failure(o.failure);
        return { reject: o.code, detail: o.detail };
      case 'challenge': {
        deps.metrics.failure(o.failure);
        deps.metrics.challenge(req.kind, o.stale);
        if (LOGGED.has(o.failure)) {
          const suppressed = limiter.take(o.failure);
          if (suppressed >= 0) log.info({ reason: o.failure, detail: o.detail, src: ctx.source.address, callId: ctx.msg.callId(), suppressed }, 'digest authentication failed: new challenge');
        }
        // a challenge is a refusal with headers: counted and answered on the one path (401 / 407 by verdict)
        return { reject: 'auth.challenge', detail: o.failure, status: o.status, reason: o.reason, headers: o.headers.map((h) => [o.headerName, h] as const) };
      }
    }
  };
  return {
    name: 'auth',
    run(ctx) {
      const req = authRequestOf(ctx, deps);
      if (req === undefined) return 'next';
      return deps.authenticator.authenticate(req).then(
        (o) => settle(ctx, req, o),
        (err: unknown) => {
          if (!isUnavailable(err)) throw err;
          return { reject: 'auth.unavailable', detail: err instanceof Error ? err.message : String(err) };
        },
      );
    },
  };
}
