// The dispatcher's config sections: `dispatcher` (destination sets, the
// algorithm, failover, OPTIONS probing, call load) and `routing` (which set
// calls go to). They come with the dispatcher feature's descriptor; every
// default is written here once.
import { defineSection, t, type DeepReadonly, type InferSchema } from '#libs/config';
import { parseUri } from '#libs/sip';

/** A sip:/sips: URI with a host, as libs/sip parses it. */
function sipUriProblem(u: string): string | undefined {
  const p = parseUri(u.trim());
  if (!p) return `"${u}" is not a valid SIP URI${/^[a-z]+:/i.test(u) ? '' : ` (write "sip:${u}")`}`;
  if (p.scheme === 'tel' || p.host === '') return `must be a sip: or sips: URI with a host (got "${u}")`;
  return undefined;
}

/** Durations are milliseconds: a Kamailio operator's "30" (seconds) must not become 30 ms. */
const MS_TRAP = (key: string, kamailio: string) => (v: number) =>
  v !== 0 && v < 100 ? `${v} ms is too short: a plain number is milliseconds (write "${kamailio}s" for Kamailio's ${key} ${kamailio})` : undefined;

/** ds_ping_reply_codes: "class=N" and "code=NNN" separated by ";" (libs/dispatcher reply-codes.ts reads them). */
const REPLY_CODES_RE = /^\s*((class\s*=\s*[1-6]|code\s*=\s*[1-6]\d\d)\s*([;,:]\s*|$))*$/i;

/** Algorithm numbers libs/dispatcher implements (Kamailio numbering). */
export const DISPATCHER_ALGORITHMS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] as const;

const destination = t.object(
  {
    setid: t.int({ doc: 'Destination set (group) id.', min: 0, max: 2_147_483_647 }),
    uri: t.string({
      doc: 'SIP URI of the destination, e.g. "sip:10.0.0.5:5060;transport=tcp".',
      nonEmpty: true,
      check: sipUriProblem,
    }),
    flags: t.int({ doc: 'Kamailio flags: 1 inactive, 2 trying (probing state), 4 disabled, 8 send OPTIONS probes, 16 no DNS.', min: 0, max: 31, default: 0 }),
    priority: t.int({ doc: 'Higher priority destinations come first in the set (algorithm 8 order).', min: 0, max: 2_147_483_647, default: 0 }),
    attrs: t.union(
      [
        t.string({ doc: 'Kamailio attrs text "duid=gw1;weight=50".' }),
        t.map(t.union([t.string({ doc: 'text value' }), t.int({ doc: 'number value' })], { doc: 'attribute value' }), {
          doc: 'attrs as a mapping {duid: gw1, weight: 50}',
        }),
      ],
      {
        doc: 'Attributes: duid, weight (1-100), rweight (1-100), maxload, socket (proto:host:port), ping_from, cc; unknown ones are kept.',
        default: '',
      },
    ),
  },
  { doc: 'One destination, the same fields as a dispatcher.list line.', typeName: 'destination' },
);

export const dispatcherSection = defineSection(
  'dispatcher',
  {
    list_file: t.path({
      doc: 'Kamailio-style dispatcher.list ("setid uri [flags [priority [attrs]]]" per line). Relative to the config file folder.',
      optional: true,
    }),
    sets: t.list(destination, {
      doc: 'Destinations given inline, added to those of list_file (same fields as a list line). Set with SBC_DISPATCHER_SETS as YAML flow: [{setid: 1, uri: "sip:..."}].',
      default: [],
    }),
    default_set: t.int({ doc: 'Destination set used when routing names none.', min: 0, max: 2_147_483_647, default: 1 }),
    algorithm: t.enum(DISPATCHER_ALGORITHMS, {
      doc:
        'Selection algorithm (Kamailio numbers): 0 Call-ID hash, 1 From URI hash, 2 To URI hash, 3 R-URI hash, 4 round robin, ' +
        '5 auth username hash, 6 random, 7 hash of a routing-provided key, 8 priority order, 9 weight, 10 call load, ' +
        '11 relative weight (cc=1: lowered by latency), 12 parallel forking, 13 latency optimised. Every algorithm sends an INVITE ' +
        'retransmission that reaches another node to the same destination (see libs/dispatcher/README.md).',
      default: 4,
    }),
    failover_codes: t.list(
      t.union([t.int({ doc: 'a SIP status code', min: 300, max: 699 }), t.enum(['timeout'], { doc: 'no response at all' })], {
        doc: 'a final response code, or "timeout"',
      }),
      {
        doc: 'Final responses from a destination that make the node try the next one (ds_next_dst); "timeout" = the branch got no response within failover_timeout. 408 is a 408 sent by the destination.',
        default: [500, 503, 408, 'timeout'],
        check(codes) {
          const seen = new Set<string | number>();
          for (const c of codes) {
            if (seen.has(c)) return `${c} is listed twice`;
            seen.add(c);
          }
          return undefined;
        },
      },
    ),
    failover_timeout: t.duration({
      doc: 'How long an INVITE branch may go without any response (not even 100 Trying) before the next destination is tried (Kamailio: a short fr_timer with t_branch_timeout in failure_route).',
      min: 100,
      max: 120_000,
      default: 3000,
    }),
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
      check: (v) => (REPLY_CODES_RE.test(v) ? undefined : 'write "class=N" (N = 1..6) and "code=NNN" separated by ";", e.g. "class=2;code=403;code=488"'),
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
  },
  { doc: 'Load balancing to gateways with failover (Kamailio dispatcher).', renamed: { failover_timeout_ms: 'failover_timeout' } },
);

export const routingSection = defineSection(
  'routing',
  {
    calls_set: t.int({
      doc: 'Destination set for calls (dialog-creating requests); unset = dispatcher.default_set.',
      min: 0,
      max: 2_147_483_647,
      optional: true,
    }),
  },
  { doc: 'What the built-in routing does.' },
);

/** The node's core sections, in docs order. */

export type DispatcherConfig = DeepReadonly<InferSchema<(typeof dispatcherSection)['fields']>>;
export type RoutingConfig = DeepReadonly<InferSchema<(typeof routingSection)['fields']>>;
