// The node's core configuration sections. Feature libs define their own
// sections (defineSection) and the service composes them with these.
import { defineSection, type SectionProblem } from './section.ts';
import { t } from './schema.ts';
import { parseHostPort } from './scalars.ts';
import { DEFAULT_PARSE_LIMITS } from '#libs/sip';
// each default is written once, in the lib that uses it; the schema shows and validates it
import { TRANSACTION_CONFIG_DEFAULTS as TM } from '#libs/transaction';
import { DEFAULT_TCP_OPTIONS } from '#libs/transport';
import { DEFAULT_SANITY_CONFIG } from '#libs/sanity';

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
    drain_timeout: t.duration({
      doc: 'After SIGTERM/SIGINT: how long the node keeps finishing the transactions in flight (refusing new dialogs, /readyz 503) before it closes. Keep Kubernetes terminationGracePeriodSeconds above preStop + this.',
      min: 0,
      max: 600_000,
      default: 5000,
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
        max_message_bytes: t.int({
          doc: 'Largest message accepted, start line to end of body; above it the node answers 513 (or drops on UDP when unreadable).',
          min: 1024,
          max: 1_048_576,
          default: DEFAULT_PARSE_LIMITS.maxMessageBytes,
        }),
        max_header_count: t.int({ doc: 'Most header lines a message may carry.', min: 8, max: 10_000, default: DEFAULT_PARSE_LIMITS.maxHeaderCount }),
        max_line_bytes: t.int({ doc: 'Longest single line (start line or header line).', min: 128, max: 1_048_576, default: DEFAULT_PARSE_LIMITS.maxLineBytes }),
        max_via_depth: t.int({ doc: 'Most Via values in one message.', min: 1, max: 1000, default: DEFAULT_PARSE_LIMITS.maxViaDepth }),
      },
      { doc: 'Parser limits: each one bounds work and memory on hostile input.', renamed: { maxMessageBytes: 'max_message_bytes', maxHeaderCount: 'max_header_count', maxLineBytes: 'max_line_bytes', maxViaDepth: 'max_via_depth' } },
    ),
    tcp: t.object(
      {
        idle_timeout: t.duration({
          doc: 'A TCP connection without traffic for this long is closed (Kamailio tcp_connection_lifetime).',
          min: 1000,
          default: DEFAULT_TCP_OPTIONS.idleTimeoutMs,
        }),
        max_buffer_bytes: t.int({
          doc: 'Most unparsed bytes buffered per TCP connection; a peer sending more without completing a message is disconnected.',
          min: 4096,
          max: 16_777_216,
          default: DEFAULT_TCP_OPTIONS.maxBufferBytes,
        }),
        max_connections: t.int({
          doc: 'Inbound TCP connections open at once (Kamailio tcp_max_connections). At the limit the oldest connection that never delivered a message that parsed is closed to admit the new one; only when all have is the new one refused.',
          min: 1,
          max: 1_000_000,
          default: DEFAULT_TCP_OPTIONS.maxConnections,
        }),
        max_outbound_connections: t.int({
          doc: 'Outbound TCP connections (toward gateways and UAs) open at once; budgeted apart from inbound ones, so a flood of inbound connections cannot block calls toward the gateways.',
          min: 1,
          max: 1_000_000,
          default: DEFAULT_TCP_OPTIONS.maxOutboundConnections,
        }),
        max_connections_per_ip: t.int({
          doc: 'Inbound TCP connections from one IP address; more are refused at accept.',
          min: 1,
          max: 1_000_000,
          default: DEFAULT_TCP_OPTIONS.maxConnectionsPerIp,
        }),
        first_message_timeout: t.duration({
          doc: 'A new inbound TCP connection must deliver a complete SIP message within this long, or it is closed (an idle connection would otherwise hold a slot for idle_timeout).',
          min: 100,
          default: DEFAULT_TCP_OPTIONS.firstMessageTimeoutMs,
        }),
      },
      { doc: 'TCP connection handling and admission: every limit bounding what a flood of connections can hold (docs/limits.md).', renamed: { idleTimeoutMs: 'idle_timeout', maxBufferBytes: 'max_buffer_bytes' } },
    ),
    udp: t.object(
      {
        io: t.enum(['auto', 'batched', 'dgram'], {
          doc: 'UDP I/O path. batched: recvmmsg/sendmmsg through the native addon built by npm ci (libs/transport/native; Linux, IPv4): up to 64 datagrams per receive syscall, no rinfo object per datagram, and one sendmmsg per event-loop turn, less CPU per datagram than node:dgram (docs/benchmarks.md, The I/O floor); start fails if the addon is missing. dgram: node:dgram, one call and one syscall per datagram. auto: batched when the addon loaded, else dgram (logged at start). IPv6 sockets always use dgram. The path in use is the metric sbc_transport_udp_io{socket,io}.',
          default: 'auto',
        }),
        recv_buffer_bytes: t.int({
          doc: 'SO_RCVBUF of each UDP socket: datagrams wait here while the node is busy (a garbage collection, a burst). Capped at net.core.rmem_max (the kernel then doubles it). The default, 1 MiB, carried 1200 calls/s with no datagram dropped where the OS default (212,992 bytes on Linux, about 100 datagrams) dropped hundreds a second from 1000 calls/s (docs/benchmarks.md, session 10); Kamailio raises its own up to 256 KB (maxbuffer).',
          min: 4096,
          max: 1_073_741_824,
          default: 1_048_576,
        }),
        send_buffer_bytes: t.int({ doc: 'SO_SNDBUF of each UDP socket; unset = the OS default (capped at net.core.wmem_max).', min: 4096, max: 1_073_741_824, optional: true }),
      },
      { doc: 'UDP sockets: the I/O path and socket buffer sizes.' },
    ),
    malformed_replies: t.object(
      {
        per_second: t.int({ doc: 'Answers (400, 505, 513...) to malformed requests per second per source address; beyond it they are dropped and counted in sbc_sip_malformed_unanswered_total.', min: 1, max: 1_000_000, default: 10 }),
        burst: t.int({ doc: 'Answers to malformed requests a source may get in a burst above the rate.', min: 1, max: 1_000_000, default: 20 }),
      },
      { doc: 'Per-source rate of answers to malformed requests, so a garbage flood (often with a forged source) is not reflected back one answer per packet.' },
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
        if (sip.limits.max_line_bytes > sip.limits.max_message_bytes)
          p.push({ path: 'limits.max_line_bytes', message: `must not exceed limits.max_message_bytes (${sip.limits.max_message_bytes})` });
        if (sip.tcp.max_buffer_bytes < sip.limits.max_message_bytes)
          p.push({ path: 'tcp.max_buffer_bytes', message: `must be at least limits.max_message_bytes (${sip.limits.max_message_bytes}) or a largest message can never be read` });
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
        per_second: t.int({ doc: 'Reject log lines per second per node (token bucket rate); 0 = no limit.', min: 0, max: 1_000_000, default: 10 }),
        burst: t.int({ doc: 'Reject log lines allowed in a burst above the rate.', min: 1, max: 1_000_000, default: 20 }),
      },
      { doc: 'Rate limit of "request rejected" log lines, so a flood cannot fill the disk; every reject is still counted in metrics.', renamed: { perSecond: 'per_second' } },
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
        mode: t.enum(['single', 'cluster', 'sentinel'], {
          doc: 'single = one Redis server (url); cluster = a Redis Cluster (nodes are startup nodes, the rest is discovered; keys spread over its shards, docs/state.md); sentinel = the master Redis Sentinel names (nodes are the sentinels, sentinel_name the master group), followed through failovers.',
          default: 'single',
        }),
        url: t.url({ doc: 'Redis server URL (mode single).', protocols: ['redis:', 'rediss:'], default: 'redis://127.0.0.1:6379' }),
        nodes: t.list(t.url({ doc: 'A node address: redis://host:port or rediss://host:port.', protocols: ['redis:', 'rediss:'] }), {
          doc: 'mode cluster: startup nodes of the Redis Cluster (a few are enough; user, password and rediss:// of the first apply to all). mode sentinel: the sentinels.',
          default: [],
        }),
        sentinel_name: t.string({ doc: 'mode sentinel: the master group name the sentinels monitor.', default: 'mymaster', nonEmpty: true }),
        sentinel_password: t.string({ doc: 'mode sentinel: password of the sentinels themselves (the data password is `password`).', optional: true, secret: true }),
        password: t.string({ doc: 'Redis password (AUTH); overrides one in the URL.', optional: true, secret: true }),
        tls: t.bool({ doc: 'Connect with TLS (also implied by a rediss:// URL).', default: false }),
        key_prefix: t.string({
          doc: 'Prefix of every Redis key this node writes (the cluster name follows it), so several clusters can share one Redis.',
          default: 'sbc:',
          pattern: /^[A-Za-z0-9:._-]*$/,
          patternDoc: "letters, digits, ':', '.', '-' and '_'",
        }),
      },
      { doc: 'Redis connection (used when backend is redis): one server, a Redis Cluster, or Sentinel.', renamed: { keyPrefix: 'key_prefix' } },
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
    checks: [
      (st) => (st.redis.mode !== 'single' && st.redis.nodes.length === 0
        ? [{ path: 'redis.nodes', message: `mode ${st.redis.mode} needs at least one address in redis.nodes (${st.redis.mode === 'cluster' ? 'cluster startup nodes' : 'sentinels'})` }]
        : []),
    ],
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
    resync_interval: t.duration({
      doc: 'How often a node re-reads shared state from Redis, to converge after a missed NATS message (cluster rule 5).',
      min: 1000,
      default: 30_000,
    }),
  },
  { doc: 'Cluster news over NATS.', renamed: { resyncIntervalMs: 'resync_interval' } },
);

