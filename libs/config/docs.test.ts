import { describe, expect, it } from 'vitest';
import { renderConfigDocs, undocumented } from './gen-docs.ts';
import { defineSection, envOptions, nodeSections, t } from './index.ts';

// docs/config.md itself (every section, features' too) is checked in services/sbc/config-docs.test.ts
describe('config docs rendering', () => {
  it('every option of the node sections has doc text', () => {
    expect(undocumented(nodeSections)).toEqual([]);
  });

  it('the check catches an option without doc text', () => {
    const sec = defineSection('x', { a: t.int({ doc: ' ', default: 1 }), b: t.list(t.string({ doc: '' }), { doc: 'list', default: [] }) }, { doc: 'x' });
    expect(undocumented([sec])).toEqual(['x.a', 'x.b[]']);
  });

  it('lists every environment variable', () => {
    const text = renderConfigDocs(nodeSections);
    for (const name of envOptions(nodeSections).keys()) expect(text).toContain(`\`${name}\``);
  });
});
