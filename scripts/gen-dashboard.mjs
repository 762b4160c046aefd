// Generates the Grafana dashboard from the short panel list below, into
// deploy/grafana/sbc-dashboard.json and the chart's copy
// (helm/sbc/files/sbc-dashboard.json, shipped as a ConfigMap for the
// Grafana sidecar). A test keeps both current and checks that every metric
// named here exists in a running node's /metrics.
//   node scripts/gen-dashboard.mjs          writes both files
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const DASHBOARD_FILES = ['deploy/grafana/sbc-dashboard.json', 'helm/sbc/files/sbc-dashboard.json'];

const SEL = 'job=~"$job",node=~"$node"';
const RATE = '[$__rate_interval]';
const sel = (extra = '') => `{${SEL}${extra ? `,${extra}` : ''}}`;
/** sanity-type rejection labels (libs/rejections): malformed or oversize messages */
const SANITY_REASONS = 'bad_.*|missing_.*|oversize.*|too_many_.*|unparsable|duplicate_header|content_length_mismatch|cseq_method_mismatch|unsupported_scheme|empty';

/** [title, unit, targets [expr, legend], opts] grouped in rows */
const ROWS = [
  ['Traffic', [
    ['Calls per second (INVITE), per node', 'reqps', [[`sum by (node) (rate(sbc_sip_requests_total${sel('method="INVITE"')}${RATE}))`, '{{node}}']]],
    ['Requests per second by method (cluster)', 'reqps', [[`sum by (method) (rate(sbc_sip_requests_total${sel()}${RATE}))`, '{{method}}']]],
    ['Replies per second by class (cluster)', 'reqps', [[`sum by (class) (rate(sbc_sip_replies_total${sel()}${RATE}))`, '{{class}}']]],
    ['5xx share of replies', 'percentunit', [[`sum(rate(sbc_sip_replies_total${sel('class="5xx"')}${RATE})) / sum(rate(sbc_sip_replies_total${sel()}${RATE}))`, '5xx ratio']]],
    ['Call setup latency (INVITE relayed -> first answer from the gateway)', 's', [
      [`histogram_quantile(0.5, sum by (le) (rate(sbc_relay_response_seconds_bucket${sel('method="INVITE"')}${RATE})))`, 'p50'],
      [`histogram_quantile(0.99, sum by (le) (rate(sbc_relay_response_seconds_bucket${sel('method="INVITE"')}${RATE})))`, 'p99'],
    ]],
    ['Active transactions, per node', 'short', [[`sum by (node) (sbc_tm_transactions_active${sel()})`, '{{node}}']]],
    ['Transaction timeouts per second by timer; lingering transactions reclaimed at tm.max_transactions', 'ops', [
      [`sum by (timer) (rate(sbc_tm_timeouts_total${sel()}${RATE}))`, '{{timer}}'],
      [`sum by (side) (rate(sbc_tm_reclaimed_total${sel()}${RATE}))`, 'reclaimed ({{side}})'],
    ]],
    ['SIP messages per second by transport', 'pps', [[`sum by (proto, direction) (rate(sbc_transport_messages_total${sel()}${RATE}))`, '{{proto}} {{direction}}']]],
  ]],
  ['Security', [
    ['Rejections per second by feature', 'reqps', [
      [`sum(rate(sbc_sip_rejected_total${sel(`reason=~"${SANITY_REASONS}"`)}${RATE}))`, 'sanity'],
      [`sum(rate(sbc_pike_blocked_total${sel()}${RATE}))`, 'pike'],
      [`sum(rate(sbc_permissions_denied_total${sel()}${RATE}))`, 'permissions'],
      [`sum(rate(sbc_secfilter_blocked_total${sel()}${RATE}))`, 'secfilter'],
      [`sum(rate(sbc_sip_rejected_total${sel('reason="banned"')}${RATE}))`, 'banned sources'],
      [`sum(rate(sbc_sip_malformed_unanswered_total${sel()}${RATE}))`, 'malformed, unanswered (over the reply rate)'],
    ]],
    ['Rejections per second by reason', 'reqps', [[`sum by (reason) (rate(sbc_sip_rejected_total${sel()}${RATE}))`, '{{reason}}']]],
    ['Bans active (cluster-wide ipban)', 'short', [[`max(sbc_bans_active${sel()})`, 'bans']], { type: 'stat' }],
    ['Flood bans per minute (pike)', 'short', [[`sum(increase(sbc_pike_bans_total${sel()}[1m]))`, 'bans/min']]],
    ['Sources tracked by pike, per node', 'short', [[`sum by (node) (sbc_pike_sources${sel()})`, '{{node}}']]],
    ['Refused admin requests per second', 'reqps', [[`sum by (reason) (rate(sbc_admin_refused_total${sel()}${RATE}))`, '{{reason}}']]],
  ]],
  ['Subscribers (registrar, digest auth)', [
    ['REGISTER requests per second', 'reqps', [[`sum by (node) (rate(sbc_sip_requests_total${sel('method="REGISTER"')}${RATE}))`, '{{node}}']]],
    ['Registrar refusals per second by reason', 'reqps', [[`sum by (reason) (rate(sbc_sip_rejected_total${sel('reason=~"registrar_.*"')}${RATE}))`, '{{reason}}']]],
    ['Digest auth per second: challenges, successes', 'reqps', [
      [`sum by (kind) (rate(sbc_auth_challenges_total${sel()}${RATE}))`, 'challenge {{kind}}'],
      [`sum by (kind) (rate(sbc_auth_successes_total${sel()}${RATE}))`, 'success {{kind}}'],
    ]],
    ['Auth failures per second by reason (no_credentials is the normal first step)', 'reqps', [[`sum by (reason) (rate(sbc_auth_failures_total${sel('reason!="no_credentials"')}${RATE}))`, '{{reason}}']]],
    ['Users and sources blocked after auth failures', 'short', [[`max(sbc_auth_blocks_active${sel()})`, 'blocked now'], [`sum by (key) (increase(sbc_auth_blocks_total${sel()}[5m]))`, 'new {{key}} blocks / 5 min']]],
  ]],
  ['Gateways', [
    ['Gateway state (1 selectable, 0 inactive/disabled)', 'short', [[`min by (set, uri, state) (sbc_dispatcher_destination_up${sel()})`, 'set {{set}} {{uri}} ({{state}})']], { type: 'state-timeline' }],
    ['Gateways selectable per set', 'short', [[`count by (set) (max by (set, uri) (sbc_dispatcher_destination_up${sel()}) == 1)`, 'set {{set}}']]],
    ['Failovers per second (next destination)', 'ops', [[`sum by (method) (rate(sbc_relay_failovers_total${sel()}${RATE}))`, '{{method}}']]],
    ['Next-hop response time p99 by method', 's', [[`histogram_quantile(0.99, sum by (le, method) (rate(sbc_relay_response_seconds_bucket${sel()}${RATE})))`, '{{method}}']]],
    ['Gateway OPTIONS latency (EWMA estimate, probing node)', 'ms', [[`max by (set, uri) (sbc_dispatcher_probe_latency_ms${sel('stat="est"')})`, 'set {{set}} {{uri}}']]],
    ['Calls per gateway (call load, cluster-wide)', 'short', [[`max by (set, uri) (sbc_dispatcher_active_calls${sel()})`, 'set {{set}} {{uri}}']]],
    ['Gateway probes per second by result', 'ops', [[`sum by (uri, result) (rate(sbc_dispatcher_probes_total${sel()}${RATE}))`, '{{uri}} {{result}}']]],
    ['Gateways marked after relay failures (per 5 min)', 'short', [[`sum by (uri, cause) (increase(sbc_dispatcher_marks_total${sel()}[5m]))`, '{{uri}} {{cause}}']]],
  ]],
  ['Backends and process', [
    ['Redis / NATS up, per node', 'short', [[`min by (node, backend) (sbc_backend_up${sel()})`, '{{node}} {{backend}}']], { type: 'state-timeline' }],
    ['Cluster bus messages per second', 'ops', [[`sum by (subject_kind, direction) (rate(sbc_bus_messages_total${sel()}${RATE}))`, '{{subject_kind}} {{direction}}']]],
    ['Event-loop lag p99, per node', 's', [[`max by (node) (sbc_nodejs_eventloop_lag_p99_seconds${sel()})`, '{{node}}']]],
    ['CPU, per node', 'percentunit', [[`sum by (node) (rate(sbc_process_cpu_seconds_total${sel()}${RATE}))`, '{{node}}']]],
    ['Resident memory, per node', 'bytes', [[`sum by (node) (sbc_process_resident_memory_bytes${sel()})`, '{{node}}'], [`sum by (node) (sbc_nodejs_heap_size_used_bytes${sel()})`, '{{node}} heap used']]],
    ['Open TCP connections, per node', 'short', [[`sum by (node) (sbc_transport_tcp_connections${sel()})`, '{{node}}']]],
    ['Transport errors per second by reason', 'ops', [[`sum by (proto, reason) (rate(sbc_transport_errors_total${sel()}${RATE}))`, '{{proto}} {{reason}}']]],
    ['Replica re-sync failures per second', 'ops', [[`sum by (table) (rate(sbc_replica_resync_failures_total${sel()}${RATE}))`, '{{table}}']]],
  ]],
];

