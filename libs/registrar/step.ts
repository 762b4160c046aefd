// The registrar's pipeline steps (Kamailio: `if (is_method("REGISTER")) save("location")`
// and `lookup("location")` in the request route).
//   registrar.save    REGISTER for a local domain: answered here (200 listing the bindings, or a refusal)
//   registrar.lookup  an initial request whose Request-URI is a local user: to its contacts,
//                     404 when the subscriber has none; a non-subscriber goes on to the dispatcher.
// Both run before the dispatcher's step (feature order). The local domains
// need not be sip.aliases: a request sent to sip:alice@example.com through a
// Route to this node is looked up here all the same.
import type { Step, StepVerdict } from '#libs/pipeline';
import type { Hop, RequestContext } from '#libs/proxy';
import type { SipUri } from '#libs/sip';
import { isUnavailable } from '#libs/state';
import { aorOf } from './aor.ts';
import type { RegistrarMetrics } from './metrics.ts';
import type { LookupTarget, Registrar } from './registrar.ts';

export interface RegistrarStepDeps {
  registrar: Registrar;
  /** local domains, lower-case (auth.domains) */
  domains: ReadonlySet<string>;
  /** the Request-URI names this node (its address or an alias): users there are of the first domain */
  isOwnUri(uri: SipUri | undefined): boolean;
  /** does the user exist? (a miss for a non-subscriber goes on to the dispatcher) */
  isSubscriber(username: string, domain: string): Promise<boolean>;
  metrics: RegistrarMetrics;
}

const NOT_LOOKED_UP: ReadonlySet<string> = new Set(['REGISTER', 'ACK', 'CANCEL']);

const unavailable = (err: unknown): StepVerdict => {
  if (!isUnavailable(err)) throw err;
  return { reject: 'registrar.unavailable', detail: err instanceof Error ? err.message : String(err) };
};

export function registrarSaveStep(deps: RegistrarStepDeps): Step<RequestContext> {
  return {
    name: 'registrar.save',
    run(ctx) {
      const msg = ctx.msg;
      if (msg.method !== 'REGISTER') return 'next';
      const to = msg.to()?.uri;
      const aor = aorOf(to);
      if (aor === undefined || !deps.domains.has(to!.host.toLowerCase())) return 'next';
      const src = { proto: ctx.source.proto, address: ctx.source.address, port: ctx.source.port, socketId: ctx.local.id };
      return deps.registrar.register(msg, aor, src).then((a): StepVerdict => {
        deps.metrics.register(a.outcome);
        if (a.status === 200) return { answer: 200, reason: 'OK', headers: a.headers };
        return { reject: a.code!, detail: a.detail, ...(a.headers.length > 0 ? { headers: a.headers } : {}) };
      }, unavailable);
    },
  };
}

/** The AoR a Request-URI names, when it is a local user. */
export function localAor(uri: SipUri | undefined, deps: Pick<RegistrarStepDeps, 'domains' | 'isOwnUri'>): string | undefined {
  if (uri === undefined || uri.user === undefined || uri.user === '') return undefined;
  if (deps.domains.has(uri.host.toLowerCase())) return aorOf(uri);
  if (deps.isOwnUri(uri)) {
    const first = deps.domains.values().next();
    return first.done ? undefined : `${uri.user}@${first.value}`;
  }
  return undefined;
}

export function registrarLookupStep(deps: RegistrarStepDeps, toHops: (ctx: RequestContext, targets: LookupTarget[]) => Hop[]): Step<RequestContext> {
  return {
    name: 'registrar.lookup',
    run(ctx) {
      // in-dialog, or pre-routed (a Route left after ours): not a lookup
      if (ctx.inDialog || NOT_LOOKED_UP.has(ctx.msg.method) || ctx.msg.hasHeader('route')) return 'next';
      const aor = localAor(ctx.msg.requestUri(), deps);
      if (aor === undefined) return 'next';
      const at = aor.lastIndexOf('@');
      // both reads leave in the same tick: one round trip
      return Promise.all([deps.registrar.lookup(aor), deps.isSubscriber(aor.slice(0, at), aor.slice(at + 1))]).then(([contacts, known]): StepVerdict => {
        const targets = deps.registrar.targets(contacts);
        if (targets.length === 0) {
          // not a user of ours: the core's (dispatcher), even when loose-route aimed at the domain's name
          if (!known) { ctx.hops = []; return 'next'; }
          deps.metrics.lookup('not_found');
          return { reject: 'registrar.not_found', detail: aor };
        }
        deps.metrics.lookup('found');
        ctx.hops = toHops(ctx, targets);
        return 'next';
      }, unavailable);
    },
  };
}
