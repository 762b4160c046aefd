// The decision for one request, in the order a Kamailio script runs the
// permissions functions (pure: tables + message + source in, denial out):
//
//   ACK, CANCEL                       pass (they follow an INVITE that was checked)
//   in-dialog, not REFER              pass (the dialog was checked when it was created)
//   trusted_group / trusted table     pass: nothing else is checked
//   source_group (out of dialog)      source must be in it            -> permissions.address
//   REGISTER                          allow_register (To, Contacts)   -> permissions.register
//   other out-of-dialog requests      allow_routing (From, R-URI)     -> permissions.routing
//   REFER (in or out of dialog)       allow_uri (From, Refer-To)      -> permissions.uri
//   not REGISTER                      group policies on the R-URI (Refer-To for REFER) -> permissions.group / policy code
import { parseNameAddr, type SipMessage } from '#libs/sip';
import type { SourceInfo } from './address.ts';
import { brokenPolicy } from './groups.ts';
import { parseIp, type ParsedIp } from '#libs/address';
import { PERMISSIONS_REJECTIONS, type DenyRule } from './rejections.ts';
import { formatSource, type RuleSet } from './rules.ts';
import type { Tables } from './tables.ts';
import { plainUri, plainUriText, userIdOfUri } from './uris.ts';

export interface Denial {
  /** metric label of sbc_permissions_denied_total */
  readonly rule: DenyRule;
  /** rejection code for the pipeline */
  readonly code: string;
  /** what matched (rule file:line, policy name), for the log line */
  readonly detail: string;
}

const CODES = {
  address: PERMISSIONS_REJECTIONS.address.code,
  routing: PERMISSIONS_REJECTIONS.routing.code,
  register: PERMISSIONS_REJECTIONS.register.code,
  uri: PERMISSIONS_REJECTIONS.uri.code,
} as const;

/** Whether the source skips every check (trusted group or trusted table). */
export function isTrusted(t: Tables, msg: SipMessage, source: SourceInfo, ip: ParsedIp | undefined = parseIp(source.address)): boolean {
  if (ip === undefined) return false;
  if (t.trustedGroup !== undefined && t.addresses.match(t.trustedGroup, ip, source.port, source.proto) !== undefined) return true;
  return t.trusted.allowTrusted(source, msg, ip) !== undefined;
}

function denyByRules(set: RuleSet, left: string, right: string, rule: 'routing' | 'register' | 'uri'): Denial | undefined {
  const d = set.decide(left, right);
  if (d.verdict !== 'deny') return undefined;
  return { rule, code: CODES[rule], detail: `deny rule ${formatSource(d.rule.source)}` };
}

/** Kamailio allow_register: (To, Contact) pairs; no Contact or "*" is allowed. */
export function checkRegister(set: RuleSet, msg: SipMessage): Denial | undefined {
  if (set.empty) return undefined;
  const contacts = msg.contacts();
  if (contacts.length === 0 || contacts.some((c) => c.star === true)) return undefined;
  const to = msg.to()?.uriText ?? '';
  for (const c of contacts) {
    const contact = c.uri !== undefined ? plainUri(c.uri) : plainUriText(c.uriText);
    const d = set.decide(to, contact);
    if (d.verdict === 'allow') continue;
    if (d.verdict === 'deny') return { rule: 'register', code: CODES.register, detail: `deny rule ${formatSource(d.rule.source)} (Contact ${contact})` };
  }
  return undefined;
}

/** Kamailio allow_routing: (From URI, plain R-URI). */
export function checkRouting(set: RuleSet, msg: SipMessage): Denial | undefined {
  if (set.empty) return undefined;
  const ruri = msg.requestUri();
  return denyByRules(set, msg.from()?.uriText ?? '', ruri !== undefined ? plainUri(ruri) : plainUriText(msg.uri), 'routing');
}

/** Kamailio allow_uri(basename, "$rt"): (From URI, Refer-To URI). */
export function checkReferTo(set: RuleSet, msg: SipMessage, referTo: string | undefined): Denial | undefined {
  if (set.empty || referTo === undefined) return undefined;
  return denyByRules(set, msg.from()?.uriText ?? '', referTo, 'uri');
}

export function referToUri(msg: SipMessage): string | undefined {
  const v = msg.header('refer-to');
  return v === undefined ? undefined : parseNameAddr(v)?.uriText;
}

/** The whole decision; undefined = let the request through. */
export function checkRequest(t: Tables, msg: SipMessage, source: SourceInfo, inDialog: boolean): Denial | undefined {
  const method = msg.method;
  if (method === 'ACK' || method === 'CANCEL') return undefined;
  const isRefer = method === 'REFER';
  if (inDialog && !isRefer) return undefined;
  const ip = parseIp(source.address);
  if (isTrusted(t, msg, source, ip)) return undefined;

  if (!inDialog) {
    if (t.sourceGroup !== undefined && (ip === undefined || t.addresses.match(t.sourceGroup, ip, source.port, source.proto) === undefined)) {
      return { rule: 'address', code: CODES.address, detail: `source ${source.proto}:${source.address}:${source.port} not in address group ${t.sourceGroup}` };
    }
    if (method === 'REGISTER') return checkRegister(t.register, msg);
    const routed = checkRouting(t.routing, msg);
    if (routed !== undefined) return routed;
  }

  let target = msg.uri;
  if (isRefer) {
    const referTo = referToUri(msg);
    const d = checkReferTo(t.uri, msg, referTo);
    if (d !== undefined) return d;
    // a transfer asks for a call to the Refer-To target: policies judge that target
    if (referTo === undefined) return undefined;
    target = referTo;
  }
  if (t.policies.length === 0) return undefined;
  const from = msg.from()?.uri;
  const broken = brokenPolicy(t.policies, t.groups, target, from !== undefined ? userIdOfUri(from) : undefined);
  return broken === undefined ? undefined : { rule: 'group', code: broken.code, detail: `policy ${broken.name} (group ${broken.require_group})` };
}
