// The node's config in the benchmarks that set it against Kamailio running
// ../shared/bench/kamailio-sbc.cfg (bench/compare.ts, bench/idle-transient.ts):
// the features that cfg has, and none it lacks.
export type BenchHiding = 'none' | 'topoh' | 'topos';

/** `extra`: top-level keys laid over it (a state backend's `state`, `bus`, `node`) */
export function benchNodeConfig(opts: { hiding: BenchHiding; io?: 'dgram' | 'batched'; extra?: Record<string, unknown> }): Record<string, unknown> {
  const topology = opts.hiding === 'none' ? { mode: 'none' }
    : { mode: opts.hiding, mask_callid: true, sdp: 'keep', ...(opts.hiding === 'topoh' ? { mask_key: 'bench-mask-key-0123456789abcdef', mask_ip: '10.1.1.10' } : {}) };
  return {
    pike: { enabled: true, sampling_time_unit: '2s', reqs_density_per_unit: 1_000_000 },
    secfilter: { enabled: false },
    permissions: { enabled: false },
    // one sipp source carries every call; its INVITE and BYE transactions linger 5 s each once
    // answered (tm's wait), ~2,000 live at 200 cps, over the per-source flood guard's default 400
    // (Kamailio's cfg has no such limit), and the node's own limit (tm.max_transactions, 10,000:
    // new requests get 503) is reached near 1000 cps the same way; Kamailio has none
    tm: { max_transactions_per_source: 100_000, max_transactions: 1_000_000 },
    topology,
    log: { level: 'warn' },
    ...(opts.io !== undefined ? { sip: { udp: { io: opts.io } } } : {}),
    ...opts.extra,
  };
}
