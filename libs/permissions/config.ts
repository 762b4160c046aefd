// The `permissions` config section. Everything an operator writes is
// checked here, at load, with its file line: addresses, patterns, inline rule
// lines, group members, policy references. Rule files named by `basename`
// are read (and their lines checked) when the tables are compiled.
import { defineSection, t, type DeepReadonly, type InferSchema, type SectionProblem } from '#libs/config';
import { PROTOS } from './address.ts';
import { parseCidr } from '#libs/address';
import { patternProblem, ruleLineProblem } from './rules.ts';
import { parseMember } from './uris.ts';

const GROUP_ID = { min: 1, max: 2_147_483_647 } as const;
const GROUP_NAME_RE = /^[A-Za-z0-9_.-]+$/;
const POLICY_NAME_RE = /^[a-z][a-z0-9_]*$/;
// RFC 3261 reason-phrase kept printable (libs/rejections refuses others)
const REASON_RE = /^[\x20-\x7e]{1,120}$/;

const cidrCheck = (s: string) => {
  const c = parseCidr(s);
  return typeof c === 'string' ? c : undefined;
};

const addressEntry = t.object(
  {
    group: t.int({ doc: 'Address group id (Kamailio grp), 1 or more.', ...GROUP_ID }),
    ip: t.string({
      doc: 'IPv4 or IPv6 address, or a subnet in CIDR form ("10.0.0.0/8", "2001:db8::/32"); host bits must be zero. ::ffff:a.b.c.d forms count as IPv4.',
      nonEmpty: true,
      check: cidrCheck,
    }),
    port: t.int({ doc: 'Source port; 0 = any port.', min: 0, max: 65535, default: 0 }),
    proto: t.enum(PROTOS, { doc: 'Transport; any = every transport.', default: 'any' }),
    tag: t.string({ doc: 'Free text naming the peer (Kamailio tag), shown by the dumps.', optional: true }),
  },
  { doc: 'One row of the address table.', typeName: 'address' },
);

const trustedEntry = t.object(
  {
    src_ip: t.string({
      doc: 'Source IP of the trusted peer; a CIDR subnet is accepted too (compared numerically, so any IPv6 spelling matches).',
      nonEmpty: true,
      check: cidrCheck,
    }),
    proto: t.enum(PROTOS, { doc: 'Transport the peer uses; any = every transport.', default: 'any' }),
    from_pattern: t.string({ doc: 'Case-insensitive regular expression the From URI must match; absent = any From.', optional: true, nonEmpty: true, check: patternProblem }),
    ruri_pattern: t.string({ doc: 'Case-insensitive regular expression the Request-URI must match; absent = any R-URI.', optional: true, nonEmpty: true, check: patternProblem }),
    tag: t.string({ doc: 'Name of the peer (Kamailio peer_tag): the answer of allow_trusted, shown in logs and dumps.', nonEmpty: true }),
    priority: t.int({ doc: 'Rows are tried highest priority first; equal priorities in written order.', min: -2_147_483_648, max: 2_147_483_647, default: 0 }),
  },
  { doc: 'One row of the trusted table.', typeName: 'trusted' },
);

function rulesObject(fn: string, pair: string) {
  const line = t.string({ doc: 'One rule line: FROM_LIST [EXCEPT FROM_LIST] : URI_LIST [EXCEPT URI_LIST].', check: ruleLineProblem });
  return t.object(
    {
      basename: t.path({
        doc: `Rule files <basename>.allow and <basename>.deny (Kamailio ${fn}(basename)); relative to the config file. One of the two may be missing (it counts as empty), not both.`,
        optional: true,
      }),
      allow: t.list(line, { doc: `Allow rules given inline, added after those of <basename>.allow; matched against ${pair}.`, default: [] }),
      deny: t.list(line, { doc: `Deny rules given inline, added after those of <basename>.deny; matched against ${pair}.`, default: [] }),
    },
    { doc: `${fn}: ${pair} checked against allow rules, then deny rules; no match = allowed.` },
  );
}

const member = t.string({
  doc: 'A member: "sip:alice@example.com", "alice@example.com", or "alice" (any domain).',
  nonEmpty: true,
  check: (m) => {
    const r = parseMember(m);
    return typeof r === 'string' ? r : undefined;
  },
});

