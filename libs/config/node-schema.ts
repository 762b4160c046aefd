// The node's core configuration sections. Feature libs define their own
// sections (defineSection) and the service composes them with these.
import { defineSection, type SectionProblem } from './section.ts';
import { t } from './schema.ts';
import { parseHostPort } from './scalars.ts';
import { DEFAULT_PARSE_LIMITS, parseUri } from '#libs/sip';

/** A sip:/sips: URI with a host, as libs/sip parses it. */
function sipUriProblem(u: string): string | undefined {
  const p = parseUri(u.trim());
  if (!p) return `"${u}" is not a valid SIP URI${/^[a-z]+:/i.test(u) ? '' : ` (write "sip:${u}")`}`;
  if (p.scheme === 'tel' || p.host === '') return `must be a sip: or sips: URI with a host (got "${u}")`;
  return undefined;
}

const TOKEN_RE = /^[A-Za-z0-9._-]+$/;

// ------------------------------------------------------------------ node

export const nodeSection = defineSection(
  'node',
  {
    id: t.string({
      doc: 'Name of this node in logs, metrics labels, CDRs and cluster events. Must be unique in the cluster.',
      default: ({ hostname, pid }) => `${hostname}-${pid}`,
      defaultDoc: 'hostname-pid',
      pattern: TOKEN_RE,
      patternDoc: "letters, digits, '.', '-' and '_'",
    }),
    cluster: t.string({
      doc: 'Cluster name. Nodes with the same name share state (Redis) and news (NATS); it is part of every Redis key and NATS subject.',
      default: 'default',
      pattern: /^[A-Za-z0-9_-]+$/,
      patternDoc: "letters, digits, '-' and '_'",
    }),
  },
  { doc: 'Identity of this node and of the cluster it belongs to.' },
);

// ------------------------------------------------------------------ sip

/** Kamailio listen syntax: "udp:127.0.0.1:5060", "tcp:[::1]:5060", optionally followed by " advertise 203.0.113.10:5060". */
function parseSocketShorthand(text: string): Record<string, unknown> | string {
  const m = /^\s*(\w+):(\S+)(?:\s+advertise\s+(\S+))?\s*$/i.exec(text);
  if (!m) return `expected "proto:host:port" (optionally "... advertise host:port"), got "${text}"`;
  const hp = parseHostPort(m[2]);
  if (typeof hp === 'string') return `${hp} in "${text}"`;
  const out: Record<string, unknown> = { proto: m[1].toLowerCase(), host: hp.host, port: hp.port };
  if (m[3] !== undefined) out.advertise = m[3];
  return out;
}

const socket = t.object(
  {
    proto: t.enum(['udp', 'tcp'], { doc: 'Transport of the socket.' }),
    host: t.string({
      doc: 'Local IP address to bind (IPv6 without brackets). 0.0.0.0 binds every IPv4 address.',
      nonEmpty: true,
      pattern: /^[0-9A-Za-z.:_-]+$/,
      patternDoc: 'an IP address or host name',
    }),
    port: t.int({ doc: 'Local port to bind.', min: 1, max: 65535, default: 5060 }),
    advertise: t.hostPort({
      doc: 'Address put in Via/Record-Route/Contact instead of the bound one, e.g. the load balancer address (cluster rule 7: never a pod IP).',
      optional: true,
    }),
  },
  {
    doc: 'A SIP listening socket.',
    typeName: 'socket',
    shorthand: { doc: 'a "proto:host:port [advertise host:port]" string', parse: parseSocketShorthand },
  },
);

