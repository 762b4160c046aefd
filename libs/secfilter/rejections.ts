// Every secfilter refusal, in two flavours: answered (403) and dropped. The
// config's `action` of each check picks the flavour; both share the metric
// label, so dashboards see one series per check whatever the action.
import { defineRejections } from '#libs/rejections';

/** The checks, as they appear in the metric label `check` and in secfilter.stats. */
export const CHECKS = ['ua', 'ip', 'domain', 'user', 'dst', 'sqli'] as const;
export type Check = (typeof CHECKS)[number];

const FORBIDDEN = { status: 403, reason: 'Forbidden' } as const;
const DROP = { status: 'drop' } as const;

export const SECFILTER_REJECTIONS = defineRejections({
  ua: {
    code: 'secfilter.blacklisted_ua', ...FORBIDDEN, label: 'secfilter_ua',
    log: 'request refused: User-Agent is blacklisted',
    doc: 'The User-Agent header matches secfilter.ua.blacklist and not secfilter.ua.whitelist (default list: SIP scanners). Answered 403 when secfilter.ua.action is "reply". Whitelist the agent, or remove it from the blacklist (secfilter.del_bl ua <value> on one node; config for the cluster).',
  },
  uaDrop: {
    code: 'secfilter.blacklisted_ua_drop', ...DROP, label: 'secfilter_ua',
    log: 'request dropped: User-Agent is blacklisted',
    doc: 'As secfilter.blacklisted_ua, dropped silently (secfilter.ua.action "drop", the default): a scanner gets no sign a SIP server is there.',
  },
  ip: {
    code: 'secfilter.blacklisted_ip', ...FORBIDDEN, label: 'secfilter_ip',
    log: 'request refused: source address is blacklisted',
    doc: 'The source IP falls in secfilter.ip.blacklist and not in secfilter.ip.whitelist. Answered 403 (secfilter.ip.action "reply", the default). Remove the entry or whitelist the address.',
  },
  ipDrop: {
    code: 'secfilter.blacklisted_ip_drop', ...DROP, label: 'secfilter_ip',
    log: 'request dropped: source address is blacklisted',
    doc: 'As secfilter.blacklisted_ip, dropped silently (secfilter.ip.action "drop").',
  },
  domain: {
    code: 'secfilter.blacklisted_domain', ...FORBIDDEN, label: 'secfilter_domain',
    log: 'request refused: From, To or Contact domain is blacklisted',
    doc: 'A From, To or Contact host is (a subdomain of) an entry of secfilter.domain.blacklist and not whitelisted. The log detail names the header. Answered 403 by default.',
  },
  domainDrop: {
    code: 'secfilter.blacklisted_domain_drop', ...DROP, label: 'secfilter_domain',
    log: 'request dropped: From, To or Contact domain is blacklisted',
    doc: 'As secfilter.blacklisted_domain, dropped silently (secfilter.domain.action "drop").',
  },
  user: {
    code: 'secfilter.blacklisted_user', ...FORBIDDEN, label: 'secfilter_user',
    log: 'request refused: From, To or Contact user is blacklisted',
    doc: 'A From, To or Contact user part, or a From/To display name, matches secfilter.user.blacklist and the user part is not whitelisted. The log detail names the header. Answered 403 by default.',
  },
  userDrop: {
    code: 'secfilter.blacklisted_user_drop', ...DROP, label: 'secfilter_user',
    log: 'request dropped: From, To or Contact user is blacklisted',
    doc: 'As secfilter.blacklisted_user, dropped silently (secfilter.user.action "drop").',
  },
  dst: {
    code: 'secfilter.blacklisted_dst', ...FORBIDDEN, label: 'secfilter_dst',
    log: 'call refused: destination is blacklisted',
    doc: 'The called number (Request-URI user of an out-of-dialog INVITE) matches secfilter.dst.blacklist and not secfilter.dst.whitelist. Answered 403 by default.',
  },
  dstDrop: {
    code: 'secfilter.blacklisted_dst_drop', ...DROP, label: 'secfilter_dst',
    log: 'call dropped: destination is blacklisted',
    doc: 'As secfilter.blacklisted_dst, dropped silently (secfilter.dst.action "drop").',
  },
  sqli: {
    code: 'secfilter.sqli', ...FORBIDDEN, label: 'secfilter_sqli',
    log: 'request refused: SQL injection attempt',
    doc: 'A URI user part (From, To, Contact, Request-URI), a display name or the User-Agent breaks one of the SQL-injection rules (docs/secfilter.md; the log detail names the header and rule). Answered 403 when secfilter.sqli.action is "reply". A legitimate value caught here is a detector bug: report it; meanwhile secfilter.sqli.enabled = false turns the check off.',
  },
  sqliDrop: {
    code: 'secfilter.sqli_drop', ...DROP, label: 'secfilter_sqli',
    log: 'request dropped: SQL injection attempt',
    doc: 'As secfilter.sqli, dropped silently (secfilter.sqli.action "drop", the default, as Kamailio secf_check_sqli_all does).',
  },
});

/** The rejection code a blocked check answers with, for each action. */
export const CHECK_CODES: Readonly<Record<Check, { readonly reply: string; readonly drop: string }>> = {
  ua: { reply: SECFILTER_REJECTIONS.ua.code, drop: SECFILTER_REJECTIONS.uaDrop.code },
  ip: { reply: SECFILTER_REJECTIONS.ip.code, drop: SECFILTER_REJECTIONS.ipDrop.code },
  domain: { reply: SECFILTER_REJECTIONS.domain.code, drop: SECFILTER_REJECTIONS.domainDrop.code },
  user: { reply: SECFILTER_REJECTIONS.user.code, drop: SECFILTER_REJECTIONS.userDrop.code },
  dst: { reply: SECFILTER_REJECTIONS.dst.code, drop: SECFILTER_REJECTIONS.dstDrop.code },
  sqli: { reply: SECFILTER_REJECTIONS.sqli.code, drop: SECFILTER_REJECTIONS.sqliDrop.code },
};
