import { describe, expect, it } from 'vitest';
import { loadConfig } from '#libs/config';
import { topologySection } from './config.ts';

function load(yaml: string, env: Record<string, string> = {}) {
  return loadConfig({ sections: [topologySection] as const, env, text: yaml, file: 'sbc.yaml', cwd: '/etc/sbc' });
}

function problems(yaml: string): string[] {
  const res = load(yaml);
  return res.ok ? [] : res.errors.map((e) => `${e.line}: ${e.path}: ${e.message}`);
}

describe('topology config section', () => {
  it('defaults: no hiding, Kamailio topoh names and topos expiries', () => {
    const res = load('');
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.config.topology).toMatchObject({ mode: 'none', mask_callid: false, sdp: 'keep', uparam_name: 'line', vparam_prefix: 'z9hG4bKsr-', branch_expire: 180_000, dialog_expire: 10_800_000 });
  });

  it('refuses topoh without a long enough mask_key, naming the key and line', () => {
    expect(problems('topology:\n  mode: topoh\n  mask_key: short\n')).toEqual([expect.stringMatching(/^\d+: topology\.mask_key: topoh needs a mask_key of at least 16 chars/)]);
  });

  it('takes the key from SBC_TOPOLOGY_MASK_KEY and checks the codec options', () => {
    expect(load('topology:\n  mode: topoh\n', { SBC_TOPOLOGY_MASK_KEY: 'k'.repeat(32) }).ok).toBe(true);
    expect(problems(`topology:\n  mode: topoh\n  mask_key: ${'k'.repeat(20)}\n  vparam_prefix: sr-\n`).join('\n')).toMatch(/vparamPrefix: 'sr-' must be a SIP token starting with z9hG4bK/);
    expect(problems('topology:\n  mode: topos\n  branch_expire: 10ms\n').join('\n')).toMatch(/branch_expire/);
  });
});