export const sipSection = defineSection(
  'sip',
  {
    listen: t.list(socket, {
      doc: 'Sockets to listen on: mappings {proto, host, port, advertise} or Kamailio-style strings "udp:127.0.0.1:5060 advertise 203.0.113.10:5060". In SBC_SIP_LISTEN: comma-separated strings.',
      default: [
        { proto: 'udp', host: '127.0.0.1', port: 5060 },
        { proto: 'tcp', host: '127.0.0.1', port: 5060 },
      ],
      defaultDoc: 'udp:127.0.0.1:5060, tcp:127.0.0.1:5060',
      minItems: 1,
      check(sockets) {
        const seen = new Set<string>();
        for (const s of sockets) {
          const k = `${s.proto}:${s.host}:${s.port}`;
          if (seen.has(k)) return `socket ${k} is listed twice`;
          seen.add(k);
        }
        return undefined;
      },
    }),
    limits: t.object(
      {
        maxMessageBytes: t.int({
          doc: 'Largest message accepted, start line to end of body; above it the node answers 513 (or drops on UDP when unreadable).',
          min: 1024,
          max: 1_048_576,
          default: DEFAULT_PARSE_LIMITS.maxMessageBytes,
        }),
        maxHeaderCount: t.int({ doc: 'Most header lines a message may carry.', min: 8, max: 10_000, default: DEFAULT_PARSE_LIMITS.maxHeaderCount }),
        maxLineBytes: t.int({ doc: 'Longest single line (start line or header line).', min: 128, max: 1_048_576, default: DEFAULT_PARSE_LIMITS.maxLineBytes }),
        maxViaDepth: t.int({ doc: 'Most Via values in one message.', min: 1, max: 1000, default: DEFAULT_PARSE_LIMITS.maxViaDepth }),
      },
      { doc: 'Parser limits: each one bounds work and memory on hostile input.' },
    ),
    tcp: t.object(
      {
        idleTimeoutMs: t.duration({
          doc: 'A TCP connection without traffic for this long is closed (Kamailio tcp_connection_lifetime).',
          min: 1000,
          default: 120_000,
        }),
        maxBufferBytes: t.int({
          doc: 'Most unparsed bytes buffered per TCP connection; a peer sending more without completing a message is disconnected.',
          min: 4096,
          max: 16_777_216,
          default: 262_144,
        }),
      },
      { doc: 'TCP connection handling.' },
    ),
    server_header: t.string({
      doc: 'Server header value for replies the node generates; "" = no Server header (hides the product from scanners).',
      default: '',
    }),
    aliases: t.list(t.string({ doc: 'A host name or address.', nonEmpty: true }), {
      doc: 'Extra hosts the node answers for (Kamailio alias=): a request whose R-URI host is a listen address, an advertised address or an alias is addressed to this node.',
      default: [],
    }),
  },
  {
    doc: 'SIP transports and message limits.',
    checks: [
      (sip) => {
        const p: SectionProblem[] = [];
        if (sip.limits.maxLineBytes > sip.limits.maxMessageBytes)
          p.push({ path: 'limits.maxLineBytes', message: `must not exceed limits.maxMessageBytes (${sip.limits.maxMessageBytes})` });
        if (sip.tcp.maxBufferBytes < sip.limits.maxMessageBytes)
          p.push({ path: 'tcp.maxBufferBytes', message: `must be at least limits.maxMessageBytes (${sip.limits.maxMessageBytes}) or a largest message can never be read` });
        return p;
      },
    ],
  },
);

// ------------------------------------------------------------------ http

export const httpSection = defineSection(
  'http',
  {
    host: t.string({ doc: 'Address of the HTTP server (/metrics, /healthz, /readyz, /admin).', default: '127.0.0.1', nonEmpty: true }),
    port: t.int({ doc: 'Port of the HTTP server.', min: 1, max: 65535, default: 9060 }),
  },
  { doc: 'HTTP server for Prometheus metrics, health probes and the admin API.' },
);

// ------------------------------------------------------------------ log

export const logSection = defineSection(
  'log',
  {
    level: t.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { doc: 'pino log level.', default: 'info' }),
    rejects: t.object(
      {
        perSecond: t.int({ doc: 'Reject log lines per second per node (token bucket rate); 0 = no limit.', min: 0, max: 1_000_000, default: 10 }),
        burst: t.int({ doc: 'Reject log lines allowed in a burst above the rate.', min: 1, max: 1_000_000, default: 20 }),
      },
      { doc: 'Rate limit of "request rejected" log lines, so a flood cannot fill the disk; every reject is still counted in metrics.' },
    ),
  },
  { doc: 'Logging (pino JSON on stdout).' },
);

// ------------------------------------------------------------------ state

export const stateSection = defineSection(
  'state',
  {
    backend: t.enum(['memory', 'redis'], {
      doc: 'Where shared state lives. memory = this process only (single node, tests); redis = shared by every node of the cluster.',
      default: 'memory',
    }),
    redis: t.object(
      {
        url: t.url({ doc: 'Redis server URL.', protocols: ['redis:', 'rediss:'], default: 'redis://127.0.0.1:6379' }),
        password: t.string({ doc: 'Redis password (AUTH); overrides one in the URL.', optional: true, secret: true }),
        tls: t.bool({ doc: 'Connect with TLS (also implied by a rediss:// URL).', default: false }),
        keyPrefix: t.string({
          doc: 'Prefix of every Redis key this node writes (the cluster name follows it), so several clusters can share one Redis.',
          default: 'sbc:',
          pattern: /^[A-Za-z0-9:._-]*$/,
          patternDoc: "letters, digits, ':', '.', '-' and '_'",
        }),
      },
      { doc: 'Redis connection (used when backend is redis).' },
    ),
    fail_mode: t.object(
      {
        bans: t.enum(['open', 'closed'], {
          doc: 'While Redis is unreachable: open = keep enforcing the bans this node has in its replica and let other sources in; closed = refuse every request with 503 until Redis answers again (the ban list may be stale).',
          default: 'open',
        }),
        dispatcher: t.enum(['open', 'closed'], {
          doc: 'While Redis is unreachable, for algorithm 10 (call load): open = choose as if every gateway were idle (set order); closed = refuse the call with 503.',
          default: 'open',
        }),
      },
      { doc: 'What each feature that reads Redis on the hot path does while Redis is unreachable. Transitions are logged and sbc_backend_up{backend="redis"} shows the state.' },
    ),
  },
  {
    doc: 'Shared state backend (pike counters, bans, topos dialogs, call load, registrations).',
  },
);

