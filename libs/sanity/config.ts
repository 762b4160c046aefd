// Sanity step configuration (Kamailio sanity/maxfwd module parameters in spirit).

export interface SanityConfig {
  /**
   * Proxy-Require option tags this node implements (Kamailio sanity
   * `proxy_require`). A request requiring anything else is answered 420.
   * Default none: the SBC implements no proxy extension.
   */
  proxyRequireSupported: readonly string[];
  /** Max-Forwards put on a forwarded request that had none (Kamailio mf_process_maxfwd_header argument). */
  maxForwardsDefault: number;
  /** forwarded Max-Forwards never exceeds this (Kamailio maxfwd `max_limit`) */
  maxForwardsLimit: number;
}

export const DEFAULT_SANITY_CONFIG: Readonly<SanityConfig> = Object.freeze({
  proxyRequireSupported: Object.freeze([]) as readonly string[],
  maxForwardsDefault: 70,
  maxForwardsLimit: 70,
});

/** Validate once, fail fast with every problem listed, then freeze. */
export function resolveSanityConfig(input: Partial<SanityConfig> = {}): Readonly<SanityConfig> {
  const cfg = { ...DEFAULT_SANITY_CONFIG, ...input };
  const problems: string[] = [];
  if (!Array.isArray(cfg.proxyRequireSupported) || cfg.proxyRequireSupported.some((t) => !/^[A-Za-z0-9.!%*_+`'~-]+$/.test(t))) {
    problems.push('sanity.proxyRequireSupported: must be a list of option tags (RFC 3261 token)');
  }
  for (const k of ['maxForwardsDefault', 'maxForwardsLimit'] as const) {
    const v = cfg[k];
    if (!Number.isInteger(v) || v < 1 || v > 255) problems.push(`sanity.${k}: ${v} must be an integer 1-255`);
  }
  if (problems.length > 0) throw new Error(`invalid sanity config:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze({ ...cfg, proxyRequireSupported: Object.freeze(cfg.proxyRequireSupported.map((t) => t.toLowerCase())) });
}
