// Every refusal of the permissions step: one code per check, each a 403
// with its own metric label. Group policies may choose their own status and
// reason ("403 No permission for international calls"); the rejection
// registry is built once at start, so each distinct custom reply gets a code
// then, from the config the node starts with (policyRejections).
import { defineRejection, defineRejections, type Rejection } from '#libs/rejections';
import type { PolicyInput } from './groups.ts';

export const PERMISSIONS_REJECTIONS = defineRejections({
  address: {
    code: 'permissions.address',
    status: 403,
    reason: 'Forbidden',
    label: 'permissions_address',
    log: 'request refused: source address not in permissions.source_group',
    doc: 'permissions.source_group is set and the source IP/port/transport is in neither that address group, the trusted group nor the trusted table. Add the peer to permissions.address with that group (or to permissions.trusted).',
  },
  routing: {
    code: 'permissions.routing',
    status: 403,
    reason: 'Forbidden',
    label: 'permissions_routing',
    log: 'request refused by allow_routing: (From, R-URI) matches a deny rule',
    doc: 'The From URI and the plain R-URI (sip:user@host) matched a rule of permissions.routing deny (file or inline) and no allow rule. The log detail names the rule\'s file:line. Add an allow rule or change the deny rule, then permissions.reload.',
  },
  register: {
    code: 'permissions.register',
    status: 403,
    reason: 'Forbidden',
    label: 'permissions_register',
    log: 'REGISTER refused by allow_register: (To, Contact) matches a deny rule',
    doc: 'A REGISTER whose To URI and one of its plain Contact URIs matched a rule of permissions.register deny and no allow rule (typically: registering a gateway\'s address as a contact). The log detail names the rule\'s file:line.',
  },
  uri: {
    code: 'permissions.uri',
    status: 403,
    reason: 'Forbidden',
    label: 'permissions_uri',
    log: 'REFER refused by allow_uri: (From, Refer-To) matches a deny rule',
    doc: 'A REFER (in or out of dialog) whose From URI and Refer-To URI matched a rule of permissions.uri deny and no allow rule: the transfer target is not allowed. The log detail names the rule\'s file:line.',
  },
  group: {
    code: 'permissions.group',
    status: 403,
    reason: 'Forbidden',
    label: 'permissions_group',
    log: 'request refused by a group policy: caller not in the required group',
    doc: 'The R-URI (the Refer-To URI for a REFER) matched a permissions.policies ruri_pattern and the From user is not a member of its require_group. The log detail names the policy. Used for policies answering 403 Forbidden; policies with their own status/reason have their own codes (permissions.policy.<name>).',
  },
});

/** Static codes by check, as the step reports them. */
export type DenyRule = 'routing' | 'register' | 'uri' | 'group' | 'address';
export const DENY_RULES: readonly DenyRule[] = ['routing', 'register', 'uri', 'group', 'address'];

/** "403 Forbidden": the key of a policy's reply. */
export function replyKey(p: Pick<PolicyInput, 'status' | 'reason'>): string {
  return `${p.status} ${p.reason}`;
}

// the reply of PERMISSIONS_REJECTIONS.group
const DEFAULT_REPLY = replyKey({ status: 403, reason: 'Forbidden' });

/**
 * One rejection per distinct custom reply of these policies (the first
 * policy using it names the code). 403 Forbidden uses permissions.group.
 */
export function policyRejections(policies: readonly PolicyInput[]): Rejection[] {
  const seen = new Set<string>([DEFAULT_REPLY]);
  const out: Rejection[] = [];
  for (const p of policies) {
    const key = replyKey(p);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(
      defineRejection({
        code: `permissions.policy.${p.name}`,
        status: p.status,
        reason: p.reason,
        label: 'permissions_group',
        log: `request refused by group policy "${p.name}": caller not in group "${p.require_group}"`,
        doc: `Policy "${p.name}" (and any policy answering "${key}"): the R-URI (Refer-To URI for a REFER) matched ${p.ruri_pattern} and the From user is not in group "${p.require_group}". Add the user to permissions.groups.${p.require_group} or change the policy.`,
      }),
    );
  }
  return out;
}

/** reply key -> rejection code, for the static group code and the given custom ones. */
export function replyCodes(custom: readonly Rejection[]): Map<string, string> {
  const m = new Map<string, string>([[DEFAULT_REPLY, PERMISSIONS_REJECTIONS.group.code]]);
  for (const r of custom) if (r.status !== 'drop') m.set(replyKey({ status: r.status, reason: r.reason }), r.code);
  return m;
}
