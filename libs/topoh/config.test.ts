import { describe, expect, it } from 'vitest';
import { resolveTopohConfig, TOPOH_DEFAULTS } from './index.ts';

describe('resolveTopohConfig', () => {
  it('fills Kamailio defaults and freezes', () => {
    const c = resolveTopohConfig({ maskKey: '0123456789abcdef', maskIp: '198.51.100.1' });
    expect(c.uparamName).toBe('line');
    expect(c.uparamPrefix).toBe('sr-');
    expect(c.vparamName).toBe('branch');
    expect(c.vparamPrefix).toBe('z9hG4bKsr-');
    expect(c.callIdPrefix).toBe('!!:');
    expect(c.maskCallId).toBe(false);
    expect(c.nonce).toBe(TOPOH_DEFAULTS.nonce);
    expect(c.keepUriParams).toEqual(['lr', 'transport']);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every problem at once, naming the option', () => {
    let msg = '';
    try {
      resolveTopohConfig({
        maskKey: 'short',
        maskIp: 'user@host',
        uparamName: 'li ne',
        vparamPrefix: 'sr-',
        callIdPrefix: '',
        keepUriParams: ['bad param'],
      });
    } catch (e) {
      msg = (e as Error).message;
    }
    for (const opt of ['maskKey', 'maskIp', 'uparamName', 'vparamPrefix', 'callIdPrefix', 'keepUriParams']) {
      expect(msg).toContain('topoh.' + opt);
    }
  });

  it('accepts IPv6 and host:port mask addresses', () => {
    expect(resolveTopohConfig({ maskKey: '0123456789abcdef', maskIp: '[2001:db8::1]' }).maskIp).toBe('[2001:db8::1]');
    expect(resolveTopohConfig({ maskKey: '0123456789abcdef', maskIp: 'sbc.example.com:5070' }).maskIp).toBe('sbc.example.com:5070');
  });
});
