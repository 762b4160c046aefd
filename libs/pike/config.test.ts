import { describe, expect, it } from 'vitest';
import { formatConfigErrors, loadConfig } from '#libs/config';
import { banTimeOf, pikeSection } from './index.ts';

const load = (text: string) => loadConfig({ sections: [pikeSection], text, file: 'sbc.yaml', env: {}, defaults: { hostname: 'h', pid: 1 } });

describe('pike config section', () => {
  it('has Kamailio\'s defaults, and ban_time defaults to remove_latency', () => {
    const res = load('');
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.config.pike).toEqual({
      enabled: false,
      sampling_time_unit: 2000,
      reqs_density_per_unit: 30,
      remove_latency: 120_000,
      action: 'drop',
      trusted: [],
      flush_interval: 100,
    });
    expect(banTimeOf(res.config.pike)).toBe(120_000);
    const set = load('pike: { enabled: true, sampling_time_unit: 1s, ban_time: 10m, action: reply, trusted: ["10.0.0.0/8", "192.0.2.1"] }');
    if (!set.ok) throw new Error(formatConfigErrors(set.errors));
    expect(banTimeOf(set.config.pike)).toBe(600_000);
    expect(set.config.pike.action).toBe('reply');
  });

  it('refuses bad trusted entries and a flush interval too long for the unit, naming each', () => {
    const res = load('pike:\n  sampling_time_unit: 1s\n  flush_interval: 600ms\n  trusted: ["10.0.0.0/8", "gw.example.net"]\n  action: block\n');
    expect(res.ok).toBe(false);
    const text = res.ok ? '' : formatConfigErrors(res.errors);
    expect(text).toMatch(/pike\.trusted\[1\].*not an IPv4 or IPv6 address/);
    expect(text).toMatch(/pike\.action/);
    if (!res.ok) expect(res.errors).toHaveLength(2); // the cross-field check runs once the fields are valid
    const slow = load('pike:\n  sampling_time_unit: 1s\n  flush_interval: 600ms\n');
    expect(slow.ok ? '' : formatConfigErrors(slow.errors)).toMatch(/pike\.flush_interval.*at most a quarter/);
  });
});
