// The `secfilter` config section: one block per list type, the SQL-injection
// check, and what to do on a hit (drop silently, or answer 403).
import { defineSection, t, type InferSchema } from '#libs/config';
import { normalizeEntry, type ListType } from './lists.ts';

/**
 * Scanner and attack-tool User-Agents, matched as case-insensitive prefixes.
 * "sipcli/" keeps its slash so SIP clients named "SipClient..." are not caught.
 * Real PBXs ("Asterisk PBX", "FreeSWITCH") are deliberately absent: scanners
 * sometimes forge them, but blocking them would block real gateways.
 */
export const DEFAULT_SCANNER_UAS: readonly string[] = Object.freeze([
  'friendly-scanner',
  'sipvicious',
  'sipcli/',
  'VaxSIPUserAgent',
  'sundayddr',
  'pplsip',
  'iWar',
  'sip-scan',
  'SIPScan',
]);

const ACTIONS = ['drop', 'reply'] as const;
export type SecfilterAction = (typeof ACTIONS)[number];

function entryCheck(type: ListType) {
  return (v: string) => {
    const e = normalizeEntry(type, v);
    return typeof e === 'string' ? e : undefined;
  };
}

function lists(type: ListType, what: string, example: string, blacklistDefault: readonly string[] = []) {
  const entry = t.string({ doc: `A ${what} entry, e.g. ${example}.`, check: entryCheck(type) });
  return {
    blacklist: t.list(entry, {
      doc: `${what} entries refused (unless the same value is whitelisted).`,
      default: blacklistDefault,
      ...(blacklistDefault.length > 0 ? { defaultDoc: blacklistDefault.join(', ') } : {}),
    }),
    whitelist: t.list(entry, { doc: `${what} entries allowed: a match skips the ${type} blacklist (not the other checks).`, default: [] }),
  };
}

function action(def: SecfilterAction, what: string) {
  return t.enum(ACTIONS, { doc: `What happens to a request ${what}: "drop" (silently, nothing is sent back) or "reply" (403 Forbidden).`, default: def });
}

export const secfilterSection = defineSection(
  'secfilter',
  {
    enabled: t.bool({ doc: 'Run the secfilter step (all checks below). Off: every request passes untouched.', default: true }),
    ua: t.object(
      {
        ...lists('ua', 'User-Agent', '"friendly-scanner"', DEFAULT_SCANNER_UAS),
        match: t.enum(['prefix', 'contains'], {
          doc: 'How a User-Agent entry matches (case-insensitive): "prefix" (Kamailio secf_check_ua) or "contains" (anywhere in the header).',
          default: 'prefix',
        }),
        action: action('drop', 'whose User-Agent is blacklisted (scanners are dropped: an answer tells them a SIP server is here)'),
      },
      { doc: 'User-Agent lists (Kamailio secf_check_ua). A request without User-Agent passes this check.' },
    ),
    ip: t.object(
      {
        ...lists('ip', 'source IP', '"203.0.113.7", "198.51.100.0/24" or "2001:db8::/32"'),
        action: action('reply', 'from a blacklisted source address'),
      },
      { doc: 'Source address lists (Kamailio secf_check_ip), exact addresses or CIDR prefixes, IPv4 and IPv6.' },
    ),
    domain: t.object(
      {
        ...lists('domain', 'domain', '"example.com" (also matches its subdomains) or an address "192.0.2.9"'),
        action: action('reply', 'whose From, To or Contact host is blacklisted'),
      },
      { doc: 'Host lists checked against the From, To and every Contact URI host (Kamailio secf_check_*_hdr domain part).' },
    ),
    user: t.object(
      {
        ...lists('user', 'user', '"sipvicious"'),
        match: t.enum(['prefix', 'exact'], {
          doc: 'How a user entry matches (case-insensitive, %-escapes decoded): "prefix" as Kamailio (blocking "sipvicious" blocks "sipvicious123") or "exact".',
          default: 'prefix',
        }),
        action: action('reply', 'whose From, To or Contact user (or From/To display name) is blacklisted'),
      },
      {
        doc: 'User lists checked against the From, To and Contact URI user parts; the blacklist also against From/To display names. Display names never whitelist: anyone can write any display name.',
      },
    ),
    dst: t.object(
      {
        ...lists('dst', 'called number', '"0900" or "+44 20 7946 0000" (separators are ignored)'),
        match: t.enum(['exact', 'prefix'], {
          doc: 'How a destination entry matches the called number: "exact" (Kamailio dst_exact_match=1) or "prefix" (every number starting with it).',
          default: 'exact',
        }),
        action: action('reply', 'calling a blacklisted destination'),
      },
      { doc: 'Called-number lists (Kamailio secf_check_dst): the Request-URI user of out-of-dialog INVITEs, %-decoded, user parameters and visual separators removed.' },
    ),
    sqli: t.object(
      {
        enabled: t.bool({ doc: 'Refuse requests whose identities look like SQL injection (Kamailio secf_check_sqli_all); rules in docs/secfilter.md.', default: true }),
        action: action('drop', 'carrying an SQL-injection-looking value (an attack tool, not a caller)'),
      },
      { doc: 'SQL-injection check of URI user parts (strict) and display names and User-Agent (lenient).' },
    ),
  },
  { doc: 'Security filter (Kamailio secfilter): black and white lists of user agents, source IPs, domains, users and called numbers, and an SQL-injection check.' },
);

export type SecfilterConfig = InferSchema<(typeof secfilterSection)['fields']>;