// ------------------------------------------------------------------ bus

export const busSection = defineSection(
  'bus',
  {
    servers: t.list(t.url({ doc: 'A NATS server URL.', protocols: ['nats:', 'tls:'] }), {
      doc: 'NATS servers for cluster news (bans, config changes, gateway up/down). Empty = single node, no news.',
      default: [],
    }),
    resyncIntervalMs: t.duration({
      doc: 'How often a node re-reads shared state from Redis, to converge after a missed NATS message (cluster rule 5).',
      min: 1000,
      default: 30_000,
    }),
  },
  { doc: 'Cluster news over NATS.' },
);

// ------------------------------------------------------------------ tm

export const tmSection = defineSection(
  'tm',
  {
    fr_timer: t.duration({
      doc: 'Final response timeout of a non-INVITE client transaction (RFC 3261 Timer F = 64*T1; Kamailio fr_timer defaults to 30000). Also the INVITE timeout until a provisional response arrives.',
      min: 100,
      default: 32_000,
    }),
    fr_inv_timer: t.duration({
      doc: 'How long an INVITE may ring after a provisional response before the branch is cancelled (RFC 3261 Timer C-like; Kamailio fr_inv_timer).',
      min: 1000,
      default: 120_000,
    }),
    t1: t.duration({ doc: 'RFC 3261 T1: round-trip estimate, first retransmission interval over UDP.', min: 50, max: 10_000, default: 500 }),
    t2: t.duration({ doc: 'RFC 3261 T2: longest retransmission interval of non-INVITE requests and INVITE responses.', min: 100, max: 60_000, default: 4000 }),
    t4: t.duration({ doc: 'RFC 3261 T4: how long the network may hold a message (Timers I, K).', min: 100, max: 60_000, default: 5000 }),
    wait_timer: t.duration({
      doc: 'How long a transaction that has its final response is kept to absorb retransmissions (RFC 3261/6026 Timers J, L, M; Kamailio wt_timer). 0 = the RFC value 64*T1 (32 s); the default follows Kamailio: far less memory held per call at high call rates.',
      min: 0,
      max: 120_000,
      default: 5000,
    }),
  },
  {
    doc: 'Transaction timers (Kamailio tm).',
    checks: [
      (tm) => {
        const p: SectionProblem[] = [];
        if (tm.t2 < tm.t1) p.push({ path: 't2', message: `must be at least t1 (${tm.t1}ms)` });
        if (tm.fr_timer < tm.t1) p.push({ path: 'fr_timer', message: `must be at least t1 (${tm.t1}ms)` });
        return p;
      },
    ],
  },
);

// ------------------------------------------------------------------ dispatcher

/** Why dispatcher.ds_ping_interval must be 0 until OPTIONS probing exists. */
const PROBING_UNAVAILABLE =
  'OPTIONS probing is not available in this version yet; set 0 (destination states can be changed with the dispatcher.set_state admin command)';

/** Algorithm numbers libs/dispatcher implements (Kamailio numbering). */
export const DISPATCHER_ALGORITHMS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as const;

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
        '11 relative weight, 12 parallel forking. Hash algorithms (0-3, 5, 7) pick the same destination on every node; ' +
        '4, 6, 9, 10, 11 are per node (see libs/dispatcher/README.md).',
      default: 4,
    }),
    failover_codes: t.list(
      t.union([t.int({ doc: 'a SIP status code', min: 300, max: 699 }), t.enum(['timeout'], { doc: 'no response at all' })], {
        doc: 'a final response code, or "timeout"',
      }),
      {
        doc: 'Final responses from a destination that make the node try the next one (ds_next_dst); "timeout" = the branch got no response within failover_timeout_ms. 408 is a 408 sent by the destination.',
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
    failover_timeout_ms: t.duration({
      doc: 'How long an INVITE branch may go without any response (not even 100 Trying) before the next destination is tried (Kamailio: a short fr_timer with t_branch_timeout in failure_route).',
      min: 100,
      max: 120_000,
      default: 3000,
    }),
    ds_ping_interval: t.duration({
      doc: 'Interval of OPTIONS probes to destinations; 0 = no probing. Only 0 is accepted in this version: OPTIONS probing is not implemented yet, and destination states are changed with the dispatcher.set_state admin command.',
      default: 0,
      // Accepting a non-zero interval would promise health checks the node does not run.
      check: (v) => (v !== 0 ? PROBING_UNAVAILABLE : undefined),
    }),
  },
  { doc: 'Load balancing to gateways with failover (Kamailio dispatcher).' },
);

// ------------------------------------------------------------------ routing

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
export const nodeSections = [nodeSection, sipSection, httpSection, logSection, stateSection, busSection, tmSection, dispatcherSection, routingSection] as const;