function panel(id, [title, unit, targets, opts = {}], x, y) {
  return {
    id,
    type: opts.type ?? 'timeseries',
    title,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 8, w: 12, x, y },
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: opts.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] } } : { legend: { displayMode: 'list', placement: 'bottom' } },
    targets: targets.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), expr, legendFormat, datasource: { type: 'prometheus', uid: '${datasource}' } })),
  };
}

export function dashboard() {
  const panels = [];
  let id = 1;
  let y = 0;
  for (const [title, list] of ROWS) {
    panels.push({ id: id++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    list.forEach((p, i) => {
      panels.push(panel(id++, p, (i % 2) * 12, y + Math.floor(i / 2) * 8));
    });
    y += Math.ceil(list.length / 2) * 8;
  }
  const variable = (name, label, query) => ({
    name, label, type: 'query', datasource: { type: 'prometheus', uid: '${datasource}' },
    query: { query, refId: name }, definition: query, refresh: 2, includeAll: true, multi: true, allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] }, sort: 1,
  });
  return {
    title: 'Clustered SBC',
    uid: 'clustered-sbc',
    description: 'Per node and cluster-wide view of the SBC nodes (metrics of docs/*.md; node = the node.id label).',
    tags: ['sbc', 'sip', 'voip'],
    timezone: 'browser',
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        // the nodes' jobs only: the cdr-writer exports sbc_backend_up and sbc_process_* too, not the transaction layer
        variable('job', 'Job', 'label_values(sbc_tm_transactions_active, job)'),
        variable('node', 'Node', 'label_values(sbc_backend_up{job=~"$job"}, node)'),
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

export const dashboardText = () => `${JSON.stringify(dashboard(), null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const f of DASHBOARD_FILES) writeFileSync(`${root}${f}`, dashboardText());
}