const policy = t.object(
  {
    name: t.string({ doc: 'Policy name, in logs and (for a custom reply) in the rejection code permissions.policy.<name>.', pattern: POLICY_NAME_RE, patternDoc: 'lower-case letters, digits and "_", starting with a letter' }),
    ruri_pattern: t.string({ doc: 'Case-insensitive regular expression on the Request-URI as received (the Refer-To URI for a REFER).', nonEmpty: true, check: patternProblem }),
    require_group: t.string({ doc: 'Only members of this group (permissions.groups) may reach URIs matching ruri_pattern.', nonEmpty: true }),
    status: t.int({ doc: 'Final status answered to a caller outside the group.', min: 400, max: 699, default: 403 }),
    reason: t.string({ doc: 'Reason phrase of that answer, e.g. "No permission for international calls".', default: 'Forbidden', pattern: REASON_RE, patternDoc: '1-120 printable ASCII characters' }),
  },
  { doc: 'A call policy: target pattern and the group allowed to reach it.', typeName: 'policy' },
);

export const permissionsSection = defineSection(
  'permissions',
  {
    enabled: t.bool({ doc: 'Run the permissions step on requests. false = every request passes (the tables still load and the admin commands work).', default: true }),
    address: t.list(addressEntry, {
      doc: 'Address groups (Kamailio address table): {group, ip, port, proto, tag}. Used by trusted_group and source_group.',
      default: [],
    }),
    trusted: t.list(trustedEntry, {
      doc: 'Trusted peers (Kamailio trusted table): a request matching a row skips every other check.',
      default: [],
    }),
    trusted_group: t.int({ doc: 'Address group whose sources skip every check (like allow_source_address(group) before the ACL in a Kamailio script).', ...GROUP_ID, optional: true }),
    source_group: t.int({
      doc: 'When set, a request must come from this address group (or be trusted) or it is refused with 403 (permissions.address).',
      ...GROUP_ID,
      optional: true,
    }),
    routing: rulesObject('allow_routing', '(From URI, plain R-URI)'),
    register: rulesObject('allow_register', '(To URI, each plain Contact URI) of a REGISTER'),
    uri: rulesObject('allow_uri', '(From URI, Refer-To URI) of a REFER'),
    groups: t.map(t.list(member, { doc: 'members of the group' }), {
      doc: 'Named groups of users for policies, e.g. {international: ["alice@example.com"]} (Kamailio group module).',
      default: {},
    }),
    policies: t.list(policy, {
      doc: 'Call policies, checked in order after the allow/deny rules: the first whose ruri_pattern matches and whose group the caller is not in refuses the request.',
      default: [],
    }),
  },
  {
    doc: 'Access control lists (Kamailio permissions): address groups, trusted peers, allow/deny rules for routing, REGISTER and REFER, group policies.',
    checks: [
      (p) => {
        const out: SectionProblem[] = [];
        for (const name of Object.keys(p.groups)) {
          if (!GROUP_NAME_RE.test(name)) out.push({ path: `groups.${name}`, message: 'group names may only hold letters, digits, ".", "-" and "_"' });
        }
        const names = new Set<string>();
        p.policies.forEach((pol, i) => {
          if (names.has(pol.name)) out.push({ path: `policies[${i}].name`, message: `policy "${pol.name}" is defined twice` });
          names.add(pol.name);
          if (!(pol.require_group in p.groups)) {
            const known = Object.keys(p.groups);
            out.push({ path: `policies[${i}].require_group`, message: `no group "${pol.require_group}" in permissions.groups${known.length > 0 ? ` (defined: ${known.join(', ')})` : ''}` });
          }
        });
        const groupIds = new Set(p.address.map((a) => a.group));
        for (const key of ['trusted_group', 'source_group'] as const) {
          const g = p[key];
          if (g !== undefined && !groupIds.has(g)) out.push({ path: key, message: `address group ${g} has no entries in permissions.address` });
        }
        return out;
      },
    ],
  },
);

/** The validated section, as loadConfig returns it. */
export type PermissionsConfig = DeepReadonly<InferSchema<(typeof permissionsSection)['fields']>>;
