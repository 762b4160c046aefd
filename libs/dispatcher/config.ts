// The dispatcher's probing, failure-marking and call-load keys (Kamailio
// modparam names), spread into the `dispatcher` config section. Durations
// read as milliseconds: write "30s" where Kamailio has 30.
import { t } from '#libs/config';
import { parseUri } from '#libs/sip';
import { parseReplyCodes } from './reply-codes.ts';

const MS_TRAP = (key: string, kamailio: string) => (v: number) =>
  v !== 0 && v < 100 ? `${v} ms is too short: a plain number is milliseconds (write "${kamailio}s" for Kamailio's ${key} ${kamailio})` : undefined;

export const probingKeys = {
  ds_ping_interval: t.duration({
    doc: 'Interval of OPTIONS probes (keepalives) to destinations; 0 = no probing. Cluster-wide, each destination is probed by one node per interval (see libs/dispatcher/README.md).',
    default: 0,
    max: 3_600_000,
    check: MS_TRAP('ds_ping_interval', '30'),
  }),
  ds_ping_method: t.string({ doc: 'SIP method of the probes.', default: 'OPTIONS', check: (v) => (/^[A-Z]{3,16}$/.test(v) && v !== 'INVITE' && v !== 'ACK' && v !== 'CANCEL' ? undefined : 'a method token in capitals, not INVITE, ACK or CANCEL') }),
  ds_ping_from: t.string({ doc: 'From URI of the probes (a destination\'s ping_from attr wins).', default: 'sip:dispatcher@localhost', check: (v) => (parseUri(v)?.scheme === 'sip' || parseUri(v)?.scheme === 'sips' ? undefined : 'must be a sip: URI') }),
  ds_ping_reply_codes: t.string({
    doc: 'Replies counted as "up" besides any 2xx: "class=N" (N00-N99) and "code=NNN" separated by ";", e.g. "class=2;code=403;code=488". Our own timeout never counts as up.',
    default: '',
    check: (v) => { const r = parseReplyCodes(v); return typeof r === 'string' ? r : undefined; },
  }),
  ds_probing_threshold: t.int({ doc: 'Failed probes (or relay failures marked "t") before a destination goes from trying to inactive.', min: 1, max: 1000, default: 1 }),
  ds_inactive_threshold: t.int({ doc: 'Successful probes before an inactive destination is active again.', min: 1, max: 1000, default: 1 }),
  ds_probing_mode: t.enum([0, 1, 2, 3] as const, {
    doc: '0: probe destinations flagged P, the answer clears P; 1: probe every destination not disabled; 2: probe only inactive ones flagged P; 3: probe those flagged P and keep P (Kamailio semantics).',
    default: 0,
  }),
  ds_ping_fr_timer: t.duration({ doc: 'How long a probe waits for a final answer before it counts as timed out; 0 = tm.fr_timer.', default: 0, max: 60_000, check: MS_TRAP('ds_ping_fr_timer', '2') }),
  ds_ping_latency_stats: t.bool({ doc: 'Keep probe latency statistics (avg, std, EWMA estimate, max, timeouts) per destination: shown by dispatcher.list, exported as metrics, used by cc=1 and algorithm 13.', default: false }),
  ds_latency_estimator_alpha: t.int({ doc: 'Weight of a new latency sample in the EWMA estimate, in thousandths (Kamailio: 100 = 0.1).', min: 1, max: 1000, default: 100 }),
  mark_on_failure: t.enum(['', 'i', 'ip', 't', 'tp'] as const, {
    doc: 'What a relay failure (timeout, or a failover_codes answer) does to the destination, cluster-wide, like ds_mark_dst in a failure_route: "i" inactive, "t" trying (inactive after ds_probing_threshold), "p" also turns probing on; "" = nothing. With "i" and no probing, a marked destination stays out until dispatcher.set_state.',
    default: '',
  }),
  ds_hash_initexpire: t.duration({ doc: 'Algorithm 10: how long an unanswered call counts on its destination (no final answer seen).', default: 7_200_000, min: 1000, max: 86_400_000 }),
  ds_hash_expire: t.duration({ doc: 'Algorithm 10: how long an answered call counts on its destination when no BYE is seen (a node that dies takes no load with it: its calls expire after this).', default: 7_200_000, min: 1000, max: 86_400_000 }),
} as const;
