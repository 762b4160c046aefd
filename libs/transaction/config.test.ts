import { describe, expect, it } from 'vitest';
import { TRANSACTION_CONFIG_DEFAULTS, TRANSACTION_CONFIG_DOC, resolveTransactionConfig } from './config.ts';
import { TransactionError } from './errors.ts';

describe('resolveTransactionConfig', () => {
  it('defaults to RFC 3261 T1/T2/T4, Timer F and Kamailio tm timeouts, frozen', () => {
    const c = resolveTransactionConfig();
    expect([c.t1, c.t2, c.t4, c.timerD]).toEqual([500, 4000, 5000, 32000]);
    expect([c.frTimer, c.frInvTimer, c.waitTimer]).toEqual([32000, 120000, 5000]);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every problem at once with a coded error', () => {
    let err: unknown;
    try {
      resolveTransactionConfig({ t1: -1, t2: 1.5, frInvTimer: 0, bogus: 1 } as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransactionError);
    const e = err as TransactionError;
    expect(e.code).toBe('bad_config');
    expect(e.message).toMatch(/unknown option "bogus"/);
    expect(e.message).toMatch(/t1 must be an integer/);
    expect(e.message).toMatch(/t2 must be an integer/);
  });

  it('rejects relations that would make timers useless', () => {
    expect(() => resolveTransactionConfig({ t1: 1000, t2: 500 })).toThrow(/t2 \(500\) must be >= t1/);
    expect(() => resolveTransactionConfig({ frInvTimer: 200000 })).toThrow(/maxInviteLifetime .* must exceed frInvTimer/);
    expect(() => resolveTransactionConfig({ maxNonInviteLifetime: 32000 })).toThrow(/Timer F/);
  });

  it('documents every option', () => {
    expect(Object.keys(TRANSACTION_CONFIG_DOC).sort()).toEqual(Object.keys(TRANSACTION_CONFIG_DEFAULTS).sort());
  });
});

describe('waitTimer (Timers J, L, M)', () => {
  it('defaults to Kamailio wt_timer (5 s), 0 means 64*T1, never below T4', async () => {
    const { lingerMs } = await import('./config.ts');
    expect(lingerMs(resolveTransactionConfig())).toBe(5000);
    expect(lingerMs(resolveTransactionConfig({ waitTimer: 0 }))).toBe(32_000);
    expect(() => resolveTransactionConfig({ waitTimer: 1000 })).toThrow(/waitTimer.*t4/);
  });
});
