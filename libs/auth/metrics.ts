import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuthFailure, ChallengeKind } from './authenticator.ts';

export const AUTH_METRIC_NAMES = {
  challenges: 'sbc_auth_challenges_total',
  successes: 'sbc_auth_successes_total',
  failures: 'sbc_auth_failures_total',
  blocks: 'sbc_auth_blocks_total',
  blocksActive: 'sbc_auth_blocks_active',
} as const;

export interface AuthMetrics {
  challenge(kind: ChallengeKind, stale: boolean): void;
  success(kind: ChallengeKind): void;
  failure(reason: AuthFailure): void;
  blocked(key: string): void;
}

export function createAuthMetrics(registry: Registry, activeBlocks: () => number): AuthMetrics {
  const challenges = new Counter({ name: AUTH_METRIC_NAMES.challenges, help: 'digest challenges sent (401 www / 407 proxy), stale=true for expired nonces', labelNames: ['kind', 'stale'], registers: [registry] });
  const successes = new Counter({ name: AUTH_METRIC_NAMES.successes, help: 'requests that authenticated', labelNames: ['kind'], registers: [registry] });
  const failures = new Counter({
    name: AUTH_METRIC_NAMES.failures,
    help: 'requests that did not authenticate, by reason (bad_password, unknown_user, stale, replayed_nc, bad_nonce, malformed, ...); no_credentials is the normal first step',
    labelNames: ['reason'],
    registers: [registry],
  });
  const blocks = new Counter({ name: AUTH_METRIC_NAMES.blocks, help: 'blocks this node set (user or ip) after repeated failures', labelNames: ['key'], registers: [registry] });
  new Gauge({ name: AUTH_METRIC_NAMES.blocksActive, help: 'users and source addresses blocked now (cluster-wide, from the local replica)', registers: [registry], collect() { this.set(activeBlocks()); } });
  return {
    challenge: (kind, stale) => challenges.inc({ kind, stale: String(stale) }),
    success: (kind) => successes.inc({ kind }),
    failure: (reason) => failures.inc({ reason }),
    blocked: (key) => blocks.inc({ key: key.startsWith('ip:') ? 'ip' : 'user' }),
  };
}