// ------------------------------------------------------------------ tm

export const tmSection = defineSection(
  'tm',
  {
    fr_timer: t.duration({
      doc: 'Final response timeout of a non-INVITE client transaction (RFC 3261 Timer F = 64*T1; Kamailio fr_timer defaults to 30000). Also the INVITE timeout until a provisional response arrives.',
      min: 100,
      default: TM.frTimer,
    }),
    fr_inv_timer: t.duration({
      doc: 'How long an INVITE may ring after a provisional response before the branch is cancelled (RFC 3261 Timer C-like; Kamailio fr_inv_timer).',
      min: 1000,
      default: TM.frInvTimer,
    }),
    t1: t.duration({ doc: 'RFC 3261 T1: round-trip estimate, first retransmission interval over UDP.', min: 50, max: 10_000, default: TM.t1 }),
    t2: t.duration({ doc: 'RFC 3261 T2: longest retransmission interval of non-INVITE requests and INVITE responses.', min: 100, max: 60_000, default: TM.t2 }),
    t4: t.duration({ doc: 'RFC 3261 T4: how long the network may hold a message (Timers I, K).', min: 100, max: 60_000, default: TM.t4 }),
    wait_timer: t.duration({
      doc: 'How long a transaction that has its final response is kept to absorb retransmissions (RFC 3261/6026 Timers J, L, M; Kamailio wt_timer). 0 = the RFC value 64*T1 (32 s); the default follows Kamailio: far less memory held per call at high call rates.',
      min: 0,
      max: 120_000,
      default: TM.waitTimer,
    }),
    max_transactions: t.int({
      doc: 'Live server transactions on this node: requests being handled and answered ones lingering wait_timer for retransmissions (client transactions are held to the same number). At the limit the oldest lingering one is ended early to make room (sbc_tm_reclaimed_total); only when none lingers is a new request answered 503 with Retry-After (stateless: no state is made for it) and counted in sbc_sip_rejected_total{reason="overloaded"}. Retransmissions, ACKs and CANCELs of known transactions still pass, and a BYE may use a reserve of a tenth of the limit above it (hanging up frees gateway channels). Size it from docs/limits.md (memory per 1,000 transactions).',
      min: 1,
      max: 10_000_000,
      default: 10_000,
    }),
    max_transactions_per_source: t.int({
      doc: 'Server transactions not yet answered that one source IP address may hold (and INVITEs whose error answer it has not ACKed; answered ones lingering for retransmissions count only toward max_transactions). Beyond it its new requests are dropped (no answer: a flooder gets nothing to reflect) and counted in sbc_sip_rejected_total{reason="source_overloaded"}. A trunk holds about calls/s x seconds to answer (ringing included): the default fits 40 calls/s ringing 10 s; raise it for busier trunks. The default keeps 20 sources flooding unanswered requests below max_transactions, so others are still served.',
      min: 1,
      max: 10_000_000,
      default: 400,
    }),
  },
  {
    doc: 'Transaction timers and limits (Kamailio tm).',
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

// ------------------------------------------------------------------ sanity

const OPTION_TAG = /^[A-Za-z0-9.!%*_+`'~-]+$/;

export const sanitySection = defineSection(
  'sanity',
  {
    proxy_require: t.list(t.string({ doc: 'An option tag (RFC 3261 token).', pattern: OPTION_TAG, patternDoc: 'an RFC 3261 token' }), {
      doc: 'Proxy-Require option tags this node implements (Kamailio sanity proxy_require); a request requiring any other is answered 420 Bad Extension with Unsupported.',
      default: [...DEFAULT_SANITY_CONFIG.proxyRequireSupported],
      defaultDoc: 'none',
    }),
    max_forwards: t.int({
      doc: 'Max-Forwards put on a forwarded request that had none (Kamailio mf_process_maxfwd_header).',
      min: 1,
      max: 255,
      default: DEFAULT_SANITY_CONFIG.maxForwardsDefault,
    }),
    max_forwards_limit: t.int({
      doc: 'A forwarded Max-Forwards never exceeds this (Kamailio maxfwd max_limit).',
      min: 1,
      max: 255,
      default: DEFAULT_SANITY_CONFIG.maxForwardsLimit,
    }),
  },
  { doc: 'Request sanity checks (Kamailio sanity + maxfwd).' },
);

/** The core sections every node reads; each feature brings its own (libs/<feature> descriptor: dispatcher, pike, ...). */
export const nodeSections = [nodeSection, sipSection, httpSection, logSection, stateSection, busSection, tmSection, sanitySection] as const;
